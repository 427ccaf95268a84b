"""``benchplan demo``: a supply scan on the simulated bench, with a fault on the way.

The demo starts a simulated bench in this process (or uses a ``benchplan sim``
already running), steps a DP832's channel 1 from 0 to 5 V into its load,
reads the multimeter across the load and the supply's own current, with a
live table and a progress bar. A :class:`~benchplan.suspenders.SuspendCeil`
watches the supply's current; half-way through, the demo injects a current
spike of 2 A for 1 s, so the plan suspends, and resumes by itself once the
current has been normal for a moment. It ends with a summary.
"""

from __future__ import annotations

import contextlib
import logging
import textwrap
import threading
from typing import Any, Iterator

from ._report import report
from .callbacks import DocumentCollector, LiveTable, RunProgress
from .devices.instruments import Keysight34461A, RigolDP832
from .devices.simbench import DEFAULT_INSTRUMENTS
from .devices.visa import SessionPool
from .engine import RunEngine
from .errors import BenchplanError, FailedStatus, RunEngineInterrupted
from .plans import scan
from .plans import stubs as bps
from .suspenders import SuspendCeil

__all__ = ["run_demo"]

logger = logging.getLogger(__name__)

CEILING = 1.0  # A: the suspender trips above this...
RESUME_BELOW = 0.8  # ...and resumes at or below this,
SETTLE = 0.5  # s: once the current has stayed there this long.
SPIKE = (2.0, 1.0)  # A, s: the injected fault.
WATCHDOG = 30.0  # s beyond the scan's own delays
FIELDS = ["psu_voltage", "dmm_dc_voltage", "psu_measured_current"]


@contextlib.contextmanager
def _instruments(bench: str | None) -> Iterator[tuple[RigolDP832, Keysight34461A, str]]:
    """The supply and the DMM: on a bench started here, or on ``benchplan sim`` at ``bench``."""
    if bench is None:
        from .testing import sim_bench, temporary_pool

        with sim_bench({"psu": "DP832", "dmm": "34461A"}) as sim, temporary_pool(timeout=2.0) as pool:
            yield (
                RigolDP832(sim.address("psu"), name="psu", pool=pool, poll_rate=20),
                Keysight34461A(sim.address("dmm"), name="dmm", pool=pool),
                "a simulated bench started for this demo",
            )
        return
    host, port = _host_port(bench)
    names = list(DEFAULT_INSTRUMENTS)
    pool = SessionPool(timeout=2.0)  # the user's lock files: other programs may use this bench
    address = f"TCPIP0::{host}::{{}}::SOCKET"
    try:
        yield (
            RigolDP832(address.format(port + names.index("dp832")), name="psu", pool=pool, poll_rate=20),
            Keysight34461A(address.format(port + names.index("dmm")), name="dmm", pool=pool),
            f"the simulated bench at {host}:{port}",
        )
    finally:
        pool.close()


def _host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not (sep and host and port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(
            f"Cannot use --bench {text!r}: give HOST:PORT, the host and first port of a "
            "running `benchplan sim` (e.g. 127.0.0.1:5025)."
        )
    return host, int(port)


def _inject_fault(point: int, psu: RigolDP832, suspender: SuspendCeil) -> Any:
    """A callback: after event ``point``, start the spike, and wait (at most 2 s) for the
    suspender to see it, so no point is read during the fault."""

    def callback(name: str, doc: dict) -> None:
        if name == "event" and doc["seq_num"] == point and FIELDS[0] in doc["data"]:
            amps, seconds = SPIKE
            report(f"Injecting a fault: the load draws {amps:g} A more for {seconds:g} s.")
            psu.write(f":SIM:SPIK {amps:g},{seconds:g},1")
            event = threading.Event()
            for _ in range(200):
                if suspender.tripped or event.wait(0.01):
                    break

    return callback


def _settle_and_read(delay: float) -> Any:
    def per_step(detectors: Any, step: Any, pos_cache: Any) -> Any:
        yield from bps.move_per_step(step, pos_cache)
        if delay > 0:
            yield from bps.sleep(delay)
        yield from bps.trigger_and_read(list(detectors) + list(step))

    return per_step


def _run_to_the_end(RE: RunEngine, plan: Any, subs: list[Any]) -> None:
    """Run the plan; when Ctrl+C pauses it, say so and resume (a halt ends it)."""
    try:
        RE(plan, subs)
    except RunEngineInterrupted:
        while RE.state == "paused":
            report(_wrap("Paused. Resuming in this demo; at a prompt you would choose "
                         "RE.resume() or RE.abort()."))
            try:
                RE.resume()
            except RunEngineInterrupted:
                continue


def _halt(RE: RunEngine) -> None:
    report(f"The demo is taking more than {WATCHDOG:g} s longer than it should; halting it.")
    RE.halt()


def _wrap(text: str) -> str:
    return textwrap.fill(text, width=79, break_on_hyphens=False)


def _held_seconds(docs: DocumentCollector) -> float:
    events = docs.events("interruptions")
    held, since = 0.0, None
    for event in events:
        kind, when = event["data"]["interruptions"], event["time"]
        if kind == "suspend":
            since = when
        elif kind == "resume" and since is not None:
            held, since = held + when - since, None
    return held


def run_demo(points: int = 11, delay: float = 0.1, bench: str | None = None) -> int:
    """Scan a simulated supply into its load with an over-current suspender; return an exit code.

    Parameters
    ----------
    points : int
        Points of the scan from 0 to 5 V (at least 1).
    delay : float
        Seconds to let each step settle before reading (leaves time for Ctrl+C).
    bench : str, optional
        ``HOST:PORT`` of a running ``benchplan sim`` (its first port); by
        default a simulated bench is started in this process.

    Examples
    --------
    >>> from benchplan._demo import run_demo
    >>> run_demo(points=3, delay=0)  # doctest: +SKIP
    """
    if points < 1 or not delay >= 0:
        report(f"benchplan demo: --points must be 1 or more and --delay 0 or more "
               f"(got {points} and {delay:g}).")
        return 2
    try:
        with _instruments(bench) as (psu, dmm, where):
            return _run(psu, dmm, where, points, delay)
    except (BenchplanError, FailedStatus, ValueError, OSError) as exc:
        report(f"benchplan demo failed: {exc}")
        return 1


def _run(psu: RigolDP832, dmm: Keysight34461A, where: str, points: int, delay: float) -> int:
    for device, model in ((psu, "DP832"), (dmm, "34461A")):
        if model not in device.idn:
            raise BenchplanError(
                f"Cannot run the demo: {device.address} identifies as {device.idn!r}, not a "
                f"simulated {model}. --bench names the first port of a `benchplan sim` "
                "serving its default instruments (start it without --instrument)."
            )
    ohms = float(psu.query(":SIM:LOAD? 1"))
    psu.ch1.name = "psu"  # shorter data keys (psu_voltage...): the table fits 80 columns
    psu.ch1.voltage.put(0)
    psu.ch1.current.put(3)
    psu.ch1.output.put(True)
    RE = RunEngine(record_interruptions=True)
    suspender = SuspendCeil(psu.ch1.measured_current, CEILING, resume_thresh=RESUME_BELOW,
                            sleep=SETTLE)
    RE.install_suspender(suspender)
    fault_at = (points + 1) // 2 if points > 1 else None
    fault = (
        f" After point {fault_at} the load draws {SPIKE[0]:g} A more for {SPIKE[1]:g} s."
        if fault_at else ""
    )
    report("\n".join([
        _wrap(f"benchplan demo: a DP832 supply into a {ohms:g} ohm load, and a 34461A "
              f"multimeter across the load, on {where}."),
        _wrap(f"Scanning the supply's channel 1 from 0 to 5 V in {points} points. A suspender "
              f"holds the plan while its current is above {CEILING:g} A.{fault}"),
        "Press Ctrl+C to pause (once: at the next point; twice: at once).",
    ]))
    docs = DocumentCollector()
    subs = [LiveTable(FIELDS), RunProgress(), docs]
    if fault_at:
        subs.append(_inject_fault(fault_at, psu, suspender))
    plan = scan([dmm, psu.ch1.measured_current], psu.ch1.voltage, 0, 5, points,
                per_step=_settle_and_read(delay))
    # The fault clears by itself; should the bench stop answering while the plan is
    # suspended, the suspender would hold it for ever: halt it after a generous time.
    watchdog = threading.Timer(WATCHDOG + points * delay, _halt, [RE])
    watchdog.daemon = True
    watchdog.start()
    try:
        _run_to_the_end(RE, plan, subs)
    finally:
        watchdog.cancel()
        RE.remove_suspender(suspender)
        try:
            psu.safe_state()
        except BenchplanError as exc:  # the run's own failure, if any, is the one to show
            logger.error("Could not switch the demo supply's output off: %s", exc)
        RE.close()
    status = docs.stop["exit_status"]
    suspensions = docs.data("interruptions", stream="interruptions").count("suspend")
    report(_wrap(
        f"Done: {len(docs.events())} of {points} points taken, {suspensions} "
        f"suspension{'' if suspensions == 1 else 's'} ({_held_seconds(docs):.1f} s held), "
        f"exit status '{status}'; run {docs.start['uid'][:8]}. The output is off."
    ))
    return 0 if status == "success" else 1
