"""benchplan.testing: the fakes users test their own plans and drivers with."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap

import pytest

import benchplan.testing as testing
from benchplan.devices.instruments import (
    Keithley2281S,
    Keysight34461A,
    RigolDP832,
    outputs_on,
)
from benchplan.errors import InstrumentError
from benchplan.testing import ExpectedProtocol, expected_protocol, sim_bench, temporary_pool

RIGOL_IDN = "RIGOL TECHNOLOGIES,DP832,DP8A0,00.01.16"


def test_exports_are_sorted_and_importing_does_not_import_pytest():
    assert testing.__all__ == sorted(testing.__all__)
    assert all(hasattr(testing, name) for name in testing.__all__)
    code = "import sys, benchplan.testing; print('pytest' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout == "False\n", result.stderr


def test_sim_bench_serves_while_open_and_switches_off_outputs_left_on():
    with sim_bench({"psu": "DP832"}) as bench, temporary_pool() as pool:
        assert bench.running
        psu = RigolDP832(bench.address("psu"), name="psu", pool=pool)
        psu.ch1.voltage.put(2)
        psu.ch1.output.put(True)
        pool_addresses = pool.addresses
        lock_dir = pool.lock_dir
    assert not bench.running
    assert bench.send("psu", ":OUTP? CH1") == "OFF"  # switched off before the bench stopped
    assert psu.ch1.output.backend not in outputs_on()
    assert pool_addresses == [psu.address]
    assert pool.addresses == []
    assert not lock_dir.exists()


@pytest.mark.slow
def test_sim_bench_fixture_gives_tests_a_running_bench(tmp_path):
    (tmp_path / "conftest.py").write_text(textwrap.dedent("""
        from benchplan.testing import sim_bench_fixture

        bench = sim_bench_fixture({"psu": "DP832"}, name="bench", scope="module")
    """))
    (tmp_path / "test_user.py").write_text(textwrap.dedent("""
        def test_one(bench):
            assert bench.running and bench.names == ["psu"]
            assert bench.send("psu", "*IDN?").startswith("RIGOL")

        def test_two_shares_it(bench):
            assert bench.running
    """))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_expected_protocol_passes_when_the_driver_sends_what_is_listed():
    exchanges = [(":SOUR2:VOLT 12", None), (":OUTP CH2,ON", None), (":MEAS:CURR? CH2", "1.2000")]
    with ExpectedProtocol(exchanges, idn=RIGOL_IDN) as protocol:
        psu = RigolDP832(protocol.address, name="psu", pool=protocol.pool)
        psu.ch2.voltage.put(12)
        psu.ch2.output.put(True)
        assert psu.ch2.measured_current.get() == 1.2
    assert protocol.remaining == []
    assert protocol.sent == [
        "*IDN?", ":SOUR2:VOLT 12", "SYST:ERR?", ":OUTP CH2,ON", "SYST:ERR?", ":MEAS:CURR? CH2",
    ]
    assert psu.ch2.output.backend not in [b for b in outputs_on() if b.safe_off]


def test_expected_protocol_reports_a_different_command():
    with pytest.raises(AssertionError) as info:
        with expected_protocol(RigolDP832, [(":SOUR1:VOLT 5", None)]) as psu:
            psu.ch1.voltage.put(6)
    text = str(info.value)
    assert "The driver did not follow the expected protocol" in text
    assert "':SOUR1:VOLT 6' was sent where ':SOUR1:VOLT 5' was expected" in text
    assert isinstance(info.value.__context__, InstrumentError)  # what the driver saw


def test_expected_protocol_reports_exchanges_never_sent():
    with pytest.raises(AssertionError, match=r"never sent: ':SOUR1:CURR 1', ':OUTP CH1,ON'"):
        with expected_protocol(RigolDP832, [(":SOUR1:CURR 1", None), (":OUTP CH1,ON", None)]):
            pass


def test_expected_protocol_can_answer_syst_err_with_an_error():
    exchanges = [(":SOUR1:CURR 0.05", None), ("SYST:ERR?", '-222,"Data out of range"')]
    with expected_protocol(Keithley2281S, [(":ENTR:FUNC POW", None), *exchanges]) as supply:
        with pytest.raises(InstrumentError) as info:
            supply.current.put(0.05)
    assert info.value.code == -222
    assert info.value.command == ":SOUR1:CURR 0.05"


def test_expected_protocol_names_the_model_in_its_idn(caplog):
    caplog.set_level(logging.WARNING)
    with expected_protocol(Keysight34461A, [("MEAS:VOLT:DC?", "+1.5E+00")]) as dmm:
        assert dmm.dc_voltage.get() == 1.5
        assert "3446" in dmm.idn
    assert caplog.records == []
