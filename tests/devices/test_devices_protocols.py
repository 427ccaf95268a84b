import pytest

from benchplan import protocols
from benchplan.devices import Status, soft_signal_rw
from benchplan.devices.sim import SimGaussianDetector, SimMotor
from benchplan.protocols import capabilities


def test_protocols_module_imports_nothing_else_from_benchplan():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(protocols))
    imported = [
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    ] + [a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names]
    assert not [m for m in imported if m.startswith("benchplan") or m.startswith(".")]
    assert all(
        node.level == 0 for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    )


def test_motor_capabilities():
    caps = capabilities(SimMotor("m"))
    assert {"Readable", "Movable", "Locatable", "Stoppable", "SafeState", "Configurable",
            "Subscribable", "HasHints"} <= caps
    assert "Triggerable" not in caps


def test_detector_capabilities():
    m = SimMotor("m")
    caps = capabilities(SimGaussianDetector("d", m, "m", center=0, Imax=1))
    assert {"Readable", "Triggerable", "Configurable", "Subscribable"} <= caps
    assert "Movable" not in caps


def test_status_and_signal_capabilities():
    assert capabilities(Status.finished()) >= {"Status"}
    assert {"Readable", "Movable", "Locatable"} <= capabilities(soft_signal_rw(float, name="x"))


def test_none_has_no_capabilities():
    assert capabilities(None) == frozenset()


def test_capabilities_are_cached_per_type():
    assert capabilities(SimMotor("a")) is capabilities(SimMotor("b"))


class Plain:
    name = "plain"

    def read(self):
        return {}

    def describe(self):
        return {}

    def safe_state(self):
        pass


def test_duck_typed_objects_satisfy_protocols():
    assert isinstance(Plain(), protocols.Readable)
    assert isinstance(Plain(), protocols.SafeState)
    assert capabilities(Plain()) == {"HasName", "Readable", "SafeState"}


@pytest.mark.parametrize("name", ["Readable", "Movable", "Triggerable", "Status", "Stoppable"])
def test_ophyd_sim_devices_satisfy_our_protocols(name):
    from ophyd.sim import SynAxis, SynGauss

    motor = SynAxis(name="motor")
    det = SynGauss("det", motor, "motor", center=0, Imax=1)
    samples = {"Readable": det, "Movable": motor, "Triggerable": det,
               "Status": motor.set(0), "Stoppable": motor}
    assert name in capabilities(samples[name])
