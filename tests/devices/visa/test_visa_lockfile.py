"""Cross-process instrument locks: holder named, waits, and release on death."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from benchplan.devices.visa import InstrumentLock, SessionPool, lock_dir, lock_path
from benchplan.errors import ResourceInUse

ADDRESS = "TCPIP0::192.168.1.30::5025::SOCKET"

HOLDER_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from benchplan.devices.visa import InstrumentLock, SessionPool

    kind, address, role = sys.argv[1:4]
    if kind == "lock":
        InstrumentLock(address, role=role).acquire()
    else:  # a real session through the pool
        pool = SessionPool("@py", timeout=2.0)
        pool.open(address, holder="psu", role=role)
    print("holding", flush=True)
    time.sleep(120)
    """
)


@pytest.fixture
def holder(tmp_path, lock_files_dir):
    """Start a process holding an address (``holder(kind, address, role)``)."""
    script = tmp_path / "holder_script.py"
    script.write_text(HOLDER_SCRIPT)
    children = []

    def start(kind: str, address: str, role: str) -> subprocess.Popen:
        child = subprocess.Popen(
            [sys.executable, str(script), kind, address, role],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "BENCHPLAN_DATA_DIR": str(tmp_path)},
        )
        children.append(child)
        line = child.stdout.readline()
        assert line == "holding\n", child.stderr.read()
        return child

    yield start
    for child in children:
        child.kill()
        child.wait()
        child.stdout.close()
        child.stderr.close()


def test_lock_dir_follows_benchplan_data_dir(lock_files_dir, tmp_path):
    assert lock_dir() == tmp_path / "locks" == lock_files_dir


def test_lock_dir_defaults_to_the_user_data_dir(monkeypatch):
    import platformdirs

    monkeypatch.delenv("BENCHPLAN_DATA_DIR", raising=False)
    assert lock_dir() == platformdirs.user_data_path("benchplan") / "locks"


def test_lock_file_name_is_sanitised_and_canonical(lock_files_dir):
    path = lock_path("TCPIP::192.168.1.30::5025::SOCKET")
    assert path == lock_path("TCPIP0::192.168.1.30::5025::SOCKET")
    assert path.parent == lock_files_dir
    assert path.name.startswith("TCPIP0_192.168.1.30_5025_SOCKET-")
    assert all(c.isalnum() or c in "._-" for c in path.name)
    # Addresses that sanitise alike still get their own files.
    assert lock_path("ASRL/dev/ttyUSB0::INSTR") != lock_path("ASRL_dev_ttyUSB0::INSTR")


def test_holder_writes_pid_host_program_and_role(lock_files_dir):
    lock = InstrumentLock(ADDRESS, role="battery-simulator (batt)")
    lock.acquire()
    try:
        data = json.loads(lock.path.read_text())
        assert data["pid"] == os.getpid()
        assert data["host"] == socket.gethostname()
        assert data["role"] == "battery-simulator (batt)"
        assert data["address"] == ADDRESS
        assert data["program"]
        lock.set_role("power-supply (psu)")
        assert lock.holder().role == "power-supply (psu)"
    finally:
        lock.release()
    assert lock.path.read_text() == ""
    assert not lock.held


def test_second_holder_gets_resource_in_use_naming_the_first(lock_files_dir):
    first = InstrumentLock(ADDRESS, role="power-supply (psu)")
    first.acquire()
    try:
        with pytest.raises(ResourceInUse) as info:
            InstrumentLock(ADDRESS, role="other").acquire()
    finally:
        first.release()
    text = str(info.value)
    # the holder is this very process (another lock object): the message says so
    assert f"Cannot open the instrument at {ADDRESS}: this process already holds it" in text
    assert "default_pool()" in text
    assert f"pid {os.getpid()} on host {socket.gethostname()!r}" in text
    assert "role 'power-supply (psu)'" in text
    assert "program '" in text
    assert str(first.path) in text


def test_wait_with_timeout_fails_after_the_timeout(lock_files_dir):
    first = InstrumentLock(ADDRESS, role="psu")
    first.acquire()
    try:
        start = time.monotonic()
        with pytest.raises(ResourceInUse, match=r"\(waited 0.2 s\)"):
            InstrumentLock(ADDRESS).acquire(timeout=0.2, poll_interval=0.02)
        assert time.monotonic() - start >= 0.2
    finally:
        first.release()


def test_wait_succeeds_when_the_holder_releases(lock_files_dir):
    first = InstrumentLock(ADDRESS, role="psu")
    first.acquire()
    released = threading.Event()

    def release_soon() -> None:
        time.sleep(0.05)
        first.release()
        released.set()

    threading.Thread(target=release_soon).start()
    second = InstrumentLock(ADDRESS, role="dmm")
    second.acquire(timeout=30, poll_interval=0.01)
    assert released.is_set()
    assert second.holder().role == "dmm"
    second.release()


def test_context_manager_releases(lock_files_dir):
    with InstrumentLock(ADDRESS) as lock:
        assert lock.held
    assert not lock.held
    InstrumentLock(ADDRESS).acquire()  # free again


@pytest.mark.slow
def test_other_process_holding_the_lock_is_named(holder):
    child = holder("lock", ADDRESS, "battery-simulator (batt)")
    with pytest.raises(ResourceInUse) as info:
        InstrumentLock(ADDRESS, role="power-supply").acquire()
    text = str(info.value)
    assert f"pid {child.pid} on host {socket.gethostname()!r}" in text
    assert "program 'holder_script.py lock" in text
    assert "role 'battery-simulator (batt)'" in text


@pytest.mark.slow
def test_sigkill_of_the_holder_releases_the_lock(holder):
    child = holder("lock", ADDRESS, "battery-simulator")
    with pytest.raises(ResourceInUse):
        InstrumentLock(ADDRESS).acquire()
    child.kill()  # SIGKILL: no cleanup runs in the child
    child.wait()
    lock = InstrumentLock(ADDRESS, role="power-supply")
    lock.acquire(timeout=5)
    assert lock.holder().pid == os.getpid()
    lock.release()


@pytest.mark.slow
def test_second_process_opening_a_held_instrument_gets_resource_in_use(holder, scpi_server):
    child = holder("pool", scpi_server.address, "power-supply")
    pool = SessionPool("@py", timeout=1.0)
    try:
        with pytest.raises(ResourceInUse) as info:
            pool.open(scpi_server.address, holder="batt", role="battery-simulator")
        text = str(info.value)
        assert f"Cannot open the instrument at {scpi_server.address}" in text
        assert f"pid {child.pid}" in text
        assert "program 'holder_script.py pool" in text
        assert "role 'power-supply (psu)'" in text
        assert "('batt' wanted it in its battery-simulator role. The instrument's modes are exclusive" in text
        assert pool.addresses == []
        child.kill()
        child.wait()
        transport = pool.open(scpi_server.address, holder="batt", lock_timeout=5)
        assert transport.query("ECHO? mine") == "mine"
    finally:
        pool.close()
