"""The Keithley 2281S's two roles -- power supply and battery simulator -- on one
address: plans take turns (the driver switches the instrument's mode), and a role
held by a running plan refuses the other one, naming its holder."""

from __future__ import annotations

import pytest

from benchplan import ResourceInUse, RunEngine, RunEngineInterrupted
from benchplan.callbacks import DocumentCollector
from benchplan.devices.instruments import Keithley2281S, Keithley2281SBattery
from benchplan.plans import scan
from benchplan.plans import stubs as bps
from benchplan.plans.preprocessors import run_decorator

LOAD = 10.0


@pytest.fixture
def supply(bench, pool):
    return Keithley2281S(bench.address("k2281s"), name="supply", pool=pool)


@pytest.fixture
def battery(bench, pool):
    return Keithley2281SBattery(bench.address("k2281s"), name="batt", pool=pool)


def _supply_plan(supply):
    yield from bps.mv(supply.current, 1.0)
    yield from bps.mv(supply.output, True)
    return (yield from scan([supply], supply.voltage, 1, 4, 4))


def _battery_plan(battery):
    yield from bps.mv(battery.method, "STATIC")
    yield from bps.mv(battery.model_recall, "LI-ION4_2")
    yield from bps.mv(battery.output, True)
    return (yield from scan([battery], battery.soc, 20, 100, 5))


def test_plans_take_turns_with_the_supply_and_the_battery_simulator(bench, supply, battery):
    RE = RunEngine()
    runs = DocumentCollector()
    RE.subscribe(runs)

    RE(_supply_plan(supply))
    assert bench.send("k2281s", ":ENTR:FUNC?") == "POWER"
    RE(_battery_plan(battery))
    assert bench.send("k2281s", ":ENTR:FUNC?") == "SIMULATOR"
    assert supply.output.get() is False  # leaving POW switched the supply's output off
    RE(_supply_plan(supply))
    assert bench.send("k2281s", ":ENTR:FUNC?") == "POWER"

    first, second, third = (s["uid"] for s in runs.starts)
    assert [s["exit_status"] for s in runs.stops] == ["success"] * 3
    for run in (first, third):
        assert runs.data("supply_voltage", run=run) == [1.0, 2.0, 3.0, 4.0]
        assert runs.data("supply_measured_voltage", run=run) == pytest.approx([1, 2, 3, 4])
        assert runs.data("supply_measured_current", run=run) == pytest.approx([0.1, 0.2, 0.3, 0.4])
    volts = runs.data("batt_terminal_voltage", run=second)
    amps = runs.data("batt_measured_current", run=second)
    ocv = runs.data("batt_open_circuit_voltage", run=second)
    assert runs.data("batt_soc", run=second) == [20.0, 40.0, 60.0, 80.0, 100.0]
    assert volts == sorted(volts) and 3.0 < volts[0] < volts[-1] < 4.2
    assert [v / LOAD for v in volts] == pytest.approx(amps, abs=1e-5)  # Ohm's law at the load
    assert all(v < e for v, e in zip(volts, ocv))  # the internal resistance drops some


def test_a_role_held_by_a_paused_plan_refuses_the_other_role_until_the_plan_ends(
    bench, supply, battery
):
    def plan():
        yield from bps.stage(battery)
        yield from bps.mv(battery.soc, 50)
        yield from bps.checkpoint()
        yield from bps.pause()
        yield from bps.unstage(battery)

    RE = RunEngine()
    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    with pytest.raises(ResourceInUse) as info:
        supply.voltage.put(5)
    assert str(info.value).startswith(
        f"Cannot send ':SOUR1:VOLT 5' for 'supply' (power-supply): the instrument at "
        f"{bench.address('k2281s')} is held in its battery-simulator role by 'batt' in this process"
    )
    assert "Release the other role first (unstage or close it)." in str(info.value)
    assert bench.send("k2281s", ":ENTR:FUNC?") == "SIMULATOR"  # nothing was sent
    RE.resume()
    supply.voltage.put(5)
    assert bench.send("k2281s", ":ENTR:FUNC?") == "POWER"


def test_a_plan_using_both_roles_at_once_fails_naming_the_conflict(bench, supply, battery):
    @run_decorator()
    def both():
        yield from bps.stage(battery)
        yield from bps.stage(supply)
        yield from bps.trigger_and_read([battery, supply])

    docs = DocumentCollector()
    with pytest.raises(ResourceInUse, match="held in its battery-simulator role by 'batt'"):
        RunEngine()(both(), docs)
    assert docs.stop["exit_status"] == "fail"
    assert docs.stop["reason"].startswith(
        "Cannot hold the instrument in its power-supply role for 'supply': the instrument at "
        f"{bench.address('k2281s')} is held in its battery-simulator role by 'batt'"
    )
    assert docs.events() == []
    # the failed run released what it held: either role works again
    assert supply.voltage.get() == 0.0
    assert battery.soc.get() == 100.0
