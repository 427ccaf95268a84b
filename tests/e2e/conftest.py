"""End-to-end fixtures: one simulated bench for the session, served from a thread,
reached through pyvisa-py sockets; a fresh session pool for each test.

The bench is shared, so each test starts from the ``*RST`` state with every
fault cleared (10 ohm loads, no spike, answering, no latency).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from benchplan.devices.instruments import Keysight34461A, RigolDP832
from benchplan.devices.simbench import SimBench
from benchplan.devices.visa import SessionPool
from benchplan.testing import sim_bench

LOAD = 10.0  # ohms on every supply output


@pytest.fixture(scope="session")
def session_bench() -> Iterator[SimBench]:
    with sim_bench(load=LOAD) as bench:
        yield bench


def _reset(bench: SimBench) -> None:
    bench.fault.resume_answering()
    bench.fault.set_latency(0.0)
    bench.fault.set_load(LOAD)
    for name in bench.names:
        inst = bench.instrument(name)
        for load in getattr(inst, "loads", ()):
            load.spikes.clear()
        bench.send(name, "*RST;*CLS")


@pytest.fixture
def bench(session_bench: SimBench) -> Iterator[SimBench]:
    _reset(session_bench)
    yield session_bench
    _reset(session_bench)


@pytest.fixture
def pool() -> Iterator[SessionPool]:
    """A pool of this test's own; lock files go to the session's temporary data folder."""
    pool = SessionPool("@py", timeout=1.0)
    yield pool
    from benchplan.devices.instruments import outputs_on

    for backend in outputs_on():  # what a test left on, before its sessions close
        try:
            backend.switch_off()
        except Exception:  # the test broke or closed its instrument on purpose
            backend.safe_off = False
    pool.close()


@pytest.fixture
def psu(bench: SimBench, pool: SessionPool) -> RigolDP832:
    return RigolDP832(bench.address("dp832"), name="psu", pool=pool, poll_rate=50)


@pytest.fixture
def dmm(bench: SimBench, pool: SessionPool) -> Keysight34461A:
    return Keysight34461A(bench.address("dmm"), name="dmm", pool=pool)


def _wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    event = threading.Event()
    for _ in range(int(timeout / 0.005)):
        if condition():
            return True
        event.wait(0.005)
    return condition()


@pytest.fixture
def wait_until() -> Callable[..., bool]:
    """``wait_until(condition, timeout=10)``: check every 5 ms until it holds (True)
    or the timeout passes (False)."""
    return _wait_until
