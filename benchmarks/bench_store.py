"""What storing every document costs: ``RE(count([det], N))`` with a no-op subscriber,
then with a DocumentStore subscribed (the default commit interval, and committing every
document). Target: the default store costs at most 25 % more than the no-op subscriber.

    python benchmarks/bench_store.py [--quick] [--repeats N]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ["BENCHPLAN_STORE"] = "off"  # no default store: this script subscribes its own

from _common import Figure, interleave, parse_args, print_header, print_table, print_timings  # noqa: E402

from benchplan import RunEngine  # noqa: E402
from benchplan.devices.sim import det  # noqa: E402
from benchplan.plans import count  # noqa: E402
from benchplan.store import DocumentStore  # noqa: E402


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    n = 2000 if args.quick else 10000
    print_header("document store", args)
    folder = Path(tempfile.mkdtemp(prefix="bench-store-"))
    RE = RunEngine(control=False, context_managers=[])
    store = DocumentStore(folder / "batched.sqlite")
    eager = DocumentStore(folder / "eager.sqlite", commit_interval=0)

    def noop(name: str, doc: dict) -> None:
        pass

    cases = {
        "no-op subscriber": lambda: RE(count([det], n), noop),
        "DocumentStore": lambda: RE(count([det], n), store),
        "DocumentStore(commit_interval=0)": lambda: RE(count([det], n), eager),
    }
    times = interleave(cases, repeats=args.repeats)
    per_point = {name: t.scaled(1e6 / n) for name, t in times.items()}
    print_timings(f"count([det], {n})", list(per_point.values()), unit="us/point")
    base = per_point["no-op subscriber"].median
    batched = per_point["DocumentStore"].median
    eager_t = per_point["DocumentStore(commit_interval=0)"].median
    stored = store.runs(limit=1)[0]
    assert stored.num_events == n, stored
    print_table(
        "document store",
        [
            Figure(f"count([det], {n}), no-op subscriber", base, None, "us/point"),
            Figure(f"count([det], {n}), DocumentStore", batched, None, "us/point"),
            Figure("store overhead (default)", (batched / base - 1) * 100, None, "%",
                   target=("<= 25", 25.0), note="commit_interval=0.05 s"),
            Figure("store overhead (commit every document)", (eager_t / base - 1) * 100, None, "%",
                   note="commit_interval=0: one transaction per document"),
        ],
    )
    store.close()
    eager.close()


if __name__ == "__main__":
    main()
