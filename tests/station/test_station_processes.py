"""Stations across real processes: a second process gets ResourceInUse, reads and sets the
held instrument through the holder's endpoint (the ``read``/``set`` handlers and the proxy),
and SIGTERM ends the holder's session as 'terminated'."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import benchplan
import benchplan.station as bs
from benchplan._cli_station import add_station_commands
from benchplan.errors import ResourceInUse
from benchplan.station import RemoteDevice

pytestmark = pytest.mark.slow

HOLDER = """
    import sys, threading
    import benchplan.station as bs
    from benchplan import RunEngine
    from benchplan.plans import count

    station_file, data_dir, mode = sys.argv[1:4]
    with bs.connect(station_file, data_dir=data_dir, share=(mode == "share")) as station:
        psu = station.instrument("psu")
        psu.ch1.current.put(1)
        psu.ch1.voltage.put(4)
        psu.ch1.output.put(True)
        print("READY", station.share_id, station.session, flush=True)
        if mode == "plan":
            RE = RunEngine()
            station.attach(RE)
            def running(name, doc):
                if name == "event" and doc["seq_num"] == 2:
                    print("RUNNING", flush=True)

            RE(count([psu.ch1], 100000, delay=0.01), running)
        else:
            threading.Event().wait(60)
"""


class Holder:
    """The holding process: a script in a subprocess, its output read line by line."""

    def __init__(self, tmp_path, station_file, data_dir, mode):
        script = tmp_path / "holder.py"
        script.write_text(textwrap.dedent(HOLDER))
        self.proc = subprocess.Popen(
            [sys.executable, str(script), str(station_file), str(data_dir), mode],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.lines: list[str] = []

    def expect(self, word: str) -> list[str]:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith(word):
                return line.split()[1:]
        raise AssertionError(f"the holder never printed {word!r}:\n" + "\n".join(self.lines))

    def terminate(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=30)
        self.lines.extend(out.splitlines())
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc.stdout.close()


@pytest.fixture
def holder_factory(tmp_path, station_file, data_dir):
    made = []

    def make(mode):
        holder = Holder(tmp_path, station_file, data_dir, mode)
        made.append(holder)
        return holder

    yield make
    for holder in made:
        holder.kill()


@pytest.fixture
def cli():
    parser = argparse.ArgumentParser(prog="benchplan")
    handlers = add_station_commands(parser.add_subparsers(dest="command"))
    return lambda *argv: handlers[argv[0]](parser.parse_args(argv))


def test_a_second_process_gets_resource_in_use_then_reads_and_sets_through_the_holder(
    holder_factory, station_file, data_dir, bench, cli, capsys
):
    holder = holder_factory("share")
    ident, session = holder.expect("READY")
    with bs.connect("bench-a", data_dir=data_dir) as station:
        with pytest.raises(ResourceInUse) as info:
            station.instrument("vbat")  # the DP832's other channel: same address, same lock
        text = str(info.value)
        assert f"pid {holder.proc.pid}" in text and "holder.py" in text
        assert f"`benchplan read {ident} vbat.SIGNAL`" in text
        station.instrument("dmm")  # another address is free

    assert cli("read", ident, "psu.ch1.measured_current") == 0
    assert capsys.readouterr().out == "psu_ch1_measured_current = 0.4 A\n"
    assert cli("set", ident, "psu.ch1.voltage", "2") == 0
    assert bench.send("dp832", ":SOUR1:VOLT?").startswith("2")

    command = subprocess.run([sys.executable, "-m", "benchplan.cli", "read", ident, "psu.ch1"],
                             capture_output=True, text=True, timeout=60)
    if "invalid choice: 'read'" not in command.stderr:  # until cli.py has the subcommand
        assert command.returncode == 0, command.stderr
        assert "psu_ch1_voltage = 2 V" in command.stdout.splitlines()

    psu = RemoteDevice(benchplan.remote(ident), "psu")
    assert psu.ch1.measured_current.get() == pytest.approx(0.2)
    assert psu.ch1.voltage.set(3) == 3
    assert psu.ch1.measured_voltage.get() == pytest.approx(3)

    assert holder.terminate() == 128 + signal.SIGTERM
    assert bench.send("dp832", ":OUTP? CH1") == "OFF"  # switched off as the session ended
    with bs.connect("bench-a", data_dir=data_dir) as station:
        station.instrument("psu")  # the lock went with the holder's session
        settings = station.events("setting", session=session)
        (end,) = station.events("session_end", session=session)
    assert [(e.key, e.data["value"], e.data["by_pid"]) for e in settings] == [
        ("ch1.voltage", 2.0, os.getpid()), ("ch1.voltage", 3, os.getpid())]
    assert (end.data["outcome"], end.data["reason"]) == ("terminated", "SIGTERM")


def test_sigterm_during_a_plan_aborts_it_and_records_terminated(holder_factory, data_dir, bench):
    holder = holder_factory("plan")
    _, session = holder.expect("READY")
    holder.expect("RUNNING")
    started = time.monotonic()
    assert holder.terminate() == 128 + signal.SIGTERM
    assert time.monotonic() - started < 20
    with bs.connect("bench-a", data_dir=data_dir) as station:
        stops = station.events("document", key="stop", session=session)
        (end,) = station.events("session_end", session=session)
    assert [s.data["exit_status"] for s in stops] == ["abort"]
    assert stops[0].data["reason"] == "SIGTERM"
    assert end.data["outcome"] == "terminated"
    assert bench.send("dp832", ":OUTP? CH1") == "OFF"


@pytest.mark.parametrize(
    ("ending", "outcome", "reason"),
    [("pass", "passed", "the interpreter exited without stop()"),
     ("raise RuntimeError('the DUT caught fire')", "errored", "RuntimeError: the DUT caught fire")],
)
def test_a_station_never_stopped_records_its_outcome_at_exit(tmp_path, station_file, data_dir,
                                                              ending, outcome, reason):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        import benchplan.station as bs
        station = bs.connect(sys.argv[1], data_dir=sys.argv[2])
        station.instrument("dmm")
        print(station.session, flush=True)
        {ending}
    """))
    done = subprocess.run([sys.executable, str(script), str(station_file), str(data_dir)],
                          capture_output=True, text=True, timeout=60)
    session = done.stdout.split()[0]
    with bs.connect("bench-a", data_dir=data_dir) as station:
        (end,) = station.events("session_end", session=session)
        released = station.events("released", session=session)
    assert (end.data["outcome"], end.data["reason"]) == (outcome, reason)
    assert [e.role for e in released] == ["dmm"]
