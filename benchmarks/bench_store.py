"""What storing every document costs: ``RE(count([det], N))`` with a no-op subscriber,
then with a DocumentStore subscribed (the default commit interval, and committing every
document). Target: the default store costs at most 25 % more than the no-op subscriber.

Besides wall-clock time, the script measures the CPU time of the RunEngine's own thread
(the plan, the documents, the subscribers): on a busy machine it varies much less than
wall-clock time, and it is what the store adds to the plan's path.

    python benchmarks/bench_store.py [--quick] [--repeats N]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ["BENCHPLAN_STORE"] = "off"  # no default store: this script subscribes its own

from _common import Figure, Timings, interleave, parse_args, print_header, print_table, print_timings  # noqa: E402

from benchplan import RunEngine  # noqa: E402
from benchplan.devices.sim import det  # noqa: E402
from benchplan.plans import count  # noqa: E402
from benchplan.store import DocumentStore  # noqa: E402


class EngineThreadClock:
    """A subscriber wrapper that records the CPU time of the RunEngine's thread per run."""

    def __init__(self, subscriber: Callable[[str, dict], Any], timings: Timings) -> None:
        self.subscriber, self.timings, self.started = subscriber, timings, 0.0

    def __call__(self, name: str, doc: dict) -> None:
        if name == "start":
            self.started = time.thread_time()
        self.subscriber(name, doc)
        if name == "stop":
            self.timings.seconds.append(time.thread_time() - self.started)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    n = 2000 if args.quick else 10000
    print_header("document store", args)
    folder = Path(tempfile.mkdtemp(prefix="bench-store-"))
    RE = RunEngine(store=None, control=False, context_managers=[])
    store = DocumentStore(folder / "batched.sqlite")
    eager = DocumentStore(folder / "eager.sqlite", commit_interval=0)

    def noop(name: str, doc: dict) -> None:
        pass

    subscribers = {"no-op subscriber": noop, "DocumentStore": store,
                   "DocumentStore(commit_interval=0)": eager}
    cpu = {name: Timings(name) for name in subscribers}
    clocks = {name: EngineThreadClock(sub, cpu[name]) for name, sub in subscribers.items()}
    cases = {name: (lambda clock=clock: RE(count([det], n), clock)) for name, clock in clocks.items()}
    wall = interleave(cases, repeats=args.repeats)
    for timings in cpu.values():
        del timings.seconds[: len(timings.seconds) - args.repeats]  # drop the warm-up run
    per_point = {name: t.scaled(1e6 / n) for name, t in wall.items()}
    cpu_point = {name: t.scaled(1e6 / n) for name, t in cpu.items()}
    print_timings(f"count([det], {n}), wall clock", list(per_point.values()), unit="us/point")
    print_timings(f"count([det], {n}), CPU of the RunEngine's thread", list(cpu_point.values()),
                  unit="us/point")
    stored = store.runs(limit=1)[0]
    assert stored.num_events == n, stored

    def overhead(table: dict, name: str, stat: str) -> float:
        return (getattr(table[name], stat) / getattr(table["no-op subscriber"], stat) - 1) * 100

    print_table(
        "document store",
        [
            Figure(f"count([det], {n}), no-op subscriber", per_point["no-op subscriber"].best,
                   None, "us/point", note="best wall-clock run"),
            Figure(f"count([det], {n}), DocumentStore", per_point["DocumentStore"].best, None,
                   "us/point", note="best wall-clock run"),
            Figure("store overhead, wall clock (best)", overhead(per_point, "DocumentStore", "best"),
                   None, "%", target=("<= 25", 25.0), note="commit_interval=0.05 s (the default)"),
            Figure("store overhead, wall clock (median)",
                   overhead(per_point, "DocumentStore", "median"), None, "%"),
            Figure("store overhead, RunEngine thread CPU (median)",
                   overhead(cpu_point, "DocumentStore", "median"), None, "%", target=("<= 25", 25.0)),
            Figure("overhead when committing every document (median)",
                   overhead(per_point, "DocumentStore(commit_interval=0)", "median"), None, "%",
                   note="commit_interval=0: one transaction per document"),
        ],
    )
    store.close()
    eager.close()


if __name__ == "__main__":
    main()
