"""Timing helpers shared by the ``bench_*.py`` scripts.

A script measures, then prints one table of :class:`Figure` rows::

    from _common import Figure, interleave, parse_args, print_header, print_table

    args = parse_args("What this script measures.")
    print_header("engine")
    times = interleave({"ours": run_ours, "bluesky": run_bluesky}, repeats=args.repeats)
    fig = Figure("bare dispatch", times["ours"].median / N * 1e6,
                 times["bluesky"].median / N * 1e6, "us/msg", target=("<= 3", 3.0))
    print_table("engine", [fig])

Two environment variables connect a script to ``run_all.py``: with
``BENCHPLAN_BENCH_JSON`` set to a path, :func:`print_table` also appends its
rows there (one JSON object a line) for the summary; with
``BENCHPLAN_BENCH_QUICK=1``, :func:`parse_args` defaults to the quick run.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import io
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterator, Optional

__all__ = [
    "Figure",
    "Timings",
    "interleave",
    "machine_info",
    "parse_args",
    "print_header",
    "print_table",
    "print_timings",
    "quiet",
    "repeat",
]

JSON_ENV = "BENCHPLAN_BENCH_JSON"
QUICK_ENV = "BENCHPLAN_BENCH_QUICK"


@dataclass
class Timings:
    """Wall-clock durations, in seconds, of repeated runs of one thing."""

    name: str
    seconds: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def worst(self) -> float:
        return max(self.seconds)

    def scaled(self, factor: float) -> "Timings":
        """The same timings multiplied by ``factor`` (e.g. ``1e6 / n`` for us per item)."""
        return Timings(self.name, [s * factor for s in self.seconds])


def _timed(func: Callable[[], Any]) -> float:
    gc.collect()
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def repeat(func: Callable[[], Any], repeats: int = 5, *, warmup: int = 1, name: str = "") -> Timings:
    """Run ``func()`` ``warmup`` times untimed, then ``repeats`` times timed.

    The garbage collector stays on (users run with it on) but is emptied
    before each timed run, so one run does not pay for the last one's garbage.
    """
    for _ in range(warmup):
        func()
    timings = Timings(name or getattr(func, "__name__", "?"))
    for _ in range(repeats):
        timings.seconds.append(_timed(func))
    return timings


def interleave(
    funcs: dict[str, Callable[[], Any]], repeats: int = 5, *, warmup: int = 1
) -> dict[str, Timings]:
    """Time several functions round-robin (a, b, a, b, ...) in one process.

    Interleaving spreads a slow spell of a busy machine over all the
    candidates instead of loading it on one, which keeps ratios honest.
    """
    for _ in range(warmup):
        for func in funcs.values():
            func()
    out = {name: Timings(name) for name in funcs}
    for _ in range(repeats):
        for name, func in funcs.items():
            out[name].seconds.append(_timed(func))
    return out


@contextlib.contextmanager
def quiet() -> Iterator[io.StringIO]:
    """Swallow what is printed meanwhile (bluesky prints 'Pausing...' and banners)."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        yield buffer


@dataclass
class Figure:
    """One row of a results table.

    ``ours`` and ``bluesky`` are in ``unit`` (None when not measured);
    ``target`` is ``(text, limit)``: the row passes when ``ours <= limit``, or,
    when ``on_ratio`` is true, when ``ours / bluesky <= limit``. A row whose
    check is not a limit (memory that must stay flat) sets ``passed`` itself.
    ``reference`` names what the ``bluesky`` column holds when it is not
    bluesky (raw pyvisa-py, say); the table then heads the column ``reference``.
    """

    name: str
    ours: Optional[float]
    bluesky: Optional[float]
    unit: str
    target: Optional[tuple[str, float]] = None
    on_ratio: bool = False
    passed: Optional[bool] = None
    note: str = ""
    script: str = ""
    reference: str = "bluesky"

    @property
    def ratio(self) -> Optional[float]:
        """ours / bluesky (below 1: we are faster); None unless both are positive."""
        if self.ours is None or self.bluesky is None or self.ours <= 0 or self.bluesky <= 0:
            return None
        return self.ours / self.bluesky

    def verdict(self) -> str:
        passed = self.passed
        if passed is None and self.target is not None:
            value = self.ratio if self.on_ratio else self.ours
            if value is not None:
                passed = value <= self.target[1]
        if passed is None:
            return "-"
        return "PASS" if passed else "FAIL"


def _fmt(value: Optional[float]) -> str:
    if value is None:
        return "-"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _ratio_text(fig: Figure) -> str:
    ratio = fig.ratio
    if ratio is None:
        return "-"
    return f"{ratio:.3f}" if ratio < 0.1 else f"{ratio:.2f}"


def format_table(figures: list[Figure], *, with_script: bool = False) -> str:
    """The rows as an aligned text table."""
    mixed = any(f.reference != "bluesky" for f in figures)
    ref, ratio = ("reference", "ours/ref") if mixed else ("bluesky", "ours/bs")
    head = ["benchmark", "unit", "ours", ref, ratio, "target", "result"]
    if with_script:
        head.insert(0, "script")
    rows = []
    for fig in figures:
        target = "-"
        if fig.target is not None:
            target = ("ratio " if fig.on_ratio else "") + fig.target[0]
        row = [fig.name, fig.unit, _fmt(fig.ours), _fmt(fig.bluesky), _ratio_text(fig), target, fig.verdict()]
        if with_script:
            row.insert(0, fig.script)
        rows.append(row)
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    numeric = {"ours", "bluesky", "ours/bs", "reference", "ours/ref"}
    lines = []
    for row in [head] + rows:
        cells = [
            str(c).rjust(w) if h in numeric else str(c).ljust(w)
            for c, w, h in zip(row, widths, head)
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = []
    for i, fig in enumerate(figures, 1):
        text = fig.note
        if mixed and fig.reference != "bluesky" and fig.bluesky is not None:
            text = f"reference: {fig.reference}" + (f"; {text}" if text else "")
        if text:
            notes.append(f"  [{i}] {fig.name}: {text}")
    if notes:
        lines.append("")
        lines.append("notes:")
        lines.extend(notes)
    return "\n".join(lines)


def print_table(title: str, figures: list[Figure]) -> None:
    """Print the results table; also append the rows to ``$BENCHPLAN_BENCH_JSON``."""
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else title
    for fig in figures:
        fig.script = fig.script or script
    print(f"\n== {title}: results ==")
    print(format_table(figures))
    sys.stdout.flush()
    path = os.environ.get(JSON_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            for fig in figures:
                out.write(json.dumps({**asdict(fig), "verdict": fig.verdict()}) + "\n")


def print_timings(title: str, timings: list[Timings], unit: str = "s") -> None:
    """Print best, median and worst of each measurement, and the number of repeats."""
    print(f"\n-- {title} (raw, {unit}) --")
    width = max(len(t.name) for t in timings)
    print(f"{'measurement'.ljust(width)}  {'n':>3}  {'best':>10}  {'median':>10}  {'worst':>10}")
    for t in timings:
        print(
            f"{t.name.ljust(width)}  {len(t.seconds):>3}  {_fmt(t.best):>10}  "
            f"{_fmt(t.median):>10}  {_fmt(t.worst):>10}"
        )
    sys.stdout.flush()


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(module: str) -> str:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:
        return "not installed"


def machine_info() -> dict[str, str]:
    """Cores, CPU, Python, package versions, date and load: the context of the figures."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    try:
        load = "%.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        load = "?"
    return {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cores": f"{usable} usable ({os.cpu_count()} online)",
        "cpu": _cpu_model(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()}",
        "packages": ", ".join(
            f"{p} {_version(p)}" for p in ("benchplan", "bluesky", "ophyd", "event-model")
        ),
        "load average": load,
    }


def print_header(title: str, args: Optional[argparse.Namespace] = None) -> None:
    """Print the script's title and the machine it runs on."""
    print(f"== benchplan benchmarks: {title} ==")
    for key, value in machine_info().items():
        print(f"{key:>13}: {value}")
    if args is not None:
        print(f"{'settings':>13}: repeats={args.repeats}{' quick' if args.quick else ''}")
    sys.stdout.flush()


def parse_args(
    description: str,
    *,
    repeats: int = 5,
    configure: Optional[Callable[[argparse.ArgumentParser], None]] = None,
) -> argparse.Namespace:
    """The common options (``--repeats``, ``--quick``) plus the script's own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--repeats", type=int, default=None, help=f"timed runs of each case (default {repeats}; quick: 3)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get(QUICK_ENV, "") not in ("", "0"),
        help=f"smaller sizes and fewer repeats (also ${QUICK_ENV}=1)",
    )
    if configure is not None:
        configure(parser)
    args = parser.parse_args()
    if args.repeats is None:
        args.repeats = 3 if args.quick else repeats
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args
