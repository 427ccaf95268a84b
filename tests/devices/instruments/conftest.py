"""Fixtures for the driver tests: pools on the shipped pyvisa-sim profiles.

Each test gets a fresh copy of the profile (pyvisa-sim keeps a device's state
per profile file for the life of the process) and lock files in a temporary
directory.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator

import pytest

from benchplan.devices.instruments import sim_profile
from benchplan.devices.visa import SessionPool


@pytest.fixture
def sim_pool(tmp_path, monkeypatch) -> Iterator[Callable[[str], SessionPool]]:
    monkeypatch.setenv("BENCHPLAN_DATA_DIR", str(tmp_path))
    pools: list[SessionPool] = []

    def make(profile: str) -> SessionPool:
        copy = tmp_path / f"{profile}-{len(pools)}.yaml"
        shutil.copy(sim_profile(profile), copy)
        pool = SessionPool(f"{copy}@sim", timeout=0.2, lock_dir=tmp_path / "locks")
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.close()


@pytest.fixture
def sent(caplog) -> Callable[[], list[str]]:
    """The commands written to instruments so far (from the pool's debug log)."""
    caplog.set_level(logging.DEBUG, logger="benchplan.devices.visa")

    def commands() -> list[str]:
        return [
            r.args[1]
            for r in caplog.records
            if r.name == "benchplan.devices.visa._session" and r.msg == "%s <- %r"
        ]

    return commands


@pytest.fixture(autouse=True)
def _outputs_left_on(sim_pool):
    """Switch off, after each test, outputs a test left on (so none is
    switched off by the exit handler, on a pool already closed)."""
    yield
    from benchplan.devices.instruments import outputs_on

    for backend in outputs_on():
        try:
            backend.put(False)
        except Exception:  # the test may have closed or broken its instrument
            pass
