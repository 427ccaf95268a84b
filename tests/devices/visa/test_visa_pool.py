"""The session pool: one shared, reference-counted session per address."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from pyvisa import errors as visa_errors
from pyvisa.constants import StatusCode

from benchplan.devices.visa import InstrumentLock, SessionPool, configure, default_pool
from benchplan.errors import InstrumentConnectionError, InstrumentError, ResourceInUse


class FakeResource:
    """Stands in for a pyvisa resource: answers *IDN? and echoes."""

    def __init__(self, address: str, **options) -> None:
        self.address = address
        self.options = options
        self.timeout = options.get("timeout", 2000)
        self.last = ""
        self.closed = False

    def write(self, command: str) -> None:
        self.last = command

    def read(self) -> str:
        replies = {"*IDN?": "FAKE,INSTRUMENT,0,1", "SYST:ERR?": '0,"No error"'}
        return replies.get(self.last, self.last)

    def close(self) -> None:
        self.closed = True


class FakeResourceManager:
    """Raises VISA 'busy' for the first ``busy`` opens of each address."""

    def __init__(self, busy: int = 0, error: int = StatusCode.error_resource_busy) -> None:
        self.busy = busy
        self.error = error
        self.opened: list[FakeResource] = []

    def open_resource(self, address: str, **options) -> FakeResource:
        if self.busy:
            self.busy -= 1
            raise visa_errors.VisaIOError(self.error)
        resource = FakeResource(address, **options)
        self.opened.append(resource)
        return resource


@pytest.fixture
def rm():
    return FakeResourceManager()


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def fake_pool(lock_files_dir, rm, sleeps):
    pool = SessionPool("@fake", resource_manager=rm, sleep=sleeps.append)
    yield pool
    pool.close()


ADDRESS = "TCPIP0::192.168.1.30::5025::SOCKET"


def test_drivers_on_one_address_share_one_session(pool, scpi_server):
    supply = pool.open(scpi_server.address, holder="psu", role="power-supply")
    battery = pool.open(scpi_server.address.replace("TCPIP0::", "TCPIP::"), holder="batt")
    assert supply.session is battery.session
    assert pool.refcount(scpi_server.address) == 2
    assert supply.idn == scpi_server.idn
    assert scpi_server.received.count("*IDN?") == 1


def test_closing_one_driver_keeps_the_session_of_the_other(pool, scpi_server):
    first = pool.open(scpi_server.address, holder="a")
    second = pool.open(scpi_server.address, holder="b")
    first.close()
    first.close()  # twice is harmless
    assert first.closed
    assert pool.refcount(scpi_server.address) == 1
    assert second.query("ECHO? still open") == "still open"


def test_closing_the_last_driver_closes_the_session_and_frees_the_lock(pool, scpi_server):
    transport = pool.open(scpi_server.address, holder="a")
    transport.close()
    assert pool.addresses == []
    assert pool.refcount(scpi_server.address) == 0
    lock = InstrumentLock(scpi_server.address)
    lock.acquire()
    lock.release()


def test_using_a_closed_transport_says_so(pool, scpi_server):
    transport = pool.open(scpi_server.address, holder="psu")
    transport.close()
    with pytest.raises(InstrumentConnectionError, match="the transport of 'psu' has been closed"):
        transport.query("*IDN?")


def test_open_checks_idn_and_a_dead_port_fails_with_address_and_command(pool, scpi_server):
    port = scpi_server.port
    scpi_server.close()
    address = f"TCPIP0::127.0.0.1::{port}::SOCKET"
    with pytest.raises(InstrumentConnectionError) as info:
        pool.open(address, holder="psu")
    assert info.value.address == address
    assert info.value.command == "*IDN?"
    assert "connection refused" in str(info.value)
    assert pool.addresses == []
    InstrumentLock(address).acquire()  # the lock file was released


def test_busy_open_retries_with_backoff_then_succeeds(fake_pool, rm, sleeps):
    rm.busy = 2
    transport = fake_pool.open(ADDRESS, holder="psu")
    assert sleeps == [0.2, 0.5]
    assert transport.idn == "FAKE,INSTRUMENT,0,1"


def test_busy_open_gives_up_after_the_last_backoff(fake_pool, rm, sleeps):
    rm.busy = 99
    with pytest.raises(ResourceInUse) as info:
        fake_pool.open(ADDRESS, holder="psu")
    assert sleeps == [0.2, 0.5, 1.0, 2.0]
    text = str(info.value)
    assert f"Cannot open the instrument at {ADDRESS}" in text
    assert "busy after 5 attempts over 3.7 s" in text
    assert fake_pool.addresses == []


def test_other_open_errors_are_not_retried(fake_pool, rm, sleeps):
    rm.busy = 1
    rm.error = StatusCode.error_resource_not_found
    with pytest.raises(InstrumentConnectionError, match=f"Opening the instrument at {ADDRESS}"):
        fake_pool.open(ADDRESS, holder="psu")
    assert sleeps == []


def test_socket_resources_get_newline_terminations_and_the_timeout(fake_pool, rm):
    fake_pool.open(ADDRESS, holder="psu", timeout=0.5)
    (resource,) = rm.opened
    assert resource.options == {
        "read_termination": "\n", "write_termination": "\n", "timeout": 500,
    }


def test_reset_drops_cached_drivers_and_modes_but_keeps_sessions(fake_pool):
    transport = fake_pool.open(ADDRESS, holder="psu", mode=(":ENTR:FUNC", ":ENTR:FUNC POW"))
    transport.query(":MEAS:VOLT?")
    assert transport.session.modes == {":ENTR:FUNC": ":ENTR:FUNC POW"}
    driver = fake_pool.cached(("psu", ADDRESS), object)
    assert fake_pool.cached(("psu", ADDRESS), object) is driver
    fake_pool.reset()
    assert fake_pool.cached(("psu", ADDRESS), object) is not driver
    assert transport.session.modes == {}
    assert not transport.closed
    assert transport.query("ECHO") == "ECHO"


def test_an_instrument_without_an_error_queue_gets_a_clear_error(fake_pool):
    transport = fake_pool.open(ADDRESS, holder="psu")
    transport.session.resource.read = lambda: "4.998"  # answers anything with a number
    with pytest.raises(InstrumentError, match="answered SYST:ERR\\? with '4.998'.*check_errors=False"):
        transport.write("VOLT 5")


def test_full_reset_closes_every_session(fake_pool, rm):
    transport = fake_pool.open(ADDRESS, holder="psu")
    (resource,) = rm.opened
    fake_pool.reset(full=True)
    assert resource.closed
    assert transport.closed
    assert fake_pool.addresses == []
    InstrumentLock(ADDRESS).acquire()


def test_the_default_pool_takes_its_library_from_the_environment():
    result = subprocess.run(
        [sys.executable, "-c",
         "from benchplan.devices.visa import default_pool; "
         "print(default_pool().visa_library, default_pool() is default_pool())"],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "BENCHPLAN_VISA_LIBRARY": "@sim"},
    )
    assert result.stdout == "@sim True\n", result.stderr


def test_configure_replaces_the_default_pool_and_closes_the_old_one(lock_files_dir):
    old = configure("@fake", resource_manager=FakeResourceManager())
    transport = old.open(ADDRESS, holder="psu")
    new = configure("@py", timeout=5.0)
    assert default_pool() is new
    assert (new.visa_library, new.timeout) == ("@py", 5.0)
    assert transport.closed
    new.close()


FORK_SCRIPT = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, sys.argv[1])
    from test_visa_pool import FakeResourceManager
    from benchplan.devices.visa import InstrumentLock, SessionPool
    from benchplan.errors import ResourceInUse

    pool = SessionPool("@fake", resource_manager=FakeResourceManager())
    pool.open("TCPIP0::10.1.1.1::5025::SOCKET", holder="psu")
    pid = os.fork()
    if pid == 0:  # the child forgets the parent's sessions without closing them
        os._exit(0 if pool.addresses == [] else 3)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    try:  # and the parent still holds its lock
        InstrumentLock("TCPIP0::10.1.1.1::5025::SOCKET").acquire()
    except ResourceInUse:
        print("parent still holds the lock")
    """
)


@pytest.mark.slow
def test_a_forked_child_forgets_sessions_and_leaves_the_parents_lock(tmp_path):
    script = tmp_path / "fork_script.py"
    script.write_text(FORK_SCRIPT)
    result = subprocess.run(
        [sys.executable, str(script), os.path.dirname(__file__)],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "BENCHPLAN_DATA_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "parent still holds the lock\n"
