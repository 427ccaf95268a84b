"""Our devices run under bluesky's own RunEngine: they satisfy its protocols."""

import threading

import bluesky.plan_stubs as bps
import bluesky.plans as bp
import pytest
from bluesky import protocols as bluesky_protocols
from bluesky.run_engine import RunEngine
from bluesky.utils import FailedStatus

from benchplan.devices import Status, soft_signal_rw
from benchplan.devices.sim import SimMotor, det, motor


@pytest.fixture(scope="module")
def RE():
    return RunEngine({})


def run(RE, plan):
    docs = []
    RE(plan, lambda name, doc: docs.append((name, doc)))
    return docs


def events(docs):
    return [doc for name, doc in docs if name == "event"]


def test_scan_with_our_sim_devices_gives_five_events(RE):
    docs = run(RE, bp.scan([det], motor, -1, 1, 5))
    evs = events(docs)
    assert len(evs) == 5
    assert all(set(ev["data"]) == {"det", "motor", "motor_setpoint"} for ev in evs)
    assert [ev["data"]["motor"] for ev in evs] == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert evs[2]["data"]["det"] == pytest.approx(1.0)
    descriptor = next(doc for name, doc in docs if name == "descriptor")
    assert descriptor["hints"] == {"det": {"fields": ["det"]}, "motor": {"fields": ["motor"]}}
    assert set(descriptor["configuration"]["motor"]["data"]) == {"motor_velocity", "motor_acceleration"}
    assert docs[-1][1]["exit_status"] == "success"


def test_count_with_our_sim_detector(RE):
    evs = events(run(RE, bp.count([det], 5)))
    assert [ev["seq_num"] for ev in evs] == [1, 2, 3, 4, 5]
    assert all(set(ev["data"]) == {"det"} for ev in evs)


def test_scan_with_a_moving_motor_waits_for_each_move(RE):
    slow = SimMotor("slow", delay=0.01)
    evs = events(run(RE, bp.scan([det], slow, 0, 1, 3)))
    assert [ev["data"]["slow"] for ev in evs] == [0.0, 0.5, 1.0]


def test_count_of_a_soft_signal(RE):
    sig = soft_signal_rw(float, 2.0, name="sig")
    evs = events(run(RE, bp.count([sig], 2)))
    assert [ev["data"]["sig"] for ev in evs] == [2.0, 2.0]


def test_stopped_move_fails_the_plan_with_failed_status(RE):
    slow = SimMotor("slow", delay=10)
    threading.Timer(0.05, slow.stop).start()
    with pytest.raises(FailedStatus):
        RE(bps.mv(slow, 1.0))
    assert 0.0 <= slow.position < 1.0


def test_limit_error_propagates_out_of_the_run_engine(RE):
    limited = SimMotor("limited", limits=(-1, 1))
    with pytest.raises(ValueError, match="Cannot set 'limited_setpoint' to 5"):
        RE(bps.mv(limited, 5))


def test_our_objects_satisfy_bluesky_protocols():
    assert isinstance(motor, bluesky_protocols.Movable)
    assert isinstance(motor, bluesky_protocols.Readable)
    assert isinstance(motor, bluesky_protocols.Locatable)
    assert isinstance(motor, bluesky_protocols.Stoppable)
    assert isinstance(det, bluesky_protocols.Triggerable)
    assert isinstance(det, bluesky_protocols.Configurable)
    assert isinstance(det, bluesky_protocols.HasHints)
    assert isinstance(Status(), bluesky_protocols.Status)
