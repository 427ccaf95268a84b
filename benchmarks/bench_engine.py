"""Engine throughput against bluesky: dispatch, count, scan, memory (issue 2).

Run ``python benchmarks/bench_engine.py`` (``--quick`` for a short run,
``--max-points 100000`` to skip the 1,000,000-point memory case). Both
engines run in this one process, their cases interleaved; the figures are
medians of several repeats. The script always exits 0: the figures go to
``docs/performance.rst``, they do not gate anything.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import time
import tracemalloc
from typing import Any, Callable, Iterable, Iterator, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (  # noqa: E402
    Figure,
    Timings,
    interleave,
    parse_args,
    print_header,
    print_table,
    print_timings,
)
from bluesky import RunEngine as BlueskyRE  # noqa: E402
from bluesky.plans import count as bs_count  # noqa: E402
from bluesky.plans import scan as bs_scan  # noqa: E402
from bluesky.utils import Msg as BlueskyMsg  # noqa: E402
from ophyd.sim import det as ophyd_det  # noqa: E402
from ophyd.sim import motor as ophyd_motor  # noqa: E402

from benchplan import Msg, RunEngine  # noqa: E402
from benchplan.devices.sim import det, motor  # noqa: E402
from benchplan.plans import count, scan  # noqa: E402


class DocCounter:
    """A subscriber that receives every document and keeps nothing but a count."""

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, name: str, doc: Any) -> None:
        self.n += 1


def nulls(msg_type: Callable[..., Any], n: int) -> Iterable[Any]:
    msg = msg_type("null")
    for _ in range(n):
        yield msg


def bare_drive(plan: Any) -> None:
    """Step a plan doing only its device calls: no documents, statuses or checks.

    What is left of an engine's time per point after subtracting this is the
    engine's own overhead; this part any engine pays (plan code, device code).
    """
    gen = iter(plan)
    send = gen.send
    response: Any = None
    while True:
        try:
            msg = send(response)
        except StopIteration:
            return
        command = msg.command
        if command == "set":
            response = msg.obj.set(*msg.args)
        elif command == "trigger":
            response = msg.obj.trigger()
        elif command == "read":
            response = msg.obj.read()
        elif command == "open_run":
            response = "uid"
        else:
            response = None


@contextlib.contextmanager
def plan_stack_capture_off() -> Iterator[bool]:
    """Stop bluesky's ``@plan`` wrapper from calling ``traceback.format_stack()`` per stub.

    bluesky >= 1.13 wraps each plan stub in ``bluesky.utils.Plan``, which
    records the caller's stack (to warn about a plan never iterated). That
    costs more per point than either engine; with it off, the comparison
    shows the engines. Yields False (and changes nothing) if bluesky has no
    such wrapper.
    """
    import bluesky.utils

    plan_cls = getattr(bluesky.utils, "Plan", None)
    if plan_cls is None or "_stack" not in getattr(plan_cls, "__slots__", ()):
        yield False
        return
    original = plan_cls.__init__

    def init(self: Any, f: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self._iter = f(*args, **kwargs)
        self._stack = None

    plan_cls.__init__ = init
    try:
        yield True
    finally:
        plan_cls.__init__ = original


def per_unit(timings: Timings, n: int, name: str) -> Timings:
    out = timings.scaled(1e6 / n)
    out.name = name
    return out


def bench_dispatch(ours: RunEngine, bs: BlueskyRE, args: Any) -> tuple[list[Figure], list[Timings]]:
    n = 20_000 if args.quick else 100_000
    times = interleave(
        {
            "ours": lambda: ours(nulls(Msg, n)),
            "bluesky": lambda: bs(nulls(BlueskyMsg, n)),
        },
        repeats=args.repeats,
    )
    o, b = per_unit(times["ours"], n, "dispatch ours"), per_unit(times["bluesky"], n, "dispatch bluesky")
    fig = Figure(
        f"bare dispatch: {n:,} x Msg('null')", o.median, b.median, "us/msg", target=("<= 3", 3.0),
        note="a generator yielding one Msg('null') object over and over; each engine with its own Msg",
    )
    return [fig], [o, b]


def bench_points(ours: RunEngine, bs: BlueskyRE, args: Any) -> tuple[list[Figure], list[Timings]]:
    n_ours = 2_000 if args.quick else 10_000
    n_bs = 200 if args.quick else 300
    sink = DocCounter()
    figures: list[Figure] = []
    raw: list[Timings] = []
    cases = [
        ("count", lambda n: count([det], n), lambda n: bs_count([ophyd_det], n), 60.0),
        (
            "scan",
            lambda n: scan([det], motor, -1, 1, n),
            lambda n: bs_scan([ophyd_det], ophyd_motor, -1, 1, n),
            120.0,
        ),
    ]
    for kind, ours_plan, bs_plan, limit in cases:
        times = interleave(
            {
                "own": lambda: ours(ours_plan(n_ours), sink),
                "bs": lambda: bs(bs_plan(n_bs), sink),
                "ours+bsplan": lambda: ours(bs_plan(n_bs), sink),
                "bs+ourplan": lambda: bs(ours_plan(n_bs), sink),
                "floor+bsplan": lambda: bare_drive(bs_plan(n_bs)),
                "floor+ourplan": lambda: bare_drive(ours_plan(n_ours)),
            },
            repeats=args.repeats,
        )
        with plan_stack_capture_off() as patched:
            if patched:
                nostack = interleave(
                    {
                        "ours": lambda: ours(bs_plan(n_bs), sink),
                        "bs": lambda: bs(bs_plan(n_bs), sink),
                        "floor": lambda: bare_drive(bs_plan(n_bs)),
                    },
                    repeats=args.repeats,
                )
        own = per_unit(times["own"], n_ours, f"{kind}: ours, benchplan plan + sim")
        bsn = per_unit(times["bs"], n_bs, f"{kind}: bluesky, bluesky plan + ophyd.sim")
        ours_bs = per_unit(times["ours+bsplan"], n_bs, f"{kind}: ours, bluesky plan + ophyd.sim")
        bs_ours = per_unit(times["bs+ourplan"], n_bs, f"{kind}: bluesky, benchplan plan + sim")
        floor_bs = per_unit(times["floor+bsplan"], n_bs, f"{kind}: no engine, bluesky plan + ophyd.sim")
        floor_ours = per_unit(times["floor+ourplan"], n_ours, f"{kind}: no engine, benchplan plan + sim")
        raw += [own, bsn, ours_bs, bs_ours, floor_bs, floor_ours]
        if patched:
            ns_ours = per_unit(nostack["ours"], n_bs, f"{kind}: ours, bluesky plan (no stack capture)")
            ns_bs = per_unit(nostack["bs"], n_bs, f"{kind}: bluesky, bluesky plan (no stack capture)")
            ns_floor = per_unit(nostack["floor"], n_bs, f"{kind}: no engine, bluesky plan (no stack capture)")
            raw += [ns_ours, ns_bs, ns_floor]
        args_text = "[det], 1 pt" if kind == "count" else "[det], motor, -1, 1"
        figures += [
            Figure(
                f"{kind}({args_text}): each engine with its own plans + sim devices",
                own.median, bsn.median, "us/pt", target=(f"<= {limit:g}", limit),
                note=(
                    f"ours: benchplan.plans.{kind} + benchplan.devices.sim, {n_ours:,} points; "
                    f"bluesky: bluesky.plans.{kind} + ophyd.sim, {n_bs:,} points; "
                    "a subscriber receives every document"
                ),
            ),
            Figure(
                f"{kind}: bluesky.plans.{kind} + ophyd.sim on both engines",
                ours_bs.median, bsn.median, "us/pt", target=("<= 0.5", 0.5), on_ratio=True,
                note=f"{n_bs:,} points; the same plan and devices, only the engine differs",
            ),
            Figure(
                f"{kind}:   engine share of the row above (total - no-engine floor, best runs)",
                ours_bs.best - floor_bs.best, bsn.best - floor_bs.best, "us/pt",
                note=(
                    f"floor = {floor_bs.best:.0f} us/pt (median {floor_bs.median:.0f}): the plan stepped "
                    "with only its device calls (bluesky's plan wrappers and ophyd.sim), which any engine "
                    "pays; best of the repeats, as a difference of medians drowns in load noise"
                ),
            ),
        ]
        if patched:
            figures.append(
                Figure(
                    f"{kind}:   the same with bluesky's per-stub traceback capture off",
                    ns_ours.median, ns_bs.median, "us/pt",
                    note=(
                        "bluesky.utils.Plan patched for this case only to skip traceback.format_stack(); "
                        f"no-engine floor then {ns_floor.median:.0f} us/pt"
                    ),
                )
            )
        figures += [
            Figure(
                f"{kind}: benchplan.plans.{kind} + benchplan.devices.sim on both engines",
                own.median, bs_ours.median, "us/pt",
                note=(
                    f"ours {n_ours:,} points, bluesky {n_bs:,}; no-engine floor "
                    f"{floor_ours.median:.1f} us/pt"
                ),
            ),
        ]
    return figures, raw


def _status_kib(key: str) -> Optional[int]:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return True
    except OSError:
        return False


def bench_memory(ours: RunEngine, args: Any) -> tuple[list[Figure], list[Timings]]:
    sizes = [n for n in (10_000, 100_000, 1_000_000) if n <= args.max_points]
    sink = DocCounter()
    figures: list[Figure] = []
    raw: list[Timings] = []
    growth: dict[int, int] = {}
    resettable = _reset_peak_rss() and _status_kib("VmHWM") is not None
    for n in sizes:
        gc.collect()
        before = _status_kib("VmRSS") or 0
        if resettable:
            _reset_peak_rss()
        start = time.perf_counter()
        ours(count([det], n), sink)
        elapsed = time.perf_counter() - start
        raw.append(per_unit(Timings("", [elapsed]), n, f"memory run: count {n:,}"))
        if resettable:
            growth[n] = (_status_kib("VmHWM") or 0) - before
            figures.append(
                Figure(f"peak RSS growth, count([det], {n:,})", float(growth[n]), None, "KiB",
                       note=f"resident-set high-water mark minus RSS before; {elapsed:.1f} s run")
            )
    if growth:
        first, last = growth[sizes[0]], growth[sizes[-1]]
        flat = last - first <= 2048
        figures.append(
            Figure(
                f"  flat from {sizes[0]:,} to {sizes[-1]:,} points (growth <= 2 MiB)",
                float(last - first), None, "KiB", passed=flat,
                note="a leak of one byte a point would show as about 1 MiB at 1,000,000 points",
            )
        )
    traced = [n for n in (10_000, 50_000) if n <= args.max_points]
    if args.quick:
        traced = traced[:1]
    peaks: dict[int, int] = {}
    for n in traced:
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        ours(count([det], n), sink)
        peaks[n] = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        figures.append(
            Figure(
                f"tracemalloc peak, count([det], {n:,})", peaks[n] / 1024, None, "KiB",
                note="peak of traced allocations above those alive before the run (tracing is ~6x slower)",
            )
        )
    if len(peaks) > 1:
        a, b = peaks[traced[0]], peaks[traced[-1]]
        figures.append(
            Figure(f"  tracemalloc flat from {traced[0]:,} to {traced[-1]:,} (<= +64 KiB)",
                   (b - a) / 1024, None, "KiB", passed=b - a <= 64 * 1024)
        )
    return figures, raw


def main() -> int:
    def configure(parser: Any) -> None:
        parser.add_argument(
            "--max-points", type=int, default=None,
            help="largest count of the memory check (default 1,000,000; quick: 100,000)",
        )

    args = parse_args(__doc__.splitlines()[0], configure=configure)
    if args.max_points is None:
        args.max_points = 100_000 if args.quick else 1_000_000
    print_header("engine throughput (issue 2)", args)
    ours = RunEngine(store=None, context_managers=[])
    bs = BlueskyRE(context_managers=[])
    started = time.perf_counter()
    figures: list[Figure] = []
    raw: list[Timings] = []
    for step in (lambda: bench_dispatch(ours, bs, args), lambda: bench_points(ours, bs, args)):
        f, r = step()
        figures += f
        raw += r
    f, r = bench_memory(ours, args)
    figures += f
    raw += r
    print_timings("per message / per point", raw, "us")
    print_table("engine throughput (issue 2)", figures)
    print(f"\ntotal time: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
