"""The safe state: outputs a plan switched on are switched off when the run is
halted, or when the process ends in the middle of a run; ``safe_off=False`` opts
a device out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

from benchplan import RunEngine, RunEngineInterrupted
from benchplan.callbacks import DocumentCollector
from benchplan.devices.instruments import RigolDP832
from benchplan.plans import count
from benchplan.plans import stubs as bps


def _power_up_and_measure(psu, dmm):
    yield from bps.mv(psu.ch1.voltage, 5)
    yield from bps.mv(psu.ch1.output, True)
    return (yield from count([dmm, psu.ch1.measured_current], None, delay=0.01))


def _halt_after(point, RE):
    """A callback: after event ``point``, halt the RunEngine from another thread."""

    def callback(name, doc):
        if name == "event" and doc["seq_num"] == point:
            threading.Thread(target=RE.halt, daemon=True).start()

    return callback


def test_halting_a_running_plan_switches_off_the_output_it_switched_on(bench, psu, dmm):
    psu.ch2.voltage.put(3)
    psu.ch2.output.put(True)  # on before the run: not the run's to switch off
    RE = RunEngine()
    docs = DocumentCollector()
    with pytest.raises(RunEngineInterrupted, match="The plan was halted"):
        RE(_power_up_and_measure(psu, dmm), [docs, _halt_after(3, RE)])

    assert docs.stop["exit_status"] == "abort"
    assert docs.data("dmm_dc_voltage")[:3] == [5.0, 5.0, 5.0]
    assert bench.send("dp832", ":OUTP? CH1") == "OFF"
    assert bench.send("dmm", "MEAS:VOLT:DC?") == "+0.00000000E+00"
    assert bench.send("dp832", ":OUTP? CH2") == "ON"
    assert bench.send("dp832", ":SOUR1:VOLT?") == "5.000"  # only the output is touched


def test_halting_leaves_on_the_outputs_of_a_device_made_with_safe_off_false(bench, pool, dmm):
    psu = RigolDP832(bench.address("dp832"), name="psu", pool=pool, safe_off=False)
    RE = RunEngine()
    docs = DocumentCollector()
    with pytest.raises(RunEngineInterrupted, match="The plan was halted"):
        RE(_power_up_and_measure(psu, dmm), [docs, _halt_after(2, RE)])

    assert docs.stop["exit_status"] == "abort"
    assert bench.send("dp832", ":OUTP? CH1") == "ON"
    psu.ch1.output.put(False)


INTERRUPTED_SCRIPT = """
import sys
from benchplan import RunEngine, RunEngineInterrupted
from benchplan.devices.instruments import Keysight34461A, RigolDP832
from benchplan.plans import count
from benchplan.plans import stubs as bps

psu = RigolDP832(sys.argv[1], name="psu")
dmm = Keysight34461A(sys.argv[2], name="dmm")

def plan():
    yield from bps.mv(psu.ch1.voltage, 5)
    yield from bps.mv(psu.ch1.output, True)
    yield from count([dmm], None, delay=0.02)

def started(name, doc):
    if name == "event" and doc["seq_num"] == 1:
        print("running", flush=True)

RE = RunEngine()
RE(plan(), started)  # Ctrl+C pauses it: RunEngineInterrupted ends the script
"""


@pytest.mark.slow
def test_a_script_ended_in_the_middle_of_a_run_switches_the_output_off(bench, tmp_path):
    script = tmp_path / "interrupted_run.py"
    script.write_text(INTERRUPTED_SCRIPT)
    child = subprocess.Popen(
        [sys.executable, str(script), bench.address("dp832"), bench.address("dmm")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )
    try:
        assert child.stdout.readline() == "running\n", child.stderr.read()
        assert bench.send("dp832", ":OUTP? CH1") == "ON"
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 1
    assert "RunEngineInterrupted" in err
    assert bench.send("dp832", ":OUTP? CH1") == "OFF"
