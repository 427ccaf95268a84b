"""The plan stubs of benchplan.plans.stubs, checked against bluesky's and on their own."""

import bluesky.plan_stubs as bps
import pytest
from ophyd.sim import MockFlyer, TrivialFlyer, det, det4, motor, motor1, motor2, motor_no_pos, pseudo3x3
from plans_harness import (
    FakeEngine,
    assert_same_stream,
    commands,
    normalize,
    reset_sim_devices,
    run_plan,
)

from benchplan import Msg
from benchplan.plans import stubs as ops


@pytest.fixture(autouse=True)
def _reset_devices():
    reset_sim_devices()
    yield
    reset_sim_devices()


class Flag:
    """A stand-in for a device's ``rewindable`` signal."""

    def __init__(self, value):
        self.value = value

    def get(self):
        return self.value


class NonRewindableDetector:
    """A detector that must not be re-triggered on resume."""

    name = "camera"
    parent = None

    def __init__(self, rewindable=False):
        self.rewindable = Flag(rewindable)

    def read(self):
        return {"camera": {"value": 1, "timestamp": 0.0}}

    def describe(self):
        return {"camera": {"source": "test", "dtype": "number", "shape": []}}

    def trigger(self):
        return det.trigger()


def noop():
    yield Msg("null")


def chain(*plans):
    for plan in plans:
        yield from plan


STUBS = {
    "abs_set": lambda m: m.abs_set(motor, 3),
    "abs_set_wait": lambda m: m.abs_set(motor, 3, wait=True),
    "abs_set_group_kwargs": lambda m: m.abs_set(motor, 3, group="A", wait=True),
    "rel_set": lambda m: m.rel_set(motor, 1, wait=True),
    "mv": lambda m: m.mv(motor1, 1, motor2, 2),
    "mv_timeout": lambda m: m.mv(motor1, 1, timeout=5),
    "mv_pseudo_axes_merged": lambda m: m.mv(pseudo3x3.pseudo1, 1, pseudo3x3.pseudo2, 2),
    "mvr": lambda m: m.mvr(motor1, 1, motor2, 2),
    "mvr_reads_motor_without_position": lambda m: m.mvr(motor_no_pos, 1),
    "rd_detector": lambda m: m.rd(det),
    "rd_motor": lambda m: m.rd(motor),
    "locate": lambda m: m.locate(motor, motor1, squeeze=False),
    "read": lambda m: m.read(det),
    "stop": lambda m: m.stop(motor),
    "trigger": lambda m: m.trigger(det, wait=True),
    "trigger_group": lambda m: m.trigger(det, group="G"),
    "stage_unstage": lambda m: chain(m.stage(det), m.unstage(det)),
    "stage_all_unstage_all": lambda m: chain(m.stage_all(det, motor), m.unstage_all(motor, det)),
    "configure": lambda m: m.configure(det, {"sigma": 2}),
    "kickoff_complete_collect": lambda m: _fly(m),
    "kickoff_all_complete_all": lambda m: _fly_all(m),
    "prepare": lambda m: m.prepare(motor, 1, wait=True),
    "monitor_unmonitor": lambda m: chain(m.monitor(det, name="m"), m.unmonitor(det)),
    "create_save_drop": lambda m: chain(m.create("other"), m.save(), m.drop()),
    "declare_stream": lambda m: m.declare_stream(det, motor, name="primary"),
    "sleep": lambda m: m.sleep(2),
    "wait": lambda m: m.wait("A", timeout=1, error_on_timeout=False),
    "wait_for": lambda m: m.wait_for([noop], timeout=3),
    "null": lambda m: m.null(),
    "checkpoint": lambda m: m.checkpoint(),
    "clear_checkpoint": lambda m: m.clear_checkpoint(),
    "pause": lambda m: m.pause(),
    "deferred_pause": lambda m: m.deferred_pause(),
    "input_plan": lambda m: m.input_plan("Sample? "),
    "open_run_close_run": lambda m: chain(m.open_run({"a": 1}), m.close_run("fail", "boom")),
    "subscribe_unsubscribe": lambda m: chain(m.subscribe("event", print), m.unsubscribe(1)),
    "install_remove_suspender": lambda m: chain(m.install_suspender("s"), m.remove_suspender("s")),
    "broadcast_msg": lambda m: m.broadcast_msg("stop", [motor1, motor2], 1, key=2),
    "trigger_and_read": lambda m: m.trigger_and_read([det, motor, det]),
    "trigger_and_read_stream": lambda m: m.trigger_and_read([det4], name="other"),
    "trigger_and_read_not_rewindable": lambda m: m.trigger_and_read([NonRewindableDetector(), det]),
    "trigger_and_read_rewindable_flag_true": lambda m: m.trigger_and_read([NonRewindableDetector(True)]),
    "one_shot": lambda m: m.one_shot([det]),
    "one_1d_step": lambda m: m.one_1d_step([det], motor, 2),
    "move_per_step": lambda m: m.move_per_step({motor1: 1, motor2: 2}, {motor1: 1, motor2: 0}),
    "one_nd_step": lambda m: m.one_nd_step([det], {motor1: 1, motor2: 2}, {motor1: 1, motor2: 0}),
    "repeater": lambda m: m.repeater(3, m.trigger_and_read, [det]),
    "repeat": lambda m: m.repeat(m.null, num=3),
    "repeat_delays": lambda m: m.repeat(m.null, num=3, delay=[0.5, 0.5]),
}


def _fly(m):
    flyer = MockFlyer("flyer", det, motor, 0, 1, 2)
    yield from m.kickoff(flyer, wait=True)
    yield from m.complete(flyer, wait=True)
    yield from m.collect(flyer)


def _fly_all(m):
    flyers = [TrivialFlyer(), TrivialFlyer()]
    yield from m.kickoff_all(*flyers)
    yield from m.complete_all(*flyers, wait=True)


@pytest.mark.parametrize("name", sorted(STUBS))
def test_stub_messages_match_bluesky(name):
    make = STUBS[name]
    assert_same_stream(lambda: make(ops), lambda: make(bps))


def test_caching_repeater_matches_bluesky():
    with pytest.warns(UserWarning, match="caching_repeater"):
        assert_same_stream(lambda: ops.caching_repeater(2, ops.null()),
                           lambda: bps.caching_repeater(2, bps.null()))


def test_trigger_and_read_returns_merged_readings():
    engine = FakeEngine()
    engine.run(ops.trigger_and_read([det, motor]))
    assert set(engine.return_value) == {"det", "motor", "motor_setpoint"}


def test_trigger_and_read_without_devices_takes_no_event():
    engine = FakeEngine()
    assert commands(engine.run(ops.trigger_and_read([]))) == ["null"]
    assert engine.return_value == {}


def test_non_rewindable_device_disables_rewinding_around_step_and_restores_it():
    msgs = run_plan(ops.trigger_and_read([NonRewindableDetector()]))
    rewindable = [m.args for m in msgs if m.command == "rewindable"]
    assert rewindable == [(None,), (False,), (True,)]
    assert msgs[1] == Msg("rewindable", None, False)
    assert msgs[-1] == Msg("rewindable", None, True)


def test_non_rewindable_step_leaves_setting_alone_when_engine_already_not_rewindable():
    engine = FakeEngine()
    engine.rewindable = False
    msgs = engine.run(ops.trigger_and_read([NonRewindableDetector()]))
    assert [m.args for m in msgs if m.command == "rewindable"] == [(None,)]


def test_trigger_and_read_drops_event_when_a_read_fails():
    error = RuntimeError("detector unplugged")
    engine = FakeEngine(fail=lambda msg: error if msg.command == "read" else None)
    with pytest.raises(RuntimeError, match="detector unplugged"):
        engine.run(ops.trigger_and_read([det]))
    assert commands(engine.msgs)[-2:] == ["read", "drop"]


def test_rewindable_restored_when_read_fails():
    error = RuntimeError("boom")
    engine = FakeEngine(fail=lambda msg: error if msg.command == "read" else None)
    with pytest.raises(RuntimeError):
        engine.run(ops.trigger_and_read([NonRewindableDetector()]))
    assert engine.msgs[-1] == Msg("rewindable", None, True)
    assert engine.rewindable is True


def test_mv_returns_statuses_and_moves():
    engine = FakeEngine()
    engine.run(ops.mv(motor1, 1, motor2, 2))
    assert len(engine.return_value) == 2
    assert all(status.done for status in engine.return_value)
    assert (motor1.position, motor2.position) == (1, 2)


def test_mvr_moves_by_offset():
    motor1.set(3)
    run_plan(ops.mvr(motor1, -1))
    assert motor1.position == 2


def test_rd_returns_single_value():
    motor.set(4)
    engine = FakeEngine()
    engine.run(ops.rd(motor))
    assert engine.return_value == 4


def test_rd_returns_default_value_when_listed():
    assert list(ops.rd(det, default_value=7)) == [Msg("read", det)]


def test_rd_of_device_with_several_hinted_fields_raises():
    class TwoFields:
        name = "dual"
        hints = {"fields": ["a", "b"]}

    with pytest.raises(ValueError, match=r"rd cannot pick one value of 'dual'.*hints 2 fields"):
        list(ops.rd(TwoFields()))


@pytest.mark.parametrize(
    ("args", "text"),
    [((), "got 0 argument"), ((motor1, 1, motor2), "got 3 argument"),
     ((motor1, 1, motor1, 2), "same device more than once")],
)
def test_mv_with_bad_arguments_raises_value_error(args, text):
    with pytest.raises(ValueError, match=text):
        list(ops.mv(*args))
    with pytest.raises(ValueError, match=text.replace("mv", "mvr")):
        list(ops.mvr(*args))


def test_stage_without_waiting_an_old_style_device_raises():
    engine = FakeEngine()
    with pytest.raises(RuntimeError, match="Cannot stage 'det' without waiting"):
        engine.run(ops.stage(det, wait=False))
    det.unstage()


def test_kickoff_all_of_non_flyer_raises_type_error():
    with pytest.raises(TypeError, match="kickoff_all: 'det' is not a flyer"):
        list(ops.kickoff_all(det))


def test_repeat_with_too_few_delays_raises():
    with pytest.raises(ValueError, match="num=4 needs 3 delays .* only 1"):
        list(ops.repeat(ops.null, num=4, delay=[1]))


def test_repeat_with_delay_iterator_running_out_raises():
    with pytest.raises(ValueError, match="num=3 but delay gave only 1 delays"):
        list(ops.repeat(ops.null, num=3, delay=iter([0.5])))


def test_repeat_sleeps_between_repetitions_only():
    msgs = run_plan(ops.repeat(ops.null, num=3, delay=10))
    assert commands(msgs) == ["checkpoint", "null", "sleep", "checkpoint", "null", "sleep",
                              "checkpoint", "null"]
    assert all(0 < m.args[0] <= 10 for m in msgs if m.command == "sleep")


def test_repeat_forever_until_closed():
    plan = ops.repeat(ops.null, num=None)
    first = [next(plan) for _ in range(6)]
    plan.close()
    assert commands(first) == ["checkpoint", "null"] * 3


def test_move_per_step_skips_motors_already_in_place_and_updates_cache():
    cache = {motor1: 1}
    msgs = run_plan(ops.move_per_step({motor1: 1, motor2: 2}, cache))
    assert normalize(msgs) == [("checkpoint", None, (), {}), ("set", "motor2", (2,), {"group": "<group>"}),
                               ("wait", None, (), {"group": "<group>"})]
    assert cache == {motor1: 1, motor2: 2}


def test_breakpoint_places_checkpoint_then_breakpoint_message():
    msgs = list(ops.breakpoint("check wiring", timeout=5))
    assert msgs == [Msg("checkpoint"),
                    Msg("breakpoint", None, label="check wiring", timeout=5, interactive=False)]


def test_set_and_wait_share_group():
    msgs = list(ops.abs_set(motor, 1, wait=True))
    assert msgs[0].kwargs["group"] == msgs[1].kwargs["group"] is not None
