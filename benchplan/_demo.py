"""``benchplan demo``: a scan on simulated devices with a live table and a progress bar."""

from __future__ import annotations

from ._report import report
from .callbacks import LiveTable, RunProgress
from .devices.sim import SimGaussianDetector, SimMotor
from .engine import RunEngine
from .errors import RunEngineInterrupted
from .plans import scan

__all__ = ["run_demo"]


def run_demo(points: int = 11, delay: float = 0.1) -> int:
    """Scan a simulated motor across a simulated Gaussian peak; return an exit code."""
    motor = SimMotor("motor", delay=delay)
    det = SimGaussianDetector("det", motor, "motor", center=0.0, Imax=1.0, sigma=1.0)
    RE = RunEngine()
    report(
        f"Scanning a simulated motor from -2 to 2 in {points} points with a simulated detector.\n"
        "Press Ctrl+C to pause (once: at the next point; twice: at once)."
    )
    try:
        uids = RE(scan([det], motor, -2, 2, points), [LiveTable(["motor", "det"]), RunProgress()])
    except RunEngineInterrupted:
        report("Paused. Resuming in this demo; at a prompt you would choose RE.resume() or RE.abort().")
        uids = RE.resume()
    report(f"Done: run {uids[0]}.")
    return 0
