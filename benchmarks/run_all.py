"""Run every ``benchmarks/bench_*.py`` and print one summary of their figures.

Usage::

    python benchmarks/run_all.py            # the full run (about 3 minutes on 2 quiet cores)
    python benchmarks/run_all.py --quick    # smaller sizes, fewer repeats
    python benchmarks/run_all.py --only engine --json figures.json

Each script runs in a process of its own (so one script's garbage and
threads do not slow the next) with this Python; its output is shown as it
comes. Scripts that print their table with ``_common.print_table`` also hand
their rows to this runner, which prints them all again at the end. The exit
status is 1 only if a script crashed or timed out; figures that miss their
target do not fail the run.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _common import JSON_ENV, QUICK_ENV, Figure, format_table, machine_info  # noqa: E402


def find_scripts(only: list[str]) -> list[str]:
    scripts = sorted(glob.glob(os.path.join(HERE, "bench_*.py")))
    if only:
        scripts = [s for s in scripts if any(word in os.path.basename(s) for word in only)]
    return scripts


def run_script(path: str, *, quick: bool, rows_file: str, timeout: float) -> tuple[str, float]:
    """Run one script; return its status ('ok', 'exit N', 'timeout') and its duration."""
    env = dict(os.environ)
    env[JSON_ENV] = rows_file
    if quick:
        env[QUICK_ENV] = "1"
    print(f"\n######## {os.path.basename(path)} ########", flush=True)
    start = time.perf_counter()
    try:
        result = subprocess.run([sys.executable, path], env=env, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - start
    elapsed = time.perf_counter() - start
    return ("ok" if result.returncode == 0 else f"exit {result.returncode}"), elapsed


def read_rows(path: str) -> list[Figure]:
    figures: list[Figure] = []
    if not os.path.exists(path):
        return figures
    with open(path, encoding="utf-8") as f:
        for line in f:
            data = json.loads(line)
            data.pop("verdict", None)
            if data.get("target") is not None:
                data["target"] = tuple(data["target"])
            figures.append(Figure(**data))
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes and fewer repeats in every script"
    )
    parser.add_argument(
        "--only", nargs="*", default=[], help="run only scripts whose name contains one of these"
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds allowed per script (default 600)"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the machine and every row to PATH")
    args = parser.parse_args()

    scripts = find_scripts(args.only)
    if not scripts:
        print(f"No benchmarks/bench_*.py matched {args.only!r}.", file=sys.stderr)
        return 1
    started = time.perf_counter()
    statuses: list[tuple[str, str, float, int]] = []
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="benchplan-bench-") as tmp:
        for path in scripts:
            rows_file = os.path.join(tmp, os.path.basename(path) + ".jsonl")
            status, elapsed = run_script(path, quick=args.quick, rows_file=rows_file, timeout=args.timeout)
            rows = read_rows(rows_file)
            figures += rows
            statuses.append((os.path.basename(path), status, elapsed, len(rows)))
    total = time.perf_counter() - started

    info = machine_info()
    print("\n\n======== benchplan benchmarks: summary ========")
    for key, value in info.items():
        print(f"{key:>13}: {value}")
    print(f"{'mode':>13}: {'quick' if args.quick else 'full'}; total {total:.0f} s\n")
    width = max(len(s[0]) for s in statuses)
    for name, status, elapsed, n_rows in statuses:
        rows_text = f"{n_rows} rows" if n_rows else "no rows (see its own output above)"
        print(f"  {name.ljust(width)}  {status:<8} {elapsed:6.0f} s  {rows_text}")
    if figures:
        print()
        print(format_table(figures, with_script=True))
        verdicts = [f.verdict() for f in figures]
        print(
            f"\ntargets: {verdicts.count('PASS')} PASS, {verdicts.count('FAIL')} FAIL, "
            f"{verdicts.count('-')} rows without a target"
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(
                {"machine": info, "total_seconds": total, "scripts": statuses,
                 "figures": [{**f.__dict__, "verdict": f.verdict()} for f in figures]},
                out, indent=2,
            )
    crashed = [s for s in statuses if s[1] != "ok"]
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
