"""Sharing held instruments over a control endpoint: the operations, their refusals, the
``read``/``set`` subcommands and the RemoteDevice proxy (served by this process here;
tests/station/test_station_processes.py does it across processes)."""

from __future__ import annotations

import argparse
import threading

import pytest

import benchplan
import benchplan.station as bs
from benchplan import RunEngine
from benchplan._cli_station import add_station_commands
from benchplan.errors import ControlError
from benchplan.plans import count
from benchplan.station import RemoteDevice, RemoteSignal, StationError


@pytest.fixture
def shared(station_file, data_dir):
    with bs.connect("bench-a", data_dir=data_dir, share=True) as station:
        psu = station.instrument("psu")
        psu.ch1.current.put(1)
        psu.ch1.voltage.put(5)
        psu.ch1.output.put(True)
        yield station


@pytest.fixture
def cli():
    parser = argparse.ArgumentParser(prog="benchplan")
    handlers = add_station_commands(parser.add_subparsers(dest="command"))

    def run(*argv: str) -> int:
        args = parser.parse_args(argv)
        return handlers[args.command](args)

    return run


def test_read_prints_each_value_with_its_units(shared, cli, capsys):
    assert cli("read", shared.share_id, "psu.ch1.measured_current") == 0
    assert capsys.readouterr().out == "psu_ch1_measured_current = 0.5 A\n"
    assert cli("read", shared.share_id, "psu.ch1") == 0
    out = capsys.readouterr().out.splitlines()
    assert "psu_ch1_voltage = 5 V" in out and "psu_ch1_measured_power = 2.5 W" in out


def test_set_converts_the_text_to_the_signals_type_and_logs_the_setting(shared, cli, capsys, bench):
    assert cli("set", shared.share_id, "psu.ch1.voltage", "3.3") == 0
    assert capsys.readouterr().out == "set psu.ch1.voltage to 3.3 (reads back 3.3)\n"
    assert cli("set", shared.share_id, "psu.ch1.output", "off") == 0
    assert bench.send("dp832", ":OUTP? CH1") == "OFF"
    settings = shared.events("setting")
    assert [(e.role, e.key, e.data["value"]) for e in settings] == [
        ("psu", "ch1.voltage", 3.3), ("psu", "ch1.output", False)]
    assert settings[0].data["by_pid"] is not None


@pytest.mark.parametrize(
    ("argv", "expected"),
    [(("read", "psu.ch1.nope"), "Cannot read psu.ch1.nope: psu.ch1 has no signal 'nope'; its "
                                "signals are voltage, current, output"),
     (("read", "scope"), "Cannot read scope: no shared instrument has the role 'scope'; the shared "
                         "roles here are psu."),
     (("read", "dmm.dc_voltage"), "Cannot read dmm.dc_voltage: role 'dmm' of station 'bench-a' is "
                                  "not held by process"),
     (("set", "psu.ch1.measured_current", "1"), "Cannot set psu.ch1.measured_current: it is "
                                                "read-only; the settable signals of psu.ch1 are voltage"),
     (("set", "psu.ch1", "1"), "Cannot set psu.ch1: it is a device, not a signal"),
     (("set", "psu.ch1.voltage", "99"), "Cannot set 'psu_ch1_voltage' to 99.0: "),
     (("set", "psu.ch1.voltage", "five"), "Cannot set psu_ch1_voltage to 'five': it takes a number."),
     (("set", "psu.ch1.output", "maybe"), "Cannot set psu_ch1_output to 'maybe': it takes on/off")],
)
def test_refusals_say_what_and_why(shared, cli, capsys, argv, expected):
    command, *rest = argv
    assert cli(command, shared.share_id, *rest) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"benchplan {command}: ") and expected in err, err


def test_the_proxy_reads_and_sets_signals_as_attributes(shared):
    device = RemoteDevice(benchplan.remote(shared.share_id), "psu")
    assert isinstance(device.ch1.voltage, RemoteSignal)
    assert device.ch1.measured_current.get() == pytest.approx(0.5)
    assert device.ch1.voltage.set(2.5) == 2.5
    assert shared.held["psu"].ch1.voltage.get() == 2.5
    assert device.read()["psu_ch1_voltage"]["value"] == 2.5
    assert device.ch1.read()["psu_ch1_measured_voltage"]["value"] == pytest.approx(2.5)
    assert device.ch1.describe()["psu_ch1_voltage"]["units"] == "V"
    assert "ch1" in dir(device) and "measured_current" in dir(device.ch1)
    assert device.ch1.voltage.settable and not device.ch1.measured_current.settable
    assert repr(device.ch1) == f"RemoteDevice('psu.ch1' at endpoint {shared.share_id!r})"


@pytest.mark.skipif(not hasattr(benchplan.RemoteControl, "device"),
                    reason="RemoteControl.device() is wired in benchplan/_remote.py by the lead")
def test_remote_control_device_gives_the_proxy(shared):
    device = benchplan.remote(shared.share_id).device("psu")
    assert isinstance(device, RemoteDevice)
    assert device.ch1.measured_current.get() == pytest.approx(0.5)


def test_the_proxy_raises_value_error_for_a_refused_value_and_control_error_otherwise(shared):
    device = RemoteDevice(benchplan.remote(shared.share_id), "psu")
    with pytest.raises(ValueError, match="outside the allowed range"):
        device.ch1.voltage.set(99)
    with pytest.raises(ControlError, match="it is read-only"):
        device.ch1.measured_current.set(1)
    with pytest.raises(AttributeError, match=r"psu.ch1 \(at endpoint .*\) has no signal or channel 'volts'"):
        device.ch1.volts
    with pytest.raises(ControlError, match="role 'vbat' of station 'bench-a' is not held"):
        RemoteDevice(benchplan.remote(shared.share_id), "vbat")


def test_describe_without_a_target_lists_the_shared_roles(shared):
    answer = benchplan.remote(shared.share_id).request("device_describe")
    assert answer["success"] and answer["roles"] == {"psu": {"station": "bench-a", "name": "psu"}}


def test_a_stopped_station_is_no_longer_served(station_file, data_dir):
    with bs.connect("bench-a", data_dir=data_dir) as station:
        station.instrument("psu")
        ident = station.share()
        assert station.share() == ident
    answer = benchplan.remote(ident).request("device_read", target="psu.ch1.voltage")
    assert not answer["success"] and "shares no instruments" in answer["msg"]


def test_sharing_on_a_run_engine_serves_reads_while_its_plan_runs(station_file, data_dir):
    RE = RunEngine()
    with bs.connect("bench-a", data_dir=data_dir) as station:
        psu = station.instrument("psu")
        psu.ch1.voltage.put(1.5)
        ident = station.share(RE)
        assert ident == RE.control_id
        device = RemoteDevice(benchplan.remote(ident), "psu")
        done = threading.Event()
        readings = []
        outcome = {}

        def plan_thread():
            try:
                outcome["uids"] = RE(count([psu.ch1], 30, delay=0.01))
            finally:
                done.set()

        thread = threading.Thread(target=plan_thread)
        thread.start()
        while not done.is_set():
            readings.append(device.ch1.voltage.get())
        thread.join()
    assert len(outcome["uids"]) == 1 and readings and set(readings) == {1.5}


def test_sharing_without_control_endpoints_says_how_to_enable_them(station_file, data_dir, monkeypatch):
    monkeypatch.setenv("BENCHPLAN_CONTROL", "off")
    with bs.connect("bench-a", data_dir=data_dir) as station:
        with pytest.raises(StationError, match="this process has no control endpoint"):
            station.share()
