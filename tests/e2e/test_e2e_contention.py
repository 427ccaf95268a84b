"""Several users of one instrument: threads of one process share its session and
never get each other's replies; another process is refused, told who holds it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

import pytest

from benchplan import ResourceInUse, RunEngine
from benchplan.callbacks import DocumentCollector
from benchplan.devices.instruments import RigolDP832
from benchplan.plans import count


def test_a_plan_and_a_thread_hammering_one_supply_never_cross_replies(bench, pool, psu):
    other = RigolDP832(bench.address("dp832"), name="psu_panel", pool=pool)
    psu.ch1.voltage.put(5)
    psu.ch1.output.put(True)
    other.ch2.voltage.put(12)
    polled: list[float] = []
    token = other.ch3.measured_voltage.subscribe(lambda value, **kw: polled.append(value))
    wrong: list[tuple[str, object, object]] = []
    done = threading.Event()

    def hammer():
        k = 0
        while not done.is_set():
            setpoint = round(0.1 * (k % 50), 1)
            other.ch3.voltage.put(setpoint)
            for name, value, expected in (
                ("ch3 voltage", other.ch3.voltage.get(), setpoint),
                ("ch2 voltage", other.ch2.voltage.get(), 12.0),
                ("ch2 output", other.ch2.output.get(), False),
            ):
                if value != expected:
                    wrong.append((name, value, expected))
            k += 1

    thread = threading.Thread(target=hammer)
    thread.start()
    docs = DocumentCollector()
    try:
        RunEngine()(count([psu.ch1.measured_voltage, psu.ch1.measured_current, psu.ch1.voltage], 150), docs)
    finally:
        done.set()
        thread.join(10)
        other.ch3.measured_voltage.clear_sub(token)

    assert pool.refcount(bench.address("dp832")) == 2  # one session, shared
    assert wrong == []
    assert docs.data("psu_ch1_measured_voltage") == [5.0] * 150
    assert docs.data("psu_ch1_measured_current") == [0.5] * 150
    assert docs.data("psu_ch1_voltage") == [5.0] * 150
    assert polled and set(polled) == {0.0}  # ch3's output stays off


HOLDER = """
import sys
from benchplan.devices.instruments import {driver}

inst = {driver}(sys.argv[1], name="bench_script")
print(inst.idn.split(",")[1], flush=True)
sys.stdin.readline()
"""


def _holder(tmp_path, address, driver="RigolDP832"):
    script = tmp_path / "hold_instrument.py"
    script.write_text(HOLDER.format(driver=driver))
    child = subprocess.Popen(
        [sys.executable, str(script), address],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ),  # the same BENCHPLAN_DATA_DIR: the same lock files
    )
    line = child.stdout.readline()
    if not line:
        child.kill()
        pytest.fail(f"the holding process did not start: {child.stderr.read()}")
    return child


@pytest.mark.slow
def test_a_second_process_is_refused_with_the_holders_pid_host_program_and_role(bench, pool, tmp_path):
    address = bench.address("dp832")
    child = _holder(tmp_path, address)
    try:
        psu = RigolDP832(address, name="psu", pool=pool)
        with pytest.raises(ResourceInUse) as info:
            psu.ch1.voltage.get()
        text = str(info.value)
        assert f"Cannot open the instrument at {address}: another process holds it" in text
        assert f"pid {child.pid} on host {socket.gethostname()!r}" in text
        assert "program 'hold_instrument.py " in text
        assert "role 'bench_script'" in text
    finally:
        child.communicate("\n", timeout=30)
    assert child.returncode == 0
    assert psu.ch1.voltage.get() == 0.0  # the lock went with the process


@pytest.mark.slow
def test_an_open_waiting_for_the_lock_gets_it_when_the_holder_is_killed(bench, pool, tmp_path):
    address = bench.address("k2281s")
    child = _holder(tmp_path, address, driver="Keithley2281S")
    from benchplan.devices.instruments import Keithley2281SBattery

    battery = Keithley2281SBattery(address, name="batt", pool=pool)
    with pytest.raises(ResourceInUse) as info:
        battery.soc.get()
    text = str(info.value)
    assert f"pid {child.pid}" in text
    assert "role 'power-supply (bench_script)'" in text
    assert "('batt' wanted it in its battery-simulator role." in text
    outcome: list[object] = []

    def wait_for_the_lock():
        waiting = Keithley2281SBattery(address, name="batt2", pool=pool, lock_timeout=30)
        try:
            outcome.append(waiting.soc.get())
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=wait_for_the_lock)
    thread.start()
    thread.join(0.3)
    assert outcome == []  # still waiting for the holder
    child.kill()
    child.communicate(timeout=30)
    thread.join(30)
    assert outcome == [100.0]  # the simulator's state of charge after *RST


def test_a_second_pool_of_the_same_process_is_told_the_holder_is_this_process(bench, pool):
    from benchplan.devices.visa import SessionPool

    address = bench.address("dp832")
    RigolDP832(address, name="psu", pool=pool).ch1.voltage.get()
    other = SessionPool("@py", timeout=1.0)
    try:
        with pytest.raises(ResourceInUse) as info:
            RigolDP832(address, name="psu2", pool=other).ch1.voltage.get()
    finally:
        other.close()
    text = str(info.value)
    assert f"pid {os.getpid()}" in text
    assert "another process" not in text
    assert "this process" in text
