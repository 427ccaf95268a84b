"""The preprocessors of benchplan.plans.preprocessors, checked against bluesky's and on their own."""

import bluesky.plan_stubs as bps
import bluesky.plans as bp
import bluesky.preprocessors as bpp
import pytest
from ophyd.sim import TrivialFlyer, det, det1, det2, det_with_count_time, motor, motor1, motor2, motor_no_pos
from plans_harness import FakeEngine, assert_same_stream, commands, reset_sim_devices, run_plan

import benchplan.plans as op
from benchplan import Msg
from benchplan.errors import RequestAbort, RequestStop
from benchplan.plans import preprocessors as opp
from benchplan.plans import stubs as ops


@pytest.fixture(autouse=True)
def _reset_devices():
    reset_sim_devices()
    yield
    reset_sim_devices()


def gen(*msgs):
    """A plan yielding ``msgs``; returns the list of answers it got."""
    answers = []
    for msg in msgs:
        answers.append((yield msg))
    return answers


# --- against bluesky ------------------------------------------------------------

WRAPPERS = {
    "baseline_wrapper": lambda m, s, p: p.baseline_wrapper(m.count([det], 2), [det1, motor]),
    "baseline_wrapper_no_devices": lambda m, s, p: p.baseline_wrapper(m.count([det]), []),
    "baseline_wrapper_run_key": lambda m, s, p: p.baseline_wrapper(
        p.set_run_key_wrapper(m.count([det]), "A"), [det1]),
    "monitor_during_wrapper": lambda m, s, p: p.monitor_during_wrapper(m.count([det], 2), [det1, det2]),
    "fly_during_wrapper": lambda m, s, p: p.fly_during_wrapper(m.count([det]), [TrivialFlyer()]),
    "supplemental_data": lambda m, s, p: p.SupplementalData(
        baseline=[det1], monitors=[det2], flyers=[TrivialFlyer()])(m.count([det], 2)),
    "subs_wrapper": lambda m, s, p: p.subs_wrapper(m.count([det]), {"event": [print], "start": print}),
    "subs_decorator": lambda m, s, p: p.subs_decorator(print)(m.count)([det]),
    "suspend_wrapper": lambda m, s, p: p.suspend_wrapper(m.count([det]), ["s1", "s2"]),
    "suspend_wrapper_single": lambda m, s, p: p.suspend_wrapper(m.count([det]), "s1"),
    "stage_wrapper": lambda m, s, p: p.stage_wrapper(s.trigger_and_read([det, motor]), [det, motor]),
    "lazily_stage_wrapper": lambda m, s, p: p.lazily_stage_wrapper(
        p.pchain(s.trigger_and_read([det, motor]), s.mv(motor1, 1))),
    "relative_set_wrapper": lambda m, s, p: p.relative_set_wrapper(s.mv(motor1, 1, motor2, 2), [motor1]),
    "relative_set_wrapper_all": lambda m, s, p: p.relative_set_wrapper(s.mv(motor1, 1, motor_no_pos, 2)),
    "reset_positions_wrapper": lambda m, s, p: p.reset_positions_wrapper(s.mv(motor1, 1, motor2, 2)),
    "reset_positions_decorator": lambda m, s, p: p.reset_positions_decorator([motor2])(s.mv)(motor1, 1, motor2, 2),
    "configure_count_time_wrapper": lambda m, s, p: p.configure_count_time_wrapper(
        m.count([det_with_count_time]), 0.5),
    "configure_count_time_wrapper_none": lambda m, s, p: p.configure_count_time_wrapper(
        m.count([det_with_count_time]), None),
    "inject_md_wrapper": lambda m, s, p: p.inject_md_wrapper(m.count([det]), {"sample": "A1"}),
    "rewindable_wrapper_false": lambda m, s, p: p.rewindable_wrapper(s.trigger_and_read([det]), False),
    "rewindable_wrapper_true": lambda m, s, p: p.rewindable_wrapper(s.trigger_and_read([det]), True),
    "stub_wrapper": lambda m, s, p: p.stub_wrapper(m.count([det], 2)),
    "set_run_key_wrapper": lambda m, s, p: p.set_run_key_wrapper(m.count([det]), "run-A"),
    "run_decorator": lambda m, s, p: p.run_decorator(md={"a": 1})(s.trigger_and_read)([det]),
    "finalize_wrapper": lambda m, s, p: p.finalize_wrapper(s.mv(motor, 1), s.mv(motor, 0)),
    "finalize_wrapper_callable": lambda m, s, p: p.finalize_wrapper(s.null(), lambda: s.checkpoint()),
    "contingency_wrapper": lambda m, s, p: p.contingency_wrapper(
        s.null(), else_plan=s.checkpoint, final_plan=s.clear_checkpoint),
    "pchain": lambda m, s, p: p.pchain(s.null(), s.checkpoint(), s.mv(motor, 1)),
    "msg_mutator": lambda m, s, p: p.msg_mutator(
        m.count([det], 2), lambda msg: None if msg.command == "checkpoint" else msg),
}


@pytest.mark.parametrize("name", sorted(WRAPPERS))
def test_wrapper_messages_match_bluesky(name):
    make = WRAPPERS[name]
    assert_same_stream(lambda: make(op, ops, opp), lambda: make(bp, bps, bpp))


def test_baseline_messages_in_order():
    msgs = run_plan(opp.baseline_wrapper(op.count([det]), [det1]))
    assert commands(msgs) == [
        "stage", "open_run",
        "declare_stream", "trigger", "wait", "create", "read", "save",  # baseline before
        "checkpoint", "checkpoint", "trigger", "wait", "create", "read", "save",
        "trigger", "wait", "create", "read", "save",  # baseline after
        "close_run", "unstage",
    ]
    assert {m.kwargs["name"] for m in msgs if m.command == "create"} == {"baseline", "primary"}


def test_supplemental_data_repr_and_pickle_state():
    sd = opp.SupplementalData(baseline=[det1])
    assert repr(sd) == f"SupplementalData(baseline=[{det1!r}], monitors=[], flyers=[])"
    copy = opp.SupplementalData()
    copy.__setstate__(sd.__getstate__())
    assert copy.baseline == [det1]


def test_supplemental_data_uses_lists_as_they_are_when_plan_starts():
    sd = opp.SupplementalData()
    plan = sd(op.count([det]))
    engine = FakeEngine()
    first = next(plan)
    sd.baseline.append(det1)
    engine.msgs.append(first)
    engine.run(_resume(plan, engine.respond(first)))
    assert "baseline" not in {m.kwargs.get("name") for m in engine.msgs}
    assert "baseline" in {m.kwargs.get("name") for m in run_plan(sd(op.count([det])))}


def _resume(plan, answer):
    """Continue a started plan, first sending it ``answer``."""
    msg = plan.send(answer)
    while True:
        try:
            msg = plan.send((yield msg))
        except StopIteration as stop:
            return stop.value


# --- run_wrapper -------------------------------------------------------------------

def test_run_wrapper_returns_run_uid_and_closes_with_success():
    engine = FakeEngine()
    msgs = engine.run(opp.run_wrapper(gen(Msg("null")), md={"a": 1}))
    assert msgs == [Msg("open_run", a=1), Msg("null"), Msg("close_run", exit_status=None, reason=None)]
    assert engine.return_value == "uid-1"


def test_run_wrapper_closes_run_as_failed_with_reason_and_reraises():
    def failing():
        yield Msg("null")
        raise ValueError("supply tripped")

    engine = FakeEngine()
    with pytest.raises(ValueError, match="supply tripped"):
        engine.run(opp.run_wrapper(failing()))
    assert engine.msgs[-1] == Msg("close_run", exit_status="fail", reason="supply tripped")


def test_run_wrapper_closes_run_as_failed_when_engine_raises_into_plan():
    engine = FakeEngine(fail=lambda m: OSError("no answer") if m.command == "read" else None)
    with pytest.raises(OSError):
        engine.run(opp.run_wrapper(ops.trigger_and_read([det])))
    assert engine.msgs[-1] == Msg("close_run", exit_status="fail", reason="no answer")


@pytest.mark.parametrize(("exc", "status", "reason"),
                         [(RequestAbort("user abort"), "abort", "user abort"), (RequestStop(), "success", None)])
def test_run_wrapper_closes_run_with_status_of_engine_requests(exc, status, reason):
    engine = FakeEngine(fail=lambda m: exc if m.command == "checkpoint" else None)
    with pytest.raises(type(exc)):
        engine.run(opp.run_wrapper(ops.checkpoint()))
    assert engine.msgs[-1] == Msg("close_run", exit_status=status, reason=reason)


def test_run_wrapper_does_not_yield_when_closed():
    plan = opp.run_wrapper(gen(Msg("null"), Msg("null")))
    next(plan)
    next(plan)
    plan.close()  # would raise RuntimeError if it tried to yield close_run


# --- finalize / contingency --------------------------------------------------------------

def test_finalize_wrapper_runs_cleanup_when_plan_raises():
    def failing():
        yield Msg("null")
        raise RuntimeError("bad")

    engine = FakeEngine()
    with pytest.raises(RuntimeError, match="bad"):
        engine.run(opp.finalize_wrapper(failing(), gen(Msg("unstage", det))))
    assert commands(engine.msgs) == ["null", "unstage"]


def test_finalize_wrapper_runs_cleanup_when_engine_raises_into_plan():
    engine = FakeEngine(fail=lambda m: RequestAbort() if m.command == "checkpoint" else None)
    with pytest.raises(RequestAbort):
        engine.run(opp.finalize_wrapper(gen(Msg("checkpoint")), gen(Msg("unstage", det))))
    assert commands(engine.msgs) == ["checkpoint", "unstage"]


def test_finalize_wrapper_skips_cleanup_on_close_and_closes_it():
    closed = []

    def cleanup():
        try:
            yield Msg("unstage", det)
        finally:
            closed.append(True)

    cleanup_plan = cleanup()
    next(cleanup_plan, None)  # started, so close() runs its finally
    plan = opp.finalize_wrapper(gen(Msg("null"), Msg("null")), cleanup_plan)
    assert next(plan) == Msg("null")
    plan.close()
    assert closed == [True]


def test_finalize_wrapper_pauses_for_debug_before_cleanup():
    engine = FakeEngine(fail=lambda m: RuntimeError("x") if m.command == "null" else None)
    with pytest.raises(RuntimeError):
        engine.run(opp.finalize_wrapper(gen(Msg("null")), gen(Msg("unstage", det)), pause_for_debug=True))
    assert commands(engine.msgs) == ["null", "pause", "unstage"]


def test_finalize_wrapper_returns_plan_value():
    engine = FakeEngine()
    engine.run(opp.finalize_wrapper(gen(Msg("null")), []))
    assert engine.return_value == [None]


def test_finalize_decorator_needs_callable():
    with pytest.raises(TypeError, match="needs a callable that returns the cleanup plan"):
        opp.finalize_decorator(gen(Msg("null")))


def test_finalize_decorator_makes_fresh_cleanup_per_call():
    @opp.finalize_decorator(lambda: gen(Msg("unstage", det)))
    def plan():
        yield Msg("stage", det)

    assert commands(list(plan())) == commands(list(plan())) == ["stage", "unstage"]
    assert plan.__name__ == "plan"


def test_contingency_wrapper_runs_except_plan_then_final_plan_and_reraises():
    seen = []

    def except_plan(exc):
        seen.append(exc)
        yield Msg("drop")

    def failing():
        yield Msg("null")
        raise KeyError("k")

    engine = FakeEngine()
    with pytest.raises(KeyError):
        engine.run(opp.contingency_wrapper(failing(), except_plan=except_plan,
                                           else_plan=lambda: gen(Msg("save")),
                                           final_plan=lambda: gen(Msg("unstage", det))))
    assert commands(engine.msgs) == ["null", "drop", "unstage"]
    assert isinstance(seen[0], KeyError)


def test_contingency_wrapper_without_auto_raise_returns_except_plan_value():
    def failing():
        raise ValueError("v")
        yield

    def recover(exc):
        yield Msg("null")
        return "recovered"

    engine = FakeEngine()
    engine.run(opp.contingency_wrapper(failing(), except_plan=recover, auto_raise=False))
    assert engine.return_value == "recovered"


def test_contingency_wrapper_skips_final_plan_on_close():
    plan = opp.contingency_wrapper(gen(Msg("null"), Msg("null")), final_plan=lambda: gen(Msg("unstage", det)))
    next(plan)
    plan.close()  # no RuntimeError: nothing yielded while closing


# --- plan_mutator / msg_mutator / pchain -------------------------------------------------

def test_plan_mutator_head_replaces_message_and_plan_gets_last_answer_of_head():
    engine = FakeEngine()

    def proc(msg):
        if msg.command == "set":
            return gen(Msg("null"), Msg("open_run")), None
        return None, None

    engine.run(opp.plan_mutator(gen(Msg("set", motor, 1), Msg("null")), proc))
    assert commands(engine.msgs) == ["null", "open_run", "null"]
    assert engine.return_value == ["uid-1", None]


def test_plan_mutator_tail_runs_after_message_and_plan_gets_message_answer():
    engine = FakeEngine()

    def proc(msg):
        if msg.command == "open_run":
            return None, gen(Msg("null"), Msg("checkpoint"))
        return None, None

    engine.run(opp.plan_mutator(gen(Msg("open_run"), Msg("close_run")), proc))
    assert commands(engine.msgs) == ["open_run", "null", "checkpoint", "close_run"]
    assert engine.return_value == ["uid-1", "closed"]


def test_plan_mutator_processes_inserted_messages_but_not_the_original_again():
    seen = []

    def proc(msg):
        seen.append(msg.command)
        if msg.command == "set":
            return opp.pchain(gen(Msg("read", motor)), gen(msg)), None
        return None, None

    msgs = run_plan(opp.plan_mutator(gen(Msg("set", motor, 1)), proc))
    assert commands(msgs) == ["read", "set"]
    assert seen == ["set", "read"]


def test_plan_mutator_processes_same_message_object_each_time_it_is_yielded():
    msg = Msg("checkpoint")

    def proc(m):
        return (None, gen(Msg("null"))) if m.command == "checkpoint" else (None, None)

    assert commands(run_plan(opp.plan_mutator(gen(msg, msg), proc))) == ["checkpoint", "null"] * 2


def test_plan_mutator_throws_engine_errors_into_plan():
    def plan():
        try:
            yield Msg("read", det)
        except OSError:
            yield Msg("drop")
            return "handled"

    engine = FakeEngine(fail=lambda m: OSError() if m.command == "read" else None)
    engine.run(opp.plan_mutator(plan(), lambda m: (None, None)))
    assert commands(engine.msgs) == ["read", "drop"]
    assert engine.return_value == "handled"


def test_plan_mutator_error_in_head_reaches_plan_and_tail_is_skipped():
    def bad_head():
        yield Msg("null")
        raise RuntimeError("head failed")

    def plan():
        try:
            yield Msg("set", motor, 1)
        except RuntimeError as exc:
            return str(exc)

    def proc(msg):
        return (bad_head(), gen(Msg("checkpoint"))) if msg.command == "set" else (None, None)

    engine = FakeEngine()
    engine.run(opp.plan_mutator(plan(), proc))
    assert commands(engine.msgs) == ["null"]
    assert engine.return_value == "head failed"


def test_plan_mutator_close_closes_inner_plans():
    closed = []

    def plan():
        try:
            yield Msg("set", motor, 1)
        finally:
            closed.append("plan")

    def head(msg):
        try:
            yield Msg("null")
            yield msg
        finally:
            closed.append("head")

    mutated = opp.plan_mutator(plan(), lambda m: (head(m), None) if m.command == "set" else (None, None))
    next(mutated)
    mutated.close()
    assert closed == ["head", "plan"]


def test_msg_mutator_dropped_message_sends_none_back():
    engine = FakeEngine()
    engine.run(opp.msg_mutator(gen(Msg("open_run"), Msg("null")),
                               lambda m: None if m.command == "open_run" else m))
    assert commands(engine.msgs) == ["null"]
    assert engine.return_value == [None, None]


def test_msg_mutator_error_in_processor_is_thrown_into_plan():
    def plan():
        try:
            yield Msg("null")
        except ZeroDivisionError:
            return "caught"

    engine = FakeEngine()
    engine.run(opp.msg_mutator(plan(), lambda m: 1 / 0))
    assert engine.return_value == "caught"


def test_pchain_returns_each_plan_value():
    engine = FakeEngine()
    engine.run(opp.pchain(gen(Msg("open_run")), gen(Msg("null"))))
    assert engine.return_value == (["uid-1"], [None])


# --- others ----------------------------------------------------------------------------------

def test_stage_wrapper_unstages_in_reverse_when_plan_fails():
    def failing():
        yield Msg("null")
        raise RuntimeError("x")

    engine = FakeEngine()
    with pytest.raises(RuntimeError):
        engine.run(opp.stage_wrapper(failing(), [det, motor]))
    assert [(m.command, m.obj) for m in engine.msgs if m.command != "null"] == [
        ("stage", det), ("stage", motor), ("unstage", motor), ("unstage", det)]


def test_inject_md_overrides_plan_metadata():
    msgs = run_plan(opp.inject_md_wrapper(op.count([det], md={"sample": "old"}), {"sample": "new"}))
    assert msgs[1].kwargs["sample"] == "new"


def test_set_run_key_wrapper_needs_a_key():
    with pytest.raises(ValueError, match="needs a run key to set, got None"):
        list(opp.set_run_key_wrapper(gen(Msg("null")), None))


def test_stub_wrapper_returns_stripped_start_metadata():
    engine = FakeEngine()
    engine.run(opp.stub_wrapper(op.count([det])))
    assert engine.return_value["plan_name"] == "count"
    assert not {"open_run", "close_run", "stage", "unstage"} & set(commands(engine.msgs))


@pytest.mark.parametrize(("subs", "text"), [({"evnt": print}, "Cannot subscribe to 'evnt'"),
                                            ([print, 3], "Cannot subscribe 3"), (3, "Cannot subscribe 3")])
def test_subs_wrapper_rejects_bad_subscriptions(subs, text):
    with pytest.raises(ValueError, match=text):
        list(opp.subs_wrapper(gen(Msg("null")), subs))


def test_subs_wrapper_unsubscribes_tokens_it_got():
    msgs = run_plan(opp.subs_wrapper(gen(Msg("null")), [print, repr]))
    assert [m.kwargs["token"] for m in msgs if m.command == "unsubscribe"] == [1, 2]


def test_relative_set_wrapper_of_multi_field_device_without_hint_raises():
    class TwoFields:
        name = "dual"
        parent = None
        hints = {"fields": ["a", "b"]}

        def set(self, value):
            raise AssertionError("not reached")

        def read(self):
            return {"a": {"value": 1, "timestamp": 0}, "b": {"value": 2, "timestamp": 0}}

    with pytest.raises(ValueError, match="Cannot find the position of 'dual'.*hint exactly one"):
        run_plan(opp.relative_set_wrapper(ops.mv(TwoFields(), 1)))


def test_print_summary_wrapper_reports_moves_and_reads(capsys):
    run_plan(opp.print_summary_wrapper(op.scan([det], motor, 0, 1, 2)))
    out = capsys.readouterr().out
    assert "Open Run" in out and "Close Run" in out
    assert "motor -> 0.0" in out
    assert "  Read ['det', 'motor']" in out


def test_make_decorator_names_decorator_after_wrapper():
    assert opp.run_decorator.__name__ == "run_decorator"
    decorated = opp.make_decorator(opp.inject_md_wrapper)({"x": 1})(op.count)
    assert decorated.__name__ == "count"
    assert run_plan(decorated([det]))[1].kwargs["x"] == 1
