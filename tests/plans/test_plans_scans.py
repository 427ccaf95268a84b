"""The scans of benchplan.plans, checked message by message against bluesky's."""

import importlib

import bluesky.plans as bp
import pytest
from cycler import cycler
from ophyd.sim import det, det4, motor, motor1, motor2, motor_no_hints1, motor_no_pos, pseudo3x3
from plans_harness import (
    FakeEngine,
    assert_same_start,
    assert_same_stream,
    commands,
    reset_sim_devices,
    run_plan,
    start_md,
)

import benchplan.plans as op
from benchplan.plans.stubs import one_1d_step, one_nd_step, trigger_and_read


@pytest.fixture(autouse=True)
def _reset_devices():
    reset_sim_devices()
    yield
    reset_sim_devices()


def custom_nd_step(detectors, step, pos_cache):
    yield from one_nd_step(detectors, step, pos_cache)
    yield from trigger_and_read(list(detectors), name="extra")


def custom_1d_step(detectors, motor, step):
    yield from one_1d_step(detectors, motor, step)


SCANS = {
    "count": lambda m: m.count([det], 3),
    "count_two_detectors_md": lambda m: m.count([det, det4], 2, md={"sample": "A1"}),
    "count_user_hints": lambda m: m.count([det], 2, md={"hints": {"dimensions": [(["x"], "primary")]}}),
    "scan_num_positional": lambda m: m.scan([det], motor, -1, 1, 3),
    "scan_two_motors_num_keyword": lambda m: m.scan([det], motor1, -1, 1, motor2, 0, 2, num=4),
    "scan_custom_per_step": lambda m: m.scan([det], motor, 0, 1, 3, per_step=custom_nd_step),
    "scan_1d_per_step": lambda m: m.scan([det], motor, 0, 1, 3, per_step=custom_1d_step),
    "scan_user_md": lambda m: m.scan([det], motor, 0, 1, 2, md={"operator": "me", "hints": {"x": 1}}),
    "rel_scan": lambda m: m.rel_scan([det], motor, -1, 1, 3),
    "rel_scan_reads_motor_without_position": lambda m: m.rel_scan([det], motor_no_pos, 0, 1, 2),
    "list_scan": lambda m: m.list_scan([det], motor1, [1, 2, 3], motor2, [4, 5, 6]),
    "rel_list_scan": lambda m: m.rel_list_scan([det], motor1, [1, 2, 3]),
    "grid_scan": lambda m: m.grid_scan([det4], motor1, 0, 1, 2, motor2, 0, 2, 3),
    "grid_scan_snake_all": lambda m: m.grid_scan([det4], motor1, 0, 1, 3, motor2, 0, 2, 3, snake_axes=True),
    "grid_scan_snake_list": lambda m: m.grid_scan([det4], motor1, 0, 1, 3, motor2, 0, 2, 3,
                                                  snake_axes=[motor2]),
    "grid_scan_old_style_snake": lambda m: m.grid_scan([det4], motor1, 0, 1, 3, motor2, 0, 2, 3, True),
    "grid_scan_pseudo_axes": lambda m: m.grid_scan([det], pseudo3x3.pseudo1, 0, 1, 2,
                                                   pseudo3x3.pseudo2, 0, 1, 2),
    "rel_grid_scan": lambda m: m.rel_grid_scan([det4], motor1, 0, 1, 2, motor2, 0, 2, 3),
    "list_grid_scan": lambda m: m.list_grid_scan([det4], motor1, [0, 1], motor2, [0, 2, 3]),
    "list_grid_scan_snake": lambda m: m.list_grid_scan([det4], motor1, [0, 1], motor2, [0, 2, 3],
                                                       snake_axes=True),
    "rel_list_grid_scan": lambda m: m.rel_list_grid_scan([det4], motor1, [0, 1], motor2, [0, 2, 3]),
    "scan_nd": lambda m: m.scan_nd([det], cycler(motor1, [1, 2]) * cycler(motor2, [3, 4])),
    "scan_nd_inner": lambda m: m.scan_nd([det], cycler(motor1, [1, 2]) + cycler(motor2, [3, 4])),
    "log_scan": lambda m: m.log_scan([det], motor, 0, 2, 3),
    "log_scan_1d_per_step": lambda m: m.log_scan([det], motor, 0, 1, 2, per_step=custom_1d_step),
    "rel_log_scan": lambda m: m.rel_log_scan([det], motor, 0, 2, 3),
    "adaptive_scan": lambda m: m.adaptive_scan([det], "det", motor, -1, 1, 0.1, 0.5, 0.1, True),
    "adaptive_scan_no_backstep": lambda m: m.adaptive_scan([det], "det", motor, 1, -1, 0.1, 0.5, 0.1, False),
    "rel_adaptive_scan": lambda m: m.rel_adaptive_scan([det], "det", motor, -1, 1, 0.1, 0.5, 0.1, True),
}


@pytest.mark.parametrize("name", sorted(SCANS))
def test_scan_messages_and_start_metadata_match_bluesky(name):
    make = SCANS[name]
    ours, theirs = assert_same_stream(lambda: make(op), lambda: make(bp))
    assert_same_start(ours, theirs, unordered_motors=name.startswith("scan_nd"))


def test_ramp_plan_matches_bluesky():
    from bluesky.plan_stubs import abs_set as b_abs_set
    from bluesky.plan_stubs import trigger_and_read as b_trigger_and_read

    from benchplan.plans.stubs import abs_set

    ours, theirs = assert_same_stream(
        lambda: op.ramp_plan(abs_set(motor, 1), det, lambda: trigger_and_read([det]), period=None),
        lambda: bp.ramp_plan(b_abs_set(motor, 1), det, lambda: b_trigger_and_read([det]), period=None),
    )
    assert_same_start(ours, theirs)


def test_fly_matches_bluesky():
    from ophyd.sim import TrivialFlyer

    assert_same_stream(lambda: op.fly([TrivialFlyer()]), lambda: bp.fly([TrivialFlyer()]))


def test_count_checkpoints_before_each_reading():
    msgs = run_plan(op.count([det], 2))
    assert commands(msgs) == [
        "stage", "open_run",
        "checkpoint", "checkpoint", "trigger", "wait", "create", "read", "save",
        "checkpoint", "checkpoint", "trigger", "wait", "create", "read", "save",
        "close_run", "unstage",
    ]


def test_count_does_not_sleep_after_last_reading():
    msgs = run_plan(op.count([det], 2, delay=0.01))
    sleeps = [i for i, m in enumerate(msgs) if m.command == "sleep"]
    assert len(sleeps) <= 1  # only between the readings, none after the second
    assert msgs[-2].command == "close_run"


def test_scan_returns_run_uid():
    engine = FakeEngine()
    engine.run(op.scan([det], motor, 0, 1, 2))
    assert engine.return_value == "uid-1"


def test_scan_start_metadata_names_pattern_that_rebuilds_trajectory():
    md = start_md(run_plan(op.scan([det], motor, 0, 1, 3)))
    module = importlib.import_module(md["plan_pattern_module"])
    pattern = getattr(module, md["plan_pattern"])
    trajectory = pattern(num=3, args=[motor, 0, 1])
    assert [float(step[motor]) for step in trajectory] == [0.0, 0.5, 1.0]


def test_grid_scan_start_metadata_has_shape_extents_and_hints():
    md = start_md(run_plan(op.grid_scan([det4], motor1, 0, 1, 2, motor2, 0, 2, 3, snake_axes=True)))
    assert md["shape"] == (2, 3)
    assert md["extents"] == ([0, 1], [0, 2])
    assert md["snaking"] == (False, True)
    assert md["hints"] == {"gridding": "rectilinear",
                           "dimensions": [(["motor1"], "primary"), (["motor2"], "primary")]}
    assert md["num_points"] == 6


def test_motor_without_hints_is_named_in_dimensions():
    md = start_md(run_plan(op.scan([det], motor_no_hints1, 0, 1, 2)))
    assert md["hints"]["dimensions"] == [([motor_no_hints1.name], "primary")]


def test_user_md_overrides_plan_metadata_without_being_modified():
    user_md = {"plan_name": "my_scan", "hints": {"gridding": "custom"}}
    md = start_md(run_plan(op.grid_scan([det], motor1, 0, 1, 2, md=user_md)))
    assert md["plan_name"] == "my_scan"
    assert md["hints"]["gridding"] == "custom"
    assert user_md == {"plan_name": "my_scan", "hints": {"gridding": "custom"}}


def test_relative_scan_moves_relative_to_start_and_returns():
    motor.set(5)
    msgs = run_plan(op.rel_scan([det], motor, -1, 1, 3))
    sets = [m.args[0] for m in msgs if m.command == "set"]
    assert [float(s) for s in sets] == [4.0, 5.0, 6.0, 5.0]
    assert motor.position == 5


def test_scan_nd_merges_pseudo_axes_into_one_set_per_step():
    traj = cycler(pseudo3x3.pseudo1, [0, 1]) + cycler(pseudo3x3.pseudo2, [2, 3])
    msgs = run_plan(op.scan_nd([det], traj))
    sets = [(m.obj, m.args[0]) for m in msgs if m.command == "set"]
    assert sets == [(pseudo3x3, {"pseudo1": 0, "pseudo2": 2}), (pseudo3x3, {"pseudo1": 1, "pseudo2": 3})]


def test_one_d_per_step_with_two_motors_raises_type_error():
    plan = op.scan([det], motor1, 0, 1, motor2, 0, 1, 3, per_step=custom_1d_step)
    with pytest.raises(TypeError, match="moves one motor .* but the scan moves 2"):
        list(plan)


def test_per_step_with_wrong_signature_raises_type_error():
    def per_step(a, b):
        yield from []

    with pytest.raises(TypeError, match=r"per_step must take \(detectors, step, pos_cache\)"):
        list(op.scan([det], motor, 0, 1, 3, per_step=per_step))


@pytest.mark.parametrize(
    ("make", "text"),
    [
        (lambda: op.scan([det], motor, 0, 1, 0), "whole number of at least 1; got 0"),
        (lambda: op.scan([det], motor, 0, 1, num=2.5), "got 2.5"),
        (lambda: op.scan([det], motor, 0, 1), "last positional argument or as num="),
        (lambda: op.scan([det], motor, 0, num=3), "motor, start, stop for each motor"),
        (lambda: op.count([det], 0), "count: num is the number of points"),
        (lambda: op.log_scan([det], motor, 0, 1, -2), "log_scan: num"),
        (lambda: op.list_scan([det], motor1, [1, 2], motor2, [1]), "same number of positions"),
        (lambda: op.list_scan([det], motor1, [1, 2], motor2), "a motor and a list of positions"),
        (lambda: op.list_grid_scan([det], motor1, [1, 2], motor2), "a motor and a list of positions"),
        (lambda: op.list_grid_scan([det], motor1, []), r"no positions given for \['motor1'\]"),
        (lambda: op.grid_scan([det], motor1, 0, 1, 2, motor2, 0, 1), "got 7 argument"),
        (lambda: op.grid_scan([det], motor1, 0, 1, 2, 3, 0, 1, motor2), "not where motors belong"),
        (lambda: op.grid_scan([det], motor1, 0, 1, 2, motor1, 0, 1, 3), "listed more than once"),
        (lambda: op.grid_scan([det], motor1, 0, 1, 2, motor2, 0, 1, 3, snake_axes=[motor1]),
         "first \\(slowest\\) motor 'motor1'"),
        (lambda: op.grid_scan([det], motor1, 0, 1, 2, motor2, 0, 1, 3, snake_axes=[motor]),
         r"names \['motor'\], which the scan does not move"),
        (lambda: op.grid_scan([det], motor1, 0, 1, 2, motor2, 0, 1, 3, snake_axes=[motor2, motor2]),
         "more than once"),
        (lambda: op.grid_scan([det], motor1, 0, 1, 2, motor2, 0, 1, 3, True, snake_axes=True),
         "cannot be combined with snake_axes"),
        (lambda: op.grid_scan([det], motor1, 0, 1, 2, snake_axes="yes"), "snake_axes must be"),
        (lambda: op.adaptive_scan([det], "det", motor, 0, 1, 0.5, 0.1, 0.1, True),
         "need 0 < min_step < max_step"),
        (lambda: op.scan_nd([det], cycler(motor, [])), "no points"),
    ],
)
def test_bad_arguments_raise_value_error_saying_what_to_do(make, text):
    with pytest.raises(ValueError, match=text):
        list(make())


def test_detectors_not_a_list_raises_type_error():
    with pytest.raises(TypeError, match=r"count: 'detectors' must be a list or tuple .* \[det\]"):
        list(op.count(det))


class NeverDone:
    done = False


def test_ramp_plan_fails_run_when_ramp_outlasts_timeout():
    def go():
        yield from []
        return NeverDone()

    engine = FakeEngine()
    with pytest.raises(RuntimeError, match="did not finish within the timeout of 0 s"):
        engine.run(op.ramp_plan(go(), det, lambda: trigger_and_read([det]), timeout=0))
    assert commands(engine.msgs)[-2:] == ["unmonitor", "close_run"]
    assert engine.msgs[-1].kwargs["exit_status"] == "fail"


def test_ramp_plan_takes_points_until_ramp_is_done():
    class DoneAfterTwoChecks:
        checks = 0

        @property
        def done(self):
            self.checks += 1
            return self.checks > 2

    def go():
        yield from []
        return DoneAfterTwoChecks()

    msgs = run_plan(op.ramp_plan(go(), det, lambda: trigger_and_read([det])))
    assert commands(msgs).count("save") == 4  # before, two during, after
    assert commands(msgs)[:2] == ["open_run", "monitor"]


def test_list_scan_records_numpy_positions_as_lists_in_start_document():
    import numpy as np

    md = start_md(run_plan(op.list_scan([det], motor, np.array([1.0, 2.0]))))
    assert md["plan_args"]["args"][1] == [1.0, 2.0]
    assert type(md["plan_args"]["args"][1]) is list
