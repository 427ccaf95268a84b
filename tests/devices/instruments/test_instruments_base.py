"""The driver base: lazy connection, sharing, raw SCPI, and the package's exports."""

from __future__ import annotations

import pytest

import benchplan.devices.instruments as instruments
from benchplan.devices.instruments import Keysight34461A, RigolDP832
from benchplan.devices.visa import configure
from benchplan.errors import InstrumentConnectionError

DMM = "TCPIP0::dmm34461a.sim::5025::SOCKET"


def test_exports_are_sorted_and_public():
    assert instruments.__all__ == sorted(instruments.__all__)
    for name in instruments.__all__:
        obj = getattr(instruments, name)
        if isinstance(obj, type) or callable(obj):
            assert obj.__module__ == "benchplan.devices.instruments", name


def test_connects_on_first_use_and_reconnects_after_close(sim_pool):
    pool = sim_pool("dmm")
    dmm = Keysight34461A(DMM, name="dmm", pool=pool)
    assert pool.addresses == []
    assert dmm.dc_voltage.get() == pytest.approx(4.99981234)
    assert pool.addresses == [DMM]
    dmm.close()
    assert pool.addresses == []
    assert dmm.dc_current.get() == pytest.approx(0.100012)
    assert pool.refcount(DMM) == 1


def test_raw_scpi_goes_through_the_shared_locked_transport(sim_pool, sent):
    dmm = Keysight34461A(DMM, name="dmm", pool=sim_pool("dmm"))
    assert dmm.query("MEAS:RES?") == "+1.00023000E+03"
    assert "34461A" in dmm.idn
    assert sent() == ["*IDN?", "MEAS:RES?"]


def test_shared_returns_one_driver_until_the_pool_is_reset(sim_pool):
    pool = sim_pool("dmm")
    first = Keysight34461A.shared(DMM, name="dmm", pool=pool)
    assert Keysight34461A.shared(DMM.replace("TCPIP0", "TCPIP"), name="dmm", pool=pool) is first
    assert Keysight34461A.shared(DMM, name="dmm2", pool=pool) is not first
    first.connect()
    pool.reset()
    second = Keysight34461A.shared(DMM, name="dmm", pool=pool)
    assert second is not first
    assert pool.addresses == [DMM]  # the session stayed open
    assert first.dc_voltage.get() == second.dc_voltage.get()


def test_a_full_reset_closes_the_session_and_the_driver_reconnects(sim_pool):
    pool = sim_pool("dmm")
    dmm = Keysight34461A(DMM, name="dmm", pool=pool)
    transport = dmm.connect()
    pool.reset(full=True)
    assert transport.closed
    assert pool.addresses == []
    assert dmm.dc_voltage.get() == pytest.approx(4.99981234)


def test_without_a_pool_the_default_pool_is_used(tmp_path, monkeypatch):
    from benchplan.devices.instruments import sim_profile

    monkeypatch.setenv("BENCHPLAN_DATA_DIR", str(tmp_path))
    pool = configure(f"{sim_profile('dmm')}@sim", timeout=0.2)
    try:
        dmm = Keysight34461A(DMM, name="dmm")
        assert dmm.dc_voltage.get() == pytest.approx(4.99981234)
        assert pool.addresses == [DMM]
    finally:
        configure("@py").close()


def test_nothing_listening_is_a_connection_error_naming_the_address(lock_free_port):
    psu = RigolDP832(lock_free_port, name="psu")
    with pytest.raises(InstrumentConnectionError) as info:
        psu.ch1.voltage.get()
    assert info.value.address == lock_free_port
    assert info.value.command == "*IDN?"
    assert "connection refused" in str(info.value)


@pytest.fixture
def lock_free_port(tmp_path, monkeypatch):
    import socket

    monkeypatch.setenv("BENCHPLAN_DATA_DIR", str(tmp_path))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    configure("@py", timeout=0.5)
    yield f"TCPIP0::127.0.0.1::{port}::SOCKET"
    configure("@py").close()


@pytest.mark.parametrize("profile", ["dp800", "dmm", "e36300", "k2281s"])
def test_every_shipped_profile_loads(profile):
    import pyvisa

    from benchplan.devices.instruments import sim_profile

    rm = pyvisa.ResourceManager(f"{sim_profile(profile)}@sim")
    assert rm.list_resources("?*")


def test_an_unknown_profile_lists_the_profiles():
    from benchplan.devices.instruments import sim_profile

    with pytest.raises(ValueError, match="There is no simulation profile 'x'; the profiles are 'dp800'"):
        sim_profile("x")
