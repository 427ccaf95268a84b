"""The IPython magics %mov, %movr, %ct, %wa, in a real IPython shell with simulated devices."""

from __future__ import annotations

import os

import pytest
from IPython.core.error import UsageError
from traitlets.config import Config
from IPython.core.interactiveshell import InteractiveShell

import benchplan
from benchplan import RunEngine
from benchplan.devices.sim import SimGaussianDetector, SimMotor
from benchplan.engine import Msg

MAGICS = {"mov", "movr", "ct", "wa"}


def ipython_shell(tmp_path_factory):
    """The process's IPython shell, made with its folder in a temporary one and no history file."""
    if not InteractiveShell.initialized():
        os.environ.setdefault("IPYTHONDIR", str(tmp_path_factory.mktemp("ipython")))
        config = Config()
        config.HistoryManager.hist_file = ":memory:"
        InteractiveShell.instance(config=config)
    return InteractiveShell.instance()


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    shell = ipython_shell(tmp_path_factory)
    shell.run_line_magic("load_ext", "benchplan._magics")
    return shell


@pytest.fixture
def ns(shell):
    """The user namespace, with two motors and a detector on the first, and no RE."""
    m1 = SimMotor("m1")
    m2 = SimMotor("m2", limits=(-5, 5))
    d1 = SimGaussianDetector("d1", m1, "m1", center=0, Imax=1, sigma=1)
    saved = dict(shell.user_ns)
    for name in [k for k in shell.user_ns if not k.startswith("_")]:
        shell.user_ns.pop(name)
    shell.user_ns.update(m1=m1, m2=m2, d1=d1)
    yield shell.user_ns
    shell.user_ns.clear()
    shell.user_ns.update(saved)


def test_load_ext_registers_the_four_magics(shell):
    assert MAGICS <= set(shell.magics_manager.magics["line"])


@pytest.mark.skipif(not hasattr(benchplan, "load_ipython_extension"),
                    reason="benchplan/__init__.py does not define load_ipython_extension yet")
def test_load_ext_benchplan_loads_them(shell):
    shell.run_line_magic("load_ext", "benchplan")
    assert MAGICS <= set(shell.magics_manager.magics["line"])


def test_mov_moves_several_motors(shell, ns):
    shell.run_line_magic("mov", "m1 1.5 m2 -2")
    assert (ns["m1"].position, ns["m2"].position) == (1.5, -2.0)


def test_movr_moves_by_an_offset_evaluated_in_the_namespace(shell, ns):
    ns["step"] = 0.25
    shell.run_line_magic("mov", "m1 1")
    shell.run_line_magic("movr", "m1 step*2")
    assert ns["m1"].position == 1.5


def test_magics_use_the_namespace_RE_when_there_is_one(shell, ns):
    RE = ns["RE"] = RunEngine()
    commands = []
    RE.msg_hook = lambda msg: commands.append(msg.command)
    shell.run_line_magic("mov", "m1 3")
    assert "set" in commands and ns["m1"].position == 3.0


def test_ct_prints_the_readings_of_the_detectors_given(shell, ns, capsys):
    shell.run_line_magic("mov", "m1 0")
    capsys.readouterr()
    shell.run_line_magic("ct", "d1")
    assert capsys.readouterr().out.split() == ["d1", "1.000"]


def test_ct_by_default_counts_what_can_be_triggered_and_read_but_not_set(shell, ns, capsys):
    ns["d2"] = SimGaussianDetector("d2", ns["m2"], "m2", center=0, Imax=2, sigma=1)
    shell.run_line_magic("ct", "")
    out = capsys.readouterr().out
    assert "d1" in out and "d2  2.000" in out
    assert "m1" not in out and "m2" not in out


def test_ct_by_default_prefers_devices_labelled_detectors(shell, ns, capsys):
    class Labelled(SimGaussianDetector):
        labels = frozenset({"detectors"})

    ns["d3"] = Labelled("d3", ns["m1"], "m1", center=0, Imax=3, sigma=1)
    shell.run_line_magic("ct", "")
    assert capsys.readouterr().out.split()[0::2] == ["d3"]


def test_ct_with_no_detectors_says_what_to_do(shell, ns):
    del ns["d1"]
    with pytest.raises(UsageError, match="%ct found no detectors: give them"):
        shell.run_line_magic("ct", "")


def test_wa_lists_every_motor_with_its_position_and_limits(shell, ns, capsys):
    shell.run_line_magic("mov", "m1 1 m2 -0.5")
    capsys.readouterr()
    shell.run_line_magic("wa", "")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["Positioner", "Value", "Setpoint", "Limits"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert rows["m1"] == ["1.000", "1.000"]
    assert rows["m2"][:2] == ["-0.500", "-0.500"]
    assert "d1" not in rows


def test_wa_shows_a_failing_device_without_hiding_the_others(shell, ns, capsys):
    class Broken:
        name = "broken"

        def set(self, value):
            raise RuntimeError("no")

        def locate(self):
            raise ConnectionError("controller offline")

    ns["broken"] = Broken()
    shell.run_line_magic("wa", "")
    out = capsys.readouterr().out
    assert "<ConnectionError: controller offline>" in out and "m1" in out


@pytest.mark.parametrize(
    ("magic", "line", "text"),
    [
        ("mov", "m1", "%mov takes pairs of a device and a value, e.g. `%mov motor 1`"),
        ("movr", "", "%movr takes pairs"),
        ("mov", "d1 1", "%mov cannot move 'd1': it has no set\\(\\) method"),
        ("mov", "m1 nowhere", "%mov cannot evaluate 'nowhere': NameError"),
        ("ct", "nosuch", "'nosuch' is neither a name in the namespace nor a device label"),
    ],
)
def test_bad_magic_lines_are_refused_with_a_usage_error(shell, ns, magic, line, text):
    with pytest.raises(UsageError, match=text):
        shell.run_line_magic(magic, line)


def test_a_busy_RE_is_reported_as_a_usage_error(shell, ns):
    RE = ns["RE"] = RunEngine()
    with pytest.raises(benchplan.RunEngineInterrupted):
        RE([Msg("open_run"), Msg("pause"), Msg("close_run")])
    try:
        with pytest.raises(UsageError, match="%mov cannot run: .*'paused'"):
            shell.run_line_magic("mov", "m1 1")
    finally:
        RE.abort()
    assert ns["m1"].position == 0.0


def test_an_interrupted_move_is_aborted_and_reported(shell, ns, capsys):
    RE = ns["RE"] = RunEngine()

    class Pausing(SimMotor):
        def set(self, value):
            RE.request_pause()
            return super().set(value)

    ns["p"] = Pausing("p")
    shell.run_line_magic("mov", "p 1")
    assert "%mov was interrupted; its plan was aborted" in capsys.readouterr().out
    assert RE.state == "idle"
