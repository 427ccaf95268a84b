"""A scan stepping a supply and reading the DMM across its load, over real sockets.

The bench's load model: a channel regulates voltage (CV) while ``V / R`` is
within its current limit, then regulates current (CC) at the limit, with the
voltage falling to ``I_lim * R``.
"""

from __future__ import annotations

import pytest

from benchplan import RunEngine
from benchplan.callbacks import DocumentCollector
from benchplan.plans import scan


def model(vset: float, ohms: float, ilim: float) -> tuple[float, float]:
    """The voltage across and current through ``ohms`` from a supply set to ``vset``."""
    if vset / ohms <= ilim:
        return vset, vset / ohms
    return ilim * ohms, ilim


@pytest.mark.parametrize(("ohms", "ilim"), [(10.0, 3.0), (4.7, 0.5), (10.0, 0.25)])
def test_scan_of_the_supply_voltage_reads_what_the_load_model_gives(bench, psu, dmm, ohms, ilim):
    bench.fault.set_load(ohms, "dp832", channel=1)
    psu.ch1.current.put(ilim)
    psu.ch1.output.put(True)
    dmm.dc_current.kind = "normal"  # read with the device, as its voltage is
    docs = DocumentCollector()
    RunEngine()(scan([dmm, psu.ch1.measured_current], psu.ch1.voltage, 0, 5, 11), docs)

    setpoints = [0.5 * k for k in range(11)]
    expected = [model(v, ohms, ilim) for v in setpoints]
    assert docs.stop["exit_status"] == "success"
    assert docs.data("psu_ch1_voltage") == pytest.approx(setpoints)
    assert docs.data("dmm_dc_voltage") == pytest.approx([v for v, _ in expected], abs=1e-6)
    assert docs.data("dmm_dc_current") == pytest.approx([i for _, i in expected], abs=1e-6)
    # the supply reports its current with 4 decimals
    assert docs.data("psu_ch1_measured_current") == pytest.approx([i for _, i in expected], abs=1e-4)


def test_scan_describes_units_and_limits_of_the_instruments(psu, dmm):
    docs = DocumentCollector()
    RunEngine()(scan([dmm, psu.ch1.measured_current], psu.ch1.voltage, 0, 1, 2), docs)
    (descriptor,) = docs.descriptors
    keys = descriptor["data_keys"]
    assert keys["psu_ch1_voltage"]["units"] == "V"
    assert keys["psu_ch1_voltage"]["limits"]["control"] == {"low": 0, "high": 30.0}
    assert keys["psu_ch1_measured_current"]["units"] == "A"
    assert keys["dmm_dc_voltage"]["source"] == f"visa://{dmm.address}/MEAS:VOLT:DC?"
    assert list(docs.start["motors"]) == ["psu_ch1_voltage"]


def test_scan_with_the_output_off_reads_zero_everywhere(psu, dmm):
    docs = DocumentCollector()
    RunEngine()(scan([dmm, psu.ch1.measured_current], psu.ch1.voltage, 0, 5, 3), docs)
    assert docs.data("psu_ch1_voltage") == [0.0, 2.5, 5.0]
    assert docs.data("dmm_dc_voltage") == [0.0, 0.0, 0.0]
    assert docs.data("psu_ch1_measured_current") == [0.0, 0.0, 0.0]
