"""A station session in one process: connecting roles, releasing them, sim=True, and the
session's outcome and configuration changes in the event log."""

from __future__ import annotations

import socket

import pytest

import benchplan.station as bs
from benchplan.devices.instruments import Keysight34461A, RigolDP832
from benchplan.devices.visa import default_pool
from benchplan.errors import ResourceInUse, RunEngineInterrupted
from benchplan.station import Station, StationError, load_station


def outcomes(station):
    return [(e.data["outcome"], e.data["reason"]) for e in station.events("session_end")]


def test_instrument_connects_a_role_once_and_names_the_device_after_it(station_file, data_dir, bench):
    with bs.connect("bench-a", data_dir=data_dir) as station:
        psu = station.instrument("psu")
        assert isinstance(psu, RigolDP832) and psu.name == "psu"
        assert station.instrument("psu") is psu
        assert default_pool().refcount(bench.address("dp832")) == 1
        vbat = station.instrument("vbat")
        assert vbat is not psu.ch2 and vbat.channel == 2
        assert vbat.name == "vbat" and vbat.voltage.name == "vbat_voltage"
        assert default_pool().refcount(bench.address("dp832")) == 2
        assert set(station.held) == {"psu", "vbat"}
    assert default_pool().refcount(bench.address("dp832")) == 0


def test_devices_connect_roles_on_first_use_for_plans(station_file, data_dir):
    from benchplan import RunEngine
    from benchplan.plans import scan

    with bs.connect("bench-a", data_dir=data_dir) as station:
        devices = station.devices
        assert list(devices) == ["psu", "vbat", "dmm"] and "dmm" in devices and not station.held
        devices.psu.ch1.current.put(1)
        devices.psu.ch1.output.put(True)
        docs = []
        RunEngine()(scan([devices["dmm"]], devices.psu.ch1.voltage, 0, 2, 3), lambda n, d: docs.append((n, d)))
        assert [d["data"]["dmm_dc_voltage"] for n, d in docs if n == "event"] == pytest.approx([0, 1, 2])
        assert isinstance(station.held["dmm"], Keysight34461A)
        with pytest.raises(AttributeError, match="Station 'bench-a' has no role 'scope'; its roles are psu, vbat, dmm"):
            devices.scope
        with pytest.raises(KeyError, match="no role 'scope'"):
            devices["scope"]


def test_connected_and_released_are_logged_with_the_instrument(station_file, data_dir, bench):
    with bs.connect("bench-a", data_dir=data_dir) as station:
        station.instrument("vbat")
        station.release("vbat")
        station.release("vbat")  # not held: nothing happens
        connected, released = station.events(["connected", "released"], role="vbat")
    assert connected.data["driver"] == "RigolDP832" and connected.data["channel"] == 2
    assert connected.data["address"] == bench.address("dp832")
    assert "DP832" in connected.data["idn"]
    assert "vbat_ovp" in connected.data["configuration"]
    assert released.type == "released" and released.id > connected.id


def test_release_switches_off_outputs_the_station_switched_on_and_frees_the_address(
    station_file, data_dir, bench
):
    with bs.connect("bench-a", data_dir=data_dir) as station:
        vbat = station.instrument("vbat")
        vbat.current.put(0.5)
        vbat.output.put(True)
        assert bench.send("dp832", ":OUTP? CH2") == "ON"
        station.release("vbat")
        assert bench.send("dp832", ":OUTP? CH2") == "OFF"
        assert default_pool().refcount(bench.address("dp832")) == 0
        assert "vbat" not in station.held


def test_an_unknown_role_and_a_stopped_station_are_refused_with_what_to_do(station_file, data_dir):
    station = Station(load_station(station_file), data_dir=data_dir)
    with pytest.raises(StationError, match=r"Cannot connect 'psu': station 'bench-a' is not started.*station.start\(\)"):
        station.instrument("psu")
    with station:
        with pytest.raises(StationError, match="has no role 'load'; its roles are psu, vbat, dmm"):
            station.instrument("load")
        with pytest.raises(StationError, match="has no role 'load'"):
            station.release("load")
    with pytest.raises(StationError, match="not started"):
        station.observe("t", 1)


def test_a_second_station_in_the_same_process_shares_the_session(station_file, data_dir, bench):
    # the lock is per process: a second holder in the same process is the pool's business
    with bs.connect("bench-a", data_dir=data_dir) as one, bs.connect("bench-a", data_dir=data_dir) as two:
        assert one.instrument("dmm") is not two.instrument("dmm")
        assert default_pool().refcount(bench.address("dmm")) == 2


def test_sim_true_points_every_role_at_a_bench_of_its_own(station_file, data_dir, bench):
    with bs.connect("bench-a", data_dir=data_dir, sim=True) as station:
        sim = station.sim_bench
        assert sim is not None and sim.names == ["psu", "dmm"]  # vbat shares the psu's address
        psu, vbat = station.instrument("psu"), station.instrument("vbat")
        assert psu.address == sim.address("psu") == vbat.address != bench.address("dp832")
        vbat.voltage.put(7)
        assert sim.send("psu", ":SOUR2:VOLT?").startswith("7")
        assert station.events("connected", role="psu")[0].data["sim"] is True
    assert not sim.running


def test_a_role_with_sim_true_alone_is_simulated(project, data_dir, write_file, bench):
    write_file(project / "stations" / "mixed.yaml", f"""
        instruments:
          psu: {{driver: RigolDP832, sim: true}}
          dmm: {{driver: Keysight34461A, address: "{bench.address('dmm')}"}}
        """)
    with bs.connect("mixed", data_dir=data_dir) as station:
        assert station.sim_bench.names == ["psu"]
        assert station.instrument("dmm").address == bench.address("dmm")


def test_the_session_outcome_is_recorded(station_file, data_dir):
    with bs.connect("bench-a", data_dir=data_dir) as station:
        pass
    with pytest.raises(ZeroDivisionError):
        with bs.connect("bench-a", data_dir=data_dir):
            1 / 0
    with pytest.raises(KeyboardInterrupt):
        with bs.connect("bench-a", data_dir=data_dir):
            raise KeyboardInterrupt
    with pytest.raises(RunEngineInterrupted):
        with bs.connect("bench-a", data_dir=data_dir):
            raise RunEngineInterrupted("The plan was aborted.\nIts runs were closed.")
    with pytest.raises(SystemExit):
        with bs.connect("bench-a", data_dir=data_dir):
            raise SystemExit(3)
    with pytest.raises(SystemExit):
        with bs.connect("bench-a", data_dir=data_dir):
            raise SystemExit(0)
    station.start()
    station.stop()
    assert outcomes(station) == [
        ("passed", ""),
        ("errored", "ZeroDivisionError: division by zero"),
        ("terminated", "KeyboardInterrupt (Ctrl+C)"),
        ("terminated", "The plan was aborted."),
        ("errored", "SystemExit(3)"),
        ("passed", ""),
        ("passed", ""),
    ]
    starts = station.events("session_start")
    assert [s.session for s in starts] == [e.session for e in station.events("session_end")]
    assert starts[0].data["roles"]["vbat"]["channel"] == 2


def test_a_session_that_never_recorded_its_end_is_closed_as_lost_by_the_next(station_file, data_dir):
    from benchplan.station._eventlog import EventLog

    log = EventLog(data_dir / "stations.sqlite", "bench-a", "gone-session").open()
    # a pid above Linux's largest (2**22) belongs to no process
    log.append("session_start", data={"pid": 2 ** 22 + 12345, "host": socket.gethostname()})
    log.close()
    with bs.connect("bench-a", data_dir=data_dir) as station:
        lost = station.events("session_end", session="gone-session")
    assert [e.data["outcome"] for e in lost] == ["lost"]
    assert "ended without recording an outcome" in lost[0].data["reason"]


def test_a_changed_station_file_is_recorded_as_a_configuration_change(station_file, data_dir):
    with bs.connect("bench-a", data_dir=data_dir) as station:
        assert station.events("configuration") == []
    text = station_file.read_text().replace("channel: 2", "channel: 3").replace("{poll_rate: 50}", "{poll_rate: 5}")
    station_file.write_text(text + "  load:\n    driver: RigolDP821\n    sim: true\n")
    with bs.connect("bench-a", data_dir=data_dir) as station:
        (change,) = station.events("configuration")
    assert change.data["source"] == "station file" and change.data["added"] == ["load"]
    assert change.data["changed"] == {
        "psu": {"options": [{"poll_rate": 50}, {"poll_rate": 5}]},
        "vbat": {"channel": [2, 3]},
    }


def test_resource_in_use_names_the_role_and_the_station(station_file, data_dir, bench, monkeypatch):
    from benchplan.devices.visa import InstrumentLock

    lock = InstrumentLock(bench.address("dmm"), role="someone else")
    lock.acquire()
    try:
        with bs.connect("bench-a", data_dir=data_dir) as station:
            with pytest.raises(ResourceInUse) as info:
                station.instrument("dmm", timeout=0.1)
            assert "dmm" not in station.held
    finally:
        lock.release()
    text = str(info.value)
    assert text.startswith("Cannot connect role 'dmm' of station 'bench-a': ")
    assert "waited 0.1 s" in text and "someone else" in text
