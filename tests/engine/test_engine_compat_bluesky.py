"""Compatibility with bluesky: its plans and Msg on our RunEngine, ophyd devices with our
plans, and the same data as bluesky's own RunEngine gives."""

from __future__ import annotations

import threading

import bluesky
import bluesky.plan_stubs as bps
import bluesky.plans as bp
import bluesky.preprocessors as bpp
import pytest
from bluesky import Msg as BlueskyMsg
from ophyd.sim import det as odet
from ophyd.sim import det1 as odet1
from ophyd.sim import det2 as odet2
from ophyd.sim import motor as omotor
from ophyd.sim import motor1 as omotor1
from ophyd.sim import motor2 as omotor2

from benchplan import RunEngine, RunEngineInterrupted
from benchplan import plans as our
from benchplan.callbacks import DocumentCollector
from benchplan.devices import sim
from benchplan.plans import stubs as our_stubs

from engine_helpers import assert_runs_closed, on_message, seq_nums, validate_all


#: RunEngines that late device callbacks may still reach: never closed nor collected
_KEEP_OPEN: list = []


@pytest.fixture(scope="module")
def bluesky_RE():
    return bluesky.RunEngine({}, context_managers=[])


def on_bluesky(bluesky_RE, plan):
    collected = DocumentCollector()
    token = bluesky_RE.subscribe(collected)
    try:
        bluesky_RE(plan)
    finally:
        bluesky_RE.unsubscribe(token)
    return collected


def summary(collected, *fields):
    events = collected.events()
    return {
        "seq_num": [e["seq_num"] for e in events],
        "data": [[e["data"][f] for f in fields] for e in events],
        "keys": sorted(events[0]["data"]) if events else [],
        "num_events": collected.stop["num_events"],
        "exit_status": collected.stop["exit_status"],
    }


def test_bluesky_msg_runs_on_our_engine(RE, docs):
    uids = RE([BlueskyMsg("open_run"), BlueskyMsg("create", name="primary"),
               BlueskyMsg("read", odet), BlueskyMsg("save"), BlueskyMsg("close_run")])
    assert len(uids) == 1
    assert seq_nums(docs) == [1]
    validate_all(docs)


@pytest.mark.parametrize("plan", [
    lambda: bp.count([odet], 3),
    lambda: bp.scan([odet], omotor, -1, 1, 5),
    lambda: bp.grid_scan([odet1, odet2], omotor1, -1, 1, 3, omotor2, -1, 1, 2),
    lambda: bp.list_scan([odet], omotor, [0.0, 0.5, 2.0]),
], ids=["count", "scan", "grid_scan", "list_scan"])
def test_bluesky_plans_with_ophyd_devices_match_bluesky_engine(RE, docs, bluesky_RE, plan):
    RE(plan())
    theirs = on_bluesky(bluesky_RE, plan())
    validate_all(docs)
    fields = sorted(docs.events()[0]["data"])
    assert summary(docs, *fields) == summary(theirs, *fields)
    ours_start, their_start = docs.start, theirs.start
    for key in ("plan_name", "plan_args", "num_points", "detectors"):
        assert ours_start.get(key) == their_start.get(key)
    ours_desc = [d for d in docs.descriptors if d["name"] == "primary"][0]
    their_desc = [d for d in theirs.descriptors if d["name"] == "primary"][0]
    # bluesky also writes each key's object_name; compare the rest
    assert ours_desc["data_keys"] == {
        key: {k: v for k, v in dk.items() if k != "object_name"}
        for key, dk in their_desc["data_keys"].items()}
    assert ours_desc["object_keys"] == their_desc["object_keys"]


@pytest.mark.parametrize("plan", [
    lambda: bp.count([sim.det], 3),
    lambda: bp.scan([sim.det], sim.motor, -1, 1, 5),
    lambda: bp.grid_scan([sim.det1, sim.det2], sim.motor1, -1, 1, 3, sim.motor2, -1, 1, 2),
], ids=["count", "scan", "grid_scan"])
def test_bluesky_plans_with_our_sim_devices(RE, docs, bluesky_RE, plan):
    RE(plan())
    theirs = on_bluesky(bluesky_RE, plan())
    validate_all(docs)
    fields = sorted(docs.events()[0]["data"])
    assert summary(docs, *fields) == summary(theirs, *fields)


@pytest.mark.parametrize("plans", [
    (lambda: our.count([odet], 3), lambda: bp.count([odet], 3)),
    (lambda: our.scan([odet], omotor, -1, 1, 5), lambda: bp.scan([odet], omotor, -1, 1, 5)),
    (lambda: our.grid_scan([odet1], omotor1, -1, 1, 3, omotor2, 0, 1, 2),
     lambda: bp.grid_scan([odet1], omotor1, -1, 1, 3, omotor2, 0, 1, 2)),
    (lambda: our.log_scan([odet], omotor, 1, 10, 3), lambda: bp.log_scan([odet], omotor, 1, 10, 3)),
], ids=["count", "scan", "grid_scan", "log_scan"])
def test_our_plans_with_ophyd_devices_match_bluesky(RE, docs, bluesky_RE, plans):
    ours, theirs_plan = plans
    RE(ours())
    theirs = on_bluesky(bluesky_RE, theirs_plan())
    validate_all(docs)
    fields = sorted(docs.events()[0]["data"])
    assert summary(docs, *fields) == summary(theirs, *fields)
    assert docs.start["plan_name"] == theirs.start["plan_name"]
    assert docs.start["num_points"] == theirs.start["num_points"]


def test_bluesky_stubs_pause_and_resume_on_our_engine(RE, docs):
    def plan():
        yield from bps.open_run()
        yield from bps.checkpoint()
        yield from bps.trigger_and_read([odet])
        yield from bps.pause()
        yield from bps.trigger_and_read([odet])
        yield from bps.close_run()

    with pytest.raises(RunEngineInterrupted):
        RE(plan())
    RE.resume()
    assert seq_nums(docs) == [1, 2]
    assert docs.stop["exit_status"] == "success"


def test_bluesky_finalize_wrapper_cleanup_runs_on_our_abort(RE, docs):
    cleanup = []

    def final():
        cleanup.append("ran")
        yield from bps.null()

    def body():
        yield from bps.open_run()
        yield from bps.checkpoint()
        yield from bps.pause()
        yield from bps.close_run()

    with pytest.raises(RunEngineInterrupted):
        RE(bpp.finalize_wrapper(body(), final))
    RE.abort("enough")
    assert cleanup == ["ran"]
    assert_runs_closed(docs)


def test_bluesky_mv_with_ophyd_motor_and_our_wait(RE):
    RE(bps.mv(omotor, 1.25))
    assert omotor.position == 1.25
    RE(our_stubs.mv(omotor, -0.5))
    assert omotor.position == -0.5


def checkpoint_then_pause():
    yield from bps.checkpoint()
    yield from bps.pause()


def test_aborting_a_bluesky_plan_closes_its_run_with_abort(RE, docs):
    with pytest.raises(RunEngineInterrupted):
        RE(bpp.run_wrapper(checkpoint_then_pause()))
    RE.abort("enough")
    assert docs.stop["exit_status"] == "abort"


def test_monitor_of_an_ophyd_signal_set_from_another_thread(RE, docs):
    from ophyd import Signal

    sig = Signal(name="ophyd_temp", value=0.0)

    def plan():
        yield from bps.open_run()
        yield from bps.monitor(sig, name="temp")
        worker = threading.Thread(target=lambda: [sig.put(v) for v in (1.0, 2.0)])
        worker.start()
        worker.join()
        yield from bps.sleep(0.02)
        yield from bps.unmonitor(sig)
        yield from bps.close_run()

    RE(plan())
    # an ophyd Signal never put gives no initial callback: bluesky's engine also sees 1, 2
    assert docs.data("ophyd_temp", "temp") == [1.0, 2.0]
    assert seq_nums(docs, "temp") == [1, 2]
    validate_all(docs)


def test_pause_during_an_ophyd_move_and_resume():
    from ophyd.sim import SynAxis

    # SynAxis cannot cancel a delayed move: its status finishes 10 s later, so this
    # RunEngine is kept open (and referenced) for the status callbacks to land on
    RE = RunEngine()
    _KEEP_OPEN.append(RE)
    docs = DocumentCollector()
    RE.subscribe(docs)
    axis = SynAxis(name="ophyd_axis", delay=10)
    RE.msg_hook = on_message("wait", RE.request_pause)
    with pytest.raises(RunEngineInterrupted):
        RE(bp.scan([odet], axis, 0, 1, 2))
    RE.msg_hook = None
    axis.delay = 0
    RE.resume()
    assert docs.data("ophyd_axis") == [0.0, 1.0]
    assert seq_nums(docs) == [1, 2]


def test_failed_ophyd_status_is_thrown_into_the_plan(RE, docs):
    from ophyd.status import StatusBase

    class Broken:
        name = "broken"
        parent = None

        def set(self, value):
            status = StatusBase()
            status.set_exception(RuntimeError("ophyd move failed"))
            return status

    from benchplan import FailedStatus

    with pytest.raises(FailedStatus, match="ophyd move failed"):
        RE(bpp.run_wrapper(bps.mv(Broken(), 1)))
    assert docs.stop["exit_status"] == "fail"
