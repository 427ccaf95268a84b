"""Scans run on benchplan's RunEngine with benchplan.devices.sim devices: the documents they make."""

import time

import pytest

from benchplan import Msg, RunEngine
from benchplan.devices.sim import det, det1, motor, motor1, motor2
from benchplan.plans import count, grid_scan, list_scan, log_scan, rel_scan, scan
from benchplan.plans.preprocessors import SupplementalData
from benchplan.plans.stubs import mv, one_nd_step, trigger_and_read


@pytest.fixture
def RE():
    engine = RunEngine()
    yield engine
    deadline = time.monotonic() + 5
    while engine.state != "idle" and time.monotonic() < deadline:
        try:
            engine.halt()
        except Exception:
            pass
        time.sleep(0.01)


@pytest.fixture
def docs(RE):
    collected = []
    RE.subscribe(lambda name, doc: collected.append((name, doc)))
    return collected


@pytest.fixture(autouse=True)
def _motors_at_zero(RE):
    RE(mv(motor, 0, motor1, 0, motor2, 0))


def events(docs, stream="primary"):
    descriptors = {d["uid"] for n, d in docs if n == "descriptor" and d["name"] == stream}
    return [d for n, d in docs if n == "event" and d["descriptor"] in descriptors]


def only(docs, name):
    (doc,) = [d for n, d in docs if n == name]
    return doc


def test_count_emits_numbered_events_and_successful_stop(RE, docs):
    (uid,) = RE(count([det], 3))
    assert [e["seq_num"] for e in events(docs)] == [1, 2, 3]
    assert all(set(e["data"]) == {"det"} for e in events(docs))
    start, stop = only(docs, "start"), only(docs, "stop")
    assert start["uid"] == uid
    assert (start["plan_name"], start["num_points"], start["detectors"]) == ("count", 3, ["det"])
    assert (stop["exit_status"], stop["num_events"]) == ("success", {"primary": 3})


def test_scan_reads_motor_at_each_position(RE, docs):
    RE(scan([det], motor, -1, 1, 5))
    evs = events(docs)
    assert [e["seq_num"] for e in evs] == [1, 2, 3, 4, 5]
    assert [e["data"]["motor"] for e in evs] == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert evs[2]["data"]["det"] == pytest.approx(1.0)
    start = only(docs, "start")
    assert start["hints"] == {"dimensions": [(["motor"], "primary")]}
    assert start["motors"] == ("motor",)


def test_grid_scan_snakes_inner_motor(RE, docs):
    RE(grid_scan([det1], motor1, 0, 1, 2, motor2, 0, 2, 3, snake_axes=True))
    evs = events(docs)
    assert [e["seq_num"] for e in evs] == [1, 2, 3, 4, 5, 6]
    assert [(e["data"]["motor1"], e["data"]["motor2"]) for e in evs] == [
        (0.0, 0.0), (0.0, 1.0), (0.0, 2.0), (1.0, 2.0), (1.0, 1.0), (1.0, 0.0)]
    assert only(docs, "start")["shape"] == (2, 3)
    assert only(docs, "stop")["num_events"] == {"primary": 6}


def test_list_and_log_scans_visit_given_positions(RE, docs):
    RE(list_scan([det], motor, [3, 1, 2]))
    RE(log_scan([det], motor, 0, 2, 3))
    assert [e["data"]["motor"] for e in events(docs)] == [3, 1, 2, 1.0, 10.0, 100.0]


def test_rel_scan_returns_motor_to_start(RE, docs):
    RE(mv(motor, 2))
    RE(rel_scan([det], motor, -1, 1, 3))
    assert [e["data"]["motor"] for e in events(docs)] == [1.0, 2.0, 3.0]
    assert motor.read()["motor"]["value"] == 2.0


def test_failing_step_closes_run_as_failed_and_unstages(RE, docs):
    def per_step(detectors, step, pos_cache):
        if list(step.values())[0] > 0:
            raise RuntimeError("load disconnected")
        yield from one_nd_step(detectors, step, pos_cache)

    with pytest.raises(RuntimeError, match="load disconnected"):
        RE(scan([det], motor, -1, 1, 3, per_step=per_step))
    stop = only(docs, "stop")
    assert stop["exit_status"] == "fail"
    assert "load disconnected" in stop["reason"]
    assert stop["num_events"] == {"primary": 2}
    assert RE.state == "idle"


def test_supplemental_data_adds_baseline_stream(RE, docs):
    RE.preprocessors.append(SupplementalData(baseline=[motor1]))
    RE(count([det], 2))
    assert len(events(docs, "baseline")) == 2
    assert [e["seq_num"] for e in events(docs)] == [1, 2]


def test_non_rewindable_device_step_runs_on_engine(RE, docs):
    class Flag:
        def get(self):
            return False

    class Camera:
        name = "camera"
        parent = None
        rewindable = Flag()

        def read(self):
            return {"camera": {"value": 7, "timestamp": time.time()}}

        def describe(self):
            return {"camera": {"source": "test", "dtype": "number", "shape": []}}

    seen = []
    RE.msg_hook = lambda msg: seen.append(msg)
    RE(count([Camera()], 2))
    assert [e["data"]["camera"] for e in events(docs)] == [7, 7]
    assert Msg("rewindable", None, False) in seen


def test_scan_runs_ophyd_devices(RE, docs):
    from ophyd.sim import det as ophyd_det
    from ophyd.sim import motor as ophyd_motor

    RE(scan([ophyd_det], ophyd_motor, -1, 1, 3))
    assert [e["data"]["motor"] for e in events(docs)] == [-1.0, 0.0, 1.0]
    assert [e["seq_num"] for e in events(docs)] == [1, 2, 3]


def test_bluesky_run_engine_runs_our_scan():
    from bluesky import RunEngine as BlueskyRunEngine
    from ophyd.sim import det as ophyd_det
    from ophyd.sim import motor as ophyd_motor

    bluesky_RE = BlueskyRunEngine({}, call_returns_result=False)
    seen = []
    bluesky_RE(scan([ophyd_det], ophyd_motor, 0, 1, 2), lambda name, doc: seen.append((name, doc)))
    assert [d["seq_num"] for n, d in seen if n == "event"] == [1, 2]
    assert [d for n, d in seen if n == "stop"][0]["exit_status"] == "success"


def test_trigger_and_read_in_custom_plan_returns_readings(RE, docs):
    readings = []

    def plan():
        yield Msg("open_run")
        readings.append((yield from trigger_and_read([det, motor])))
        yield Msg("close_run")

    RE(plan())
    assert set(readings[0]) == {"det", "motor", "motor_setpoint"}


def test_count_resumes_after_deferred_pause_without_losing_or_repeating_events(RE, docs):
    from benchplan import RunEngineInterrupted
    from benchplan.plans.stubs import deferred_pause, one_shot

    shots = []

    def per_shot(detectors):
        yield from one_shot(detectors)
        shots.append(1)
        if len(shots) == 2:
            yield from deferred_pause()

    with pytest.raises(RunEngineInterrupted):
        RE(count([det], 4, per_shot=per_shot))
    assert RE.state == "paused"
    RE.resume()
    assert [e["seq_num"] for e in events(docs)] == [1, 2, 3, 4]
    assert only(docs, "stop")["exit_status"] == "success"


def test_breakpoint_stub_is_accepted_by_engine(RE, monkeypatch):
    from benchplan.plans.stubs import breakpoint, null

    monkeypatch.setenv("BENCHPLAN_BREAKPOINTS", "off")
    seen = []
    RE.msg_hook = seen.append

    def plan():
        yield from breakpoint("check wiring", timeout=1)
        yield from null()

    RE(plan())
    assert [m.command for m in seen] == ["checkpoint", "breakpoint", "null"]
