"""``benchplan demo``: a supply scan on the simulated bench that suspends on an
injected over-current, resumes by itself, and ends with a summary."""

from __future__ import annotations

import contextlib
import random
import re
import subprocess
import sys

import pytest

from benchplan._demo import run_demo
from benchplan.testing import sim_bench

ROW = re.compile(r"^\|\s+(\d+) \| [\d:.]+ \|\s+([\d.]+) \|\s+([\d.]+) \|\s+([\d.]+) \|$", re.MULTILINE)


def _demo(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "benchplan.cli", "demo", *args],
        capture_output=True, text=True, timeout=60,
    )


def _rows(out: str) -> list[tuple[int, float, float, float]]:
    return [(int(n), float(v), float(d), float(i)) for n, v, d, i in ROW.findall(out)]


@pytest.mark.slow
def test_the_demo_suspends_on_the_fault_resumes_and_takes_every_point():
    result = _demo("--points", "5", "--delay", "0")
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "| psu_voltage | dmm_dc_voltage | psu_measured_current |" in out
    assert _rows(out) == [
        (1, 0.0, 0.0, 0.0), (2, 1.25, 1.25, 0.125), (3, 2.5, 2.5, 0.25),
        (4, 3.75, 3.75, 0.375), (5, 5.0, 5.0, 0.5),
    ]
    notices = [
        "Injecting a fault: the load draws 2 A more for 1 s.",
        "Suspending the plan at ",
        "SuspendCeil: psu_measured_current = 2.25 is above the ceiling 1.0",
        "psu_measured_current is back to normal",
        "Resuming the plan at ",
    ]
    flat = out.replace("\n  ", " ")  # notices are wrapped to the terminal's width
    where = [flat.index(text) for text in notices]
    assert where == sorted(where)
    assert out.index("|         3 |") < where[0] and where[-1] < out.index("|         4 |")
    summary = " ".join(out[out.index("Done: "):].split())
    assert re.fullmatch(r"Done: 5 of 5 points taken, 1 suspension \(\d+\.\d s held\), exit status "
                        r"'success'; run [0-9a-f]{8}\. The output is off\.", summary), summary
    ours = [line for line in out.splitlines() if not line.startswith(("Suspending", "psu_"))]
    assert max(len(line) for line in ours) <= 80  # the demo's own lines fit a terminal
    assert "scan #1" not in result.stderr  # no progress bar when output goes to a pipe


@pytest.mark.slow
def test_the_demo_with_one_point_has_no_fault_to_show():
    result = _demo("--points", "1", "--delay", "0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert _rows(result.stdout) == [(1, 0.0, 0.0, 0.0)]
    assert "Suspending" not in result.stdout
    assert "Done: 1 of 1 points taken, 0 suspensions" in result.stdout


@pytest.mark.slow
def test_the_demo_refuses_a_bad_number_of_points():
    result = _demo("--points", "0")
    assert result.returncode == 2
    assert "benchplan demo: --points must be 1 or more and --delay 0 or more (got 0 and 0.1)." in (
        result.stdout
    )


@contextlib.contextmanager
def _bench_on_consecutive_ports():
    """A bench like ``benchplan sim``'s: its instruments on consecutive ports."""
    for base in random.Random().sample(range(20000, 60000, 10), 20):
        with contextlib.ExitStack() as stack:
            try:
                bench = stack.enter_context(sim_bench(port_base=base))
            except OSError:
                continue
            yield bench
            return
    pytest.skip("found no 5 consecutive free ports")


def test_the_demo_runs_on_a_bench_already_serving(capsys):
    with _bench_on_consecutive_ports() as bench:
        first = bench.port("dp832")
        assert run_demo(points=2, delay=0, bench=f"127.0.0.1:{first}") == 0
        assert bench.send("dp832", ":OUTP? CH1") == "OFF"
    out = capsys.readouterr().out
    assert f"on the simulated bench at 127.0.0.1:{first}." in out
    assert "Resuming the plan at " in out
    assert "Done: 2 of 2 points taken, 1 suspension" in out


@pytest.mark.parametrize(
    ("bench", "message"),
    [
        ("5025", "Cannot use --bench '5025': give HOST:PORT, the host and first port of a "
                 "running `benchplan sim` (e.g. 127.0.0.1:5025)."),
        ("127.0.0.1:70000", "Cannot use --bench '127.0.0.1:70000': give HOST:PORT"),
    ],
)
def test_the_demo_explains_a_bad_bench_address(capsys, bench, message):
    assert run_demo(points=2, delay=0, bench=bench) == 1
    assert f"benchplan demo failed: {message}" in capsys.readouterr().out


def test_the_demo_names_a_bench_without_the_default_instruments(capsys):
    with sim_bench({"psu": "E36312A"}) as bench:
        port = bench.port("psu")
        assert run_demo(points=2, delay=0, bench=f"127.0.0.1:{port}") == 1
    out = capsys.readouterr().out
    assert "identifies as 'Keysight Technologies,E36312A" in out
    assert "not a simulated DP832" in out
