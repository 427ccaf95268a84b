"""Suspender costs against bluesky: trip latency, and the price of installed suspenders (issue 4).

Run ``python benchmarks/bench_suspenders.py`` (``--quick`` for a short run).
Both engines run in this one process, each with a ceiling suspender on a
signal of its own kind (benchplan's on a soft signal, bluesky's on an
``ophyd.Signal``). A trip is a ``put`` of a value over the ceiling from
another thread; its latency is taken from just before the ``put`` to the
``state_hook`` call reporting ``'suspending'``, and to the emission of the
interruption event. The script always exits 0.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import threading
import time
from typing import Any, Callable, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (  # noqa: E402
    Figure,
    Timings,
    interleave,
    parse_args,
    print_header,
    print_table,
    print_timings,
    quiet,
)
from bluesky import RunEngine as BlueskyRE  # noqa: E402
from bluesky.suspenders import SuspendCeil as BlueskyCeil  # noqa: E402
from bluesky.utils import Msg as BlueskyMsg  # noqa: E402
from ophyd import Signal  # noqa: E402
from ophyd.status import Status as OphydStatus  # noqa: E402

from benchplan import Msg, RunEngine  # noqa: E402
from benchplan.devices import soft_signal_rw  # noqa: E402
from benchplan.suspenders import SuspendCeil  # noqa: E402

WAIT = 10.0


class Gate:
    """A device whose trigger finishes only when the gate closes: the plan waits on it."""

    name = "gate"

    def __init__(self) -> None:
        self.closing = False
        self._lock = threading.Lock()
        self._open: list[OphydStatus] = []

    def trigger(self) -> OphydStatus:
        status = OphydStatus(obj=self)
        with self._lock:
            if self.closing:
                status.set_finished()
            else:
                self._open.append(status)
        return status

    def close(self) -> None:
        with self._lock:
            self.closing = True
            statuses, self._open = self._open, []
        for status in statuses:
            if not status.done:
                status.set_finished()


def waiting_plan(msg: Callable[..., Any], gate: Gate) -> Any:
    """Checkpoint, trigger the gate, wait on it; again until the gate closes."""
    yield msg("open_run")
    while not gate.closing:
        yield msg("checkpoint")
        yield msg("trigger", gate, group="g")
        yield msg("wait", None, group="g")
    yield msg("close_run")


def busy_plan(msg: Callable[..., Any], gate: Gate) -> Any:
    """Checkpoints and Msg('null') as fast as the engine goes, until the gate closes."""
    yield msg("open_run")
    null, checkpoint = msg("null"), msg("checkpoint")
    while not gate.closing:
        yield checkpoint
        for _ in range(100):
            yield null
    yield msg("close_run")


class TripClock:
    """Time stamps of each trip: the put, the 'suspending' state, the interruption event."""

    def __init__(self) -> None:
        self.put: Optional[float] = None
        self.state: Optional[float] = None
        self.event: Optional[float] = None
        self.suspended = threading.Event()
        self.recorded = threading.Event()
        self.waiting = threading.Event()

    def state_hook(self, new: Any, old: Any) -> None:
        if new == "suspending" and self.state is None:
            self.state = time.perf_counter()
            self.suspended.set()

    def waiting_hook(self, statuses: Any) -> None:
        if statuses:
            self.waiting.set()

    def on_event(self, name: str, doc: dict) -> None:
        data = doc["data"] if name == "event" else ()
        # the data key is 'interruptions' on ours, 'interruption' on bluesky
        if ("interruptions" in data or "interruption" in data) and self.event is None:
            self.event = time.perf_counter()
            self.recorded.set()


def measure_trips(
    engine: Any, msg: Callable[..., Any], plan: Callable[..., Any], put: Callable[[float], None],
    trips: int, *, in_wait: bool,
) -> tuple[list[float], list[float]]:
    """Trip ``trips`` times while ``plan`` runs; return latencies (s) to the state and the event."""
    gate, clock = Gate(), TripClock()
    to_state: list[float] = []
    to_event: list[float] = []
    errors: list[BaseException] = []
    engine.state_hook = clock.state_hook
    engine.waiting_hook = clock.waiting_hook

    def ready() -> bool:
        if in_wait:  # the plan waits on the gate again
            ok = clock.waiting.wait(WAIT)
            clock.waiting.clear()
            return ok
        deadline = time.perf_counter() + WAIT  # the plan dispatches again
        while engine.state != "running":
            if time.perf_counter() > deadline:
                return False
            time.sleep(0.0005)
        return True

    def driver() -> None:
        try:
            for _ in range(trips):
                if not ready():
                    raise RuntimeError("the plan did not get going again after a trip")
                time.sleep(0.002)  # well inside the wait, or mid-dispatch
                clock.state = clock.event = None
                clock.suspended.clear()
                clock.recorded.clear()
                clock.put = time.perf_counter()
                put(5.0)
                if not (clock.suspended.wait(WAIT) and clock.recorded.wait(WAIT)):
                    raise RuntimeError("a trip did not suspend the plan")
                to_state.append(clock.state - clock.put)  # type: ignore[operator]
                to_event.append(clock.event - clock.put)  # type: ignore[operator]
                put(0.0)
        except BaseException as exc:  # report it after the plan ends
            errors.append(exc)
        finally:
            gate.close()

    thread = threading.Thread(target=driver, name="bench-tripper")
    thread.start()
    try:
        engine(plan(msg, gate), clock.on_event)
    finally:
        gate.close()
        thread.join()
        engine.state_hook = engine.waiting_hook = None
    if errors:
        raise errors[0]
    return to_state, to_event


def bench_latency(args: Any) -> tuple[list[Figure], list[Timings]]:
    trips = 10 if args.quick else 20
    rounds = args.repeats
    ours = RunEngine(store=None, context_managers=[], record_interruptions=True)
    soft = soft_signal_rw(float, 0.0, name="current")
    ours.install_suspender(SuspendCeil(soft, 1.5))
    bs = BlueskyRE(context_managers=[])
    bs.record_interruptions = True
    ophyd_sig = Signal(name="current", value=0.0)
    bs.install_suspender(BlueskyCeil(ophyd_sig, 1.5))
    cases = {
        ("ours", "wait"): (ours, Msg, waiting_plan, soft.put, True),
        ("bluesky", "wait"): (bs, BlueskyMsg, waiting_plan, ophyd_sig.put, True),
        ("ours", "busy"): (ours, Msg, busy_plan, soft.put, False),
        ("bluesky", "busy"): (bs, BlueskyMsg, busy_plan, ophyd_sig.put, False),
    }
    state = {key: Timings(f"trip -> 'suspending', {key[1]}, {key[0]}") for key in cases}
    event = {key: Timings(f"trip -> interruption event, {key[1]}, {key[0]}") for key in cases}
    with quiet():
        for _ in range(rounds):  # engines interleaved, round by round
            for key, (engine, msg, plan, put, in_wait) in cases.items():
                s, e = measure_trips(engine, msg, plan, put, trips, in_wait=in_wait)
                state[key].seconds += s
                event[key].seconds += e
    ms_state = {k: t.scaled(1e3) for k, t in state.items()}
    ms_event = {k: t.scaled(1e3) for k, t in event.items()}
    for k in cases:
        ms_state[k].name, ms_event[k].name = state[k].name, event[k].name
    n = trips * rounds

    def p95(t: Timings) -> float:
        ordered = sorted(t.seconds)
        return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]

    w_o, w_b = ("ours", "wait"), ("bluesky", "wait")
    b_o, b_b = ("ours", "busy"), ("bluesky", "busy")
    figures = [
        Figure(
            "trip during a device wait: put -> 'suspending' (median)",
            ms_state[w_o].median, ms_state[w_b].median, "ms", target=("< 10", 10.0),
            note=(
                f"{n} trips each; a put over the ceiling from another thread 2 ms into a wait on a "
                "status that never finishes by itself; SuspendCeil on a soft signal (ours), bluesky's "
                "SuspendCeil on an ophyd.Signal (bluesky)"
            ),
        ),
        Figure("  the same, 95th percentile", p95(ms_state[w_o]), p95(ms_state[w_b]), "ms",
               target=("< 10", 10.0)),
        Figure("  the same, worst", ms_state[w_o].worst, ms_state[w_b].worst, "ms"),
        Figure(
            "  put -> the interruption event emitted (median)",
            ms_event[w_o].median, ms_event[w_b].median, "ms",
            note="after the rewind, stop() of moved devices and pause() of devices",
        ),
        Figure(
            "trip while dispatching messages: put -> 'suspending' (median)",
            ms_state[b_o].median, ms_state[b_b].median, "ms", target=("< 10", 10.0),
            note="the plan yields checkpoints and Msg('null') back to back; the trip is taken at the next message",
        ),
        Figure("  the same, 95th percentile", p95(ms_state[b_o]), p95(ms_state[b_b]), "ms",
               target=("< 10", 10.0)),
    ]
    return figures, [*ms_state.values(), *ms_event.values()]


def nulls(msg: Callable[..., Any], n: int) -> Any:
    null = msg("null")
    for _ in range(n):
        yield null


def _timed(func: Callable[[], Any]) -> float:
    gc.collect()
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def bench_overhead(args: Any) -> tuple[list[Figure], list[Timings]]:
    n = 100_000
    n_bs = n // 20
    repeats = args.repeats * 4
    ours = RunEngine(store=None, context_managers=[])
    bs = BlueskyRE(context_managers=[])
    signals = [soft_signal_rw(float, 0.0, name=f"guard{i}") for i in range(3)]
    guards = [SuspendCeil(sig, 1.5) for sig in signals]
    bs_guards = [BlueskyCeil(Signal(name=f"guard{i}", value=0.0), 1.5) for i in range(3)]
    stop = threading.Event()

    def updater() -> None:  # the watched signals change 1000 times a second meanwhile
        value = 0.0
        while not stop.wait(0.001):
            value = 0.5 - value
            for sig in signals:
                sig.put(value)

    def run_ours() -> None:
        ours(nulls(Msg, n))

    def with_updates() -> None:
        stop.clear()
        thread = threading.Thread(target=updater, name="bench-updater")
        thread.start()
        try:
            run_ours()
        finally:
            stop.set()
            thread.join()

    def run_bs() -> None:
        bs(nulls(BlueskyMsg, n_bs))

    def install(engine: Any, suspenders: list) -> None:
        for suspender in suspenders:
            engine.install_suspender(suspender)

    cases: list[tuple[str, Callable[[], None], Callable[[], None]]] = [
        ("none installed", ours.clear_suspenders, run_ours),
        ("3 installed", lambda: install(ours, guards), run_ours),
        ("none installed, signals at 1 kHz", ours.clear_suspenders, with_updates),
        ("3 installed, signals at 1 kHz", lambda: install(ours, guards), with_updates),
        ("bluesky, none installed", bs.clear_suspenders, run_bs),
        ("bluesky, 3 installed", lambda: install(bs, bs_guards), run_bs),
    ]
    times = {name: Timings(name) for name, _, _ in cases}
    for round_ in range(repeats + 1):  # the same engine each time; set up untimed; interleaved
        for name, setup, run in cases:
            setup()
            elapsed = _timed(run)
            if round_:  # the first round warms up
                times[name].seconds.append(elapsed)
    ours.clear_suspenders()
    bs.clear_suspenders()
    per = {k: t.scaled(1e6 / (n_bs if k.startswith("bluesky") else n)) for k, t in times.items()}
    for k in per:
        per[k].name = f"Msg('null'), {k}"
    m = {k: t.median for k, t in per.items()}

    sig = soft_signal_rw(float, 0.0, name="bare")
    watched = soft_signal_rw(float, 0.0, name="watched")
    watched_re = RunEngine(store=None, context_managers=[])
    watched_re.install_suspender(SuspendCeil(watched, 1.5))
    puts = 20_000 if args.quick else 100_000

    def put_many(target: Any) -> Callable[[], None]:
        def run() -> None:
            put = target.put
            for i in range(puts):
                put(0.25 if i & 1 else 0.5)

        return run

    put_times = interleave({"bare": put_many(sig), "watched": put_many(watched)}, repeats=repeats)
    put_us = {k: t.scaled(1e6 / puts) for k, t in put_times.items()}
    for k in put_us:
        put_us[k].name = f"soft signal put, {k}"
    figures = [
        Figure(
            "dispatch of Msg('null') with 3 untripped suspenders installed",
            m["3 installed"], m["bluesky, 3 installed"], "us/msg",
            note=(
                f"{n:,} messages ours, {n_bs:,} bluesky; {repeats} repeats; one engine each, the "
                "suspenders installed or cleared (untimed) before each run, cases interleaved"
            ),
        ),
        Figure(
            "  overhead of the 3 suspenders: with / without",
            m["3 installed"], m["none installed"], "us/msg", reference="none installed",
            target=("<= 1.05", 1.05), on_ratio=True,
        ),
        Figure(
            "  bluesky's overhead of 3 suspenders: with / without",
            m["bluesky, 3 installed"], m["bluesky, none installed"], "us/msg",
            reference="none installed (bluesky)", on_ratio=False,
        ),
        Figure(
            "  while the 3 signals change 1000 times/s: with / without",
            m["3 installed, signals at 1 kHz"], m["none installed, signals at 1 kHz"], "us/msg",
            reference="none installed",
            note=(
                "another thread puts a new value to each of the 3 signals every millisecond, "
                "watched (each update judged by its suspender) or not"
            ),
        ),
        Figure(
            "cost of a watched signal's update (put + the suspender's check)",
            put_us["watched"].median, put_us["bare"].median, "us/put", reference="unwatched put",
            note=f"{puts:,} puts of values under the ceiling, from the main thread",
        ),
    ]
    return figures, [*per.values(), *put_us.values()]


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    logging.getLogger("bluesky").setLevel(logging.CRITICAL)
    print_header("suspenders (issue 4)", args)
    started = time.perf_counter()
    figures, raw = bench_latency(args)
    print_timings("trip latencies", raw, "ms")
    more, raw = bench_overhead(args)
    print_timings("dispatch and signal updates", raw, "us")
    print_table("suspenders (issue 4)", figures + more)
    print(f"\ntotal time: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
