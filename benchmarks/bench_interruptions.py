"""Pause, resume and rewind-cache costs against bluesky (issue 3).

Run ``python benchmarks/bench_interruptions.py`` (``--quick`` for a short
run). Both engines run in this one process. Latencies are taken from the
moment another thread calls ``request_pause()`` to the ``state_hook`` call
that reports ``'paused'``; each case is repeated and its median and worst
are printed. The script always exits 0.
"""

from __future__ import annotations

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
from bluesky.utils import Msg as BlueskyMsg  # noqa: E402
from bluesky.utils import RunEngineInterrupted as BlueskyInterrupted  # noqa: E402

from benchplan import Msg, RunEngine, RunEngineInterrupted  # noqa: E402
from benchplan.devices import soft_signal_rw  # noqa: E402
from benchplan.devices.sim import det  # noqa: E402
from benchplan.plans import count  # noqa: E402

INTERRUPTED = (RunEngineInterrupted, BlueskyInterrupted)


class Marks:
    """Time stamps of one interrupted run: the request, the 'paused' state, the raise."""

    def __init__(self) -> None:
        self.request: Optional[float] = None
        self.paused: Optional[float] = None
        self.raised: Optional[float] = None

    def hook(self, new: Any, old: Any) -> None:
        if new == "paused" and self.paused is None:
            self.paused = time.perf_counter()


def _wait_running(engine: Any, timeout: float = 5.0) -> None:
    deadline = time.perf_counter() + timeout
    while engine.state != "running":
        if time.perf_counter() > deadline:
            raise RuntimeError(f"the {type(engine).__module__} RunEngine never started running the plan")
        time.sleep(0.001)


def pause_once(engine: Any, plan: Any, *, defer: bool, after: float) -> Marks:
    """Run ``plan``; ``after`` seconds into it request a pause from another thread; abort."""
    marks = Marks()
    engine.state_hook = marks.hook

    def requester() -> None:
        _wait_running(engine)
        time.sleep(after)
        marks.request = time.perf_counter()
        engine.request_pause(defer=defer)

    thread = threading.Thread(target=requester, name="bench-pause-requester")
    thread.start()
    try:
        engine(plan)
    except INTERRUPTED:
        marks.raised = time.perf_counter()
    finally:
        thread.join()
        engine.state_hook = None
    if engine.state == "paused":
        engine.abort("benchmark")
    if marks.paused is None or marks.raised is None:
        raise RuntimeError(f"the plan on the {type(engine).__module__} RunEngine did not pause")
    return marks


def sleep_plan(msg: Callable[..., Any]) -> list:
    return [msg("open_run"), msg("checkpoint"), msg("sleep", None, 10.0), msg("close_run")]


def bench_pauses(ours: RunEngine, bs: BlueskyRE, args: Any) -> tuple[list[Figure], list[Timings]]:
    n = max(args.repeats * 2, 5)
    figures: list[Figure] = []
    raw: list[Timings] = []
    results: dict[str, dict[str, Timings]] = {}
    cases: list[tuple[str, Callable[[Any, Callable[..., Any]], Any], bool]] = [
        ("immediate", lambda eng, m: sleep_plan(m), False),
        ("deferred", lambda eng, m: count([det], 10_000_000), True),
    ]
    for kind, make, defer in cases:
        for label, engine, msg in (("ours", ours, Msg), ("bluesky", bs, BlueskyMsg)):
            to_state = Timings(f"{kind} pause: request -> 'paused', {label}")
            to_raise = Timings(f"{kind} pause: request -> RE() raises, {label}")
            with quiet():
                for _ in range(n):
                    marks = pause_once(engine, make(engine, msg), defer=defer, after=0.05)
                    to_state.seconds.append(marks.paused - marks.request)  # type: ignore[operator]
                    to_raise.seconds.append(marks.raised - marks.request)  # type: ignore[operator]
            results.setdefault(kind, {})[label] = to_state.scaled(1e3)
            results[kind][label + " raise"] = to_raise.scaled(1e3)
            for t in (to_state, to_raise):
                scaled = t.scaled(1e3)
                scaled.name = t.name
                raw.append(scaled)
    imm, dfr = results["immediate"], results["deferred"]
    figures += [
        Figure(
            "immediate pause during a 10 s sleep: request -> 'paused' (median)",
            imm["ours"].median, imm["bluesky"].median, "ms", target=("< 50", 50.0),
            note=f"{n} repeats; request_pause() from another thread 50 ms into Msg('sleep', None, 10)",
        ),
        Figure(
            "  the same, worst of the repeats",
            imm["ours"].worst, imm["bluesky"].worst, "ms", target=("< 50", 50.0),
        ),
        Figure(
            "  the same, request -> RE(...) raises RunEngineInterrupted (median)",
            imm["ours raise"].median, imm["bluesky raise"].median, "ms",
        ),
        Figure(
            "deferred pause at the next checkpoint: request -> 'paused' (median)",
            dfr["ours"].median, dfr["bluesky"].median, "ms",
            note=(
                f"{n} repeats; benchplan.plans.count([det]) with the sim detector on both engines "
                "(a checkpoint every point: ~25 us steps on ours, ~0.4 ms on bluesky); bluesky "
                "sleeps 0.5 s at the checkpoint on purpose (to catch a second Ctrl+C) before pausing"
            ),
        ),
        Figure("  the same, worst of the repeats", dfr["ours"].worst, dfr["bluesky"].worst, "ms"),
    ]
    return figures, raw


def resume_plan(msg: Callable[..., Any]) -> list:
    return [msg("open_run"), msg("checkpoint"), msg("pause"), *[msg("null")] * 10, msg("close_run")]


def bench_resume(ours: RunEngine, bs: BlueskyRE, args: Any) -> tuple[list[Figure], list[Timings]]:
    n = max(args.repeats * 4, 10)
    timings: dict[str, Timings] = {}
    with quiet():
        for label, engine, msg in (("ours", ours, Msg), ("bluesky", bs, BlueskyMsg)):
            t = Timings(f"resume() until a trivial remainder ends, {label}")
            for _ in range(n):
                try:
                    engine(resume_plan(msg))
                except INTERRUPTED:
                    pass
                if engine.state != "paused":
                    raise RuntimeError(f"Msg('pause') did not pause the {label} RunEngine")
                start = time.perf_counter()
                engine.resume()
                t.seconds.append(time.perf_counter() - start)
            timings[label] = t.scaled(1e3)
            timings[label].name = t.name
    fig = Figure(
        "resume cost: RE.resume() until the plan's trivial remainder ends (median)",
        timings["ours"].median, timings["bluesky"].median, "ms",
        note=(
            f"{n} repeats; plan: open_run, checkpoint, pause, 10 x null, close_run; the time of the "
            "blocking resume() call (replay of the step, remainder, stop document, unblocking)"
        ),
    )
    return [fig], list(timings.values())


def recorded_plan(msg: Callable[..., Any], sig: Any, steps: int, per_step: int, record: bool) -> Any:
    """Steps of ``checkpoint`` + ``per_step`` (read, set, wait) triplets; all recordable."""
    if not record:
        yield msg("rewindable", None, False)
    checkpoint = msg("checkpoint")
    read = msg("read", sig)
    put = msg("set", sig, 1.0, group="g")
    wait = msg("wait", None, group="g")
    for _ in range(steps):
        yield checkpoint
        for _ in range(per_step):
            yield read
            yield put
            yield wait


def noop_plan(msg: Callable[..., Any], steps: int, per_step: int, record: bool) -> Any:
    """Steps of ``checkpoint`` + ``per_step`` messages of a registered no-op command, which is recorded."""
    if not record:
        yield msg("rewindable", None, False)
    checkpoint = msg("checkpoint")
    noop = msg(NOOP)
    for _ in range(steps):
        yield checkpoint
        for _ in range(per_step):
            yield noop


NOOP = "bench_noop"


def _sync_noop(msg: Any) -> None:
    return None


async def _async_noop(msg: Any) -> None:
    return None


def bench_rewind_cache(ours: RunEngine, bs: BlueskyRE, args: Any) -> tuple[list[Figure], list[Timings]]:
    steps, per_step = (1_000, 10) if args.quick else (3_000, 10)
    n_msgs = steps * (1 + 3 * per_step)
    n_null = 30_000
    repeats = args.repeats * 3
    sig = soft_signal_rw(float, 0.0, name="sig")
    ours.register_command(NOOP, _sync_noop)
    bs.register_command(NOOP, _async_noop)  # bluesky takes only coroutine functions

    def nulls(msg: Callable[..., Any]) -> Any:
        null = msg("null")
        for _ in range(n_null):
            yield null

    times = interleave(
        {
            "ours null": lambda: ours(nulls(Msg)),
            "ours noop on": lambda: ours(noop_plan(Msg, steps, 3 * per_step, True)),
            "ours noop off": lambda: ours(noop_plan(Msg, steps, 3 * per_step, False)),
            "ours rsw on": lambda: ours(recorded_plan(Msg, sig, steps, per_step, True)),
            "ours rsw off": lambda: ours(recorded_plan(Msg, sig, steps, per_step, False)),
            "bs null": lambda: bs(nulls(BlueskyMsg)),
            "bs noop on": lambda: bs(noop_plan(BlueskyMsg, steps // 10, 3 * per_step, True)),
            "bs noop off": lambda: bs(noop_plan(BlueskyMsg, steps // 10, 3 * per_step, False)),
            "bs rsw on": lambda: bs(recorded_plan(BlueskyMsg, sig, steps // 10, per_step, True)),
            "bs rsw off": lambda: bs(recorded_plan(BlueskyMsg, sig, steps // 10, per_step, False)),
        },
        repeats=repeats,
    )
    per = {}
    for key, t in times.items():
        size = n_null if "null" in key else (n_msgs if key.startswith("ours") else n_msgs // 10)
        per[key] = t.scaled(1e6 / size)
        per[key].name = f"rewind cache: {key}"
    m = {key: t.median for key, t in per.items()}
    figures = [
        Figure("dispatch of Msg('null') (never recorded)", m["ours null"], m["bs null"],
               "us/msg", note=f"{n_null:,} messages, {repeats} repeats"),
        Figure(
            "recorded no-op command, rewind cache recording", m["ours noop on"], m["bs noop on"], "us/msg",
            note=(
                f"steps of checkpoint + {3 * per_step} messages of a registered no-op command (recorded "
                f"like set/read); {n_msgs:,} messages on ours, {n_msgs // 10:,} on bluesky (its "
                "commands must be coroutines)"
            ),
        ),
        Figure("  recording off: Msg('rewindable', None, False) first", m["ours noop off"], m["bs noop off"],
               "us/msg"),
        Figure(
            "  cost of keeping the rewind cache (recording - off)",
            m["ours noop on"] - m["ours noop off"], m["bs noop on"] - m["bs noop off"], "us/msg",
            target=("<= 3", 3.0),
            note="difference of two medians: within timing noise when near zero (it can come out negative)",
        ),
        Figure(
            "recorded (read, set, wait) on a soft signal, recording",
            m["ours rsw on"], m["bs rsw on"], "us/msg",
            note=(
                f"steps of checkpoint + {per_step} x (read, set, wait) on a benchplan soft signal; "
                "includes the device calls and status handling"
            ),
        ),
        Figure("  recording off: Msg('rewindable', None, False) first", m["ours rsw off"], m["bs rsw off"],
               "us/msg"),
        Figure(
            "  cost of keeping the rewind cache (recording - off)",
            m["ours rsw on"] - m["ours rsw off"], m["bs rsw on"] - m["bs rsw off"], "us/msg",
            target=("<= 3", 3.0),
        ),
    ]
    return figures, list(per.values())


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    # bluesky logs each abort with a traceback, and a warning about tracing; both expected here
    logging.getLogger("bluesky").setLevel(logging.CRITICAL)
    print_header("interruptions (issue 3)", args)
    ours = RunEngine(store=None, context_managers=[])
    bs = BlueskyRE(context_managers=[])
    started = time.perf_counter()
    figures: list[Figure] = []
    raw: list[Timings] = []
    for step in (bench_pauses, bench_resume):
        f, r = step(ours, bs, args)
        figures += f
        raw += r
    print_timings("latencies", raw, "ms")
    f, r = bench_rewind_cache(ours, bs, args)
    figures += f
    print_timings("rewind cache", r, "us/msg")
    print_table("interruptions (issue 3)", figures)
    print(f"\ntotal time: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
