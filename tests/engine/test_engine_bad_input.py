"""Bad plans, bad devices and bad callbacks: clear errors, and no run left open."""

from __future__ import annotations

import logging

import pytest

from benchplan import (
    FailedStatus,
    IllegalMessageSequence,
    InvalidCommand,
    InvalidMessage,
    Msg,
    RunEngine,
)
from benchplan.devices import soft_signal_rw
from benchplan.devices.sim import det
from benchplan.plans import count
from benchplan.plans.stubs import trigger_and_read

from engine_helpers import PendingMover, Recorder, assert_runs_closed


def in_a_run(*msgs, cleanup=None):
    """A plan: open a run, yield ``msgs``, close the run; ``cleanup`` records its finally."""

    def plan():
        try:
            yield Msg("open_run")
            for msg in msgs:
                yield msg
            yield Msg("close_run")
        finally:
            if cleanup is not None:
                cleanup.append("finally")

    return plan()


def assert_failed_run(docs, *fragments):
    assert_runs_closed(docs)
    assert docs.starts, "no run was opened"
    stop = docs.stops[-1]
    assert stop["exit_status"] == "fail"
    for fragment in fragments:
        assert fragment in stop["reason"], stop["reason"]


def test_unknown_command_raises_invalid_command_naming_it(RE, docs):
    cleanup = []
    with pytest.raises(InvalidCommand) as info:
        RE(in_a_run(Msg("frobnicate", None), cleanup=cleanup))
    text = str(info.value)
    assert "'frobnicate'" in text
    assert "register_command" in text
    assert "plan" in text
    assert cleanup == ["finally"]
    assert_failed_run(docs, "InvalidCommand", "frobnicate")
    assert RE.state == "idle"


def test_invalid_command_is_a_key_error_with_readable_text(RE):
    with pytest.raises(KeyError) as info:
        RE([Msg("nope")])
    assert str(info.value).startswith("The plan")


def test_yielding_a_non_message_raises_invalid_message_naming_type_and_plan(RE, docs):
    def my_bad_plan():
        yield Msg("open_run")
        yield "open_run"
        yield Msg("close_run")

    with pytest.raises(InvalidMessage) as info:
        RE(my_bad_plan())
    text = str(info.value)
    assert "str" in text
    assert "my_bad_plan" in text
    assert "Msg(command" in text
    assert_failed_run(docs, "InvalidMessage")


def test_yielding_none_raises_invalid_message(RE, docs):
    def plan():
        yield Msg("open_run")
        yield None

    with pytest.raises(InvalidMessage, match="NoneType"):
        RE(plan())
    assert_failed_run(docs)


def test_invalid_message_can_be_caught_by_the_plan(RE, docs):
    caught = []

    def plan():
        yield Msg("open_run")
        try:
            yield 42
        except InvalidMessage as exc:
            caught.append(exc)
        yield Msg("close_run")

    RE(plan())
    assert len(caught) == 1
    assert docs.stop["exit_status"] == "success"


def test_create_without_an_open_run(RE):
    with pytest.raises(IllegalMessageSequence) as info:
        RE([Msg("create", name="primary")])
    text = str(info.value)
    assert "'create'" in text and "no run" in text and "open_run" in text
    assert RE.state == "idle"


def test_save_without_create(RE, docs):
    with pytest.raises(IllegalMessageSequence) as info:
        RE(in_a_run(Msg("save")))
    text = str(info.value)
    assert "Cannot 'save'" in text and "no bundle is open" in text and "create" in text
    assert_failed_run(docs, "IllegalMessageSequence", "save")


def test_drop_without_create(RE, docs):
    with pytest.raises(IllegalMessageSequence, match="Cannot 'drop'"):
        RE(in_a_run(Msg("drop")))
    assert_failed_run(docs)


def test_create_twice(RE, docs):
    with pytest.raises(IllegalMessageSequence, match="still open"):
        RE(in_a_run(Msg("create"), Msg("create")))
    assert_failed_run(docs)


def test_open_run_twice_on_one_key(RE, docs):
    with pytest.raises(IllegalMessageSequence) as info:
        RE(in_a_run(Msg("open_run")))
    text = str(info.value)
    assert "already has an open run" in text and "close_run" in text and "run=" in text
    assert len(docs.starts) == 1
    assert_failed_run(docs, "open_run")


def test_close_run_without_open_run(RE):
    with pytest.raises(IllegalMessageSequence, match="Cannot 'close_run': no run"):
        RE([Msg("close_run")])


def test_checkpoint_between_create_and_save(RE, docs):
    with pytest.raises(IllegalMessageSequence) as info:
        RE(in_a_run(Msg("create"), Msg("read", det), Msg("checkpoint"), Msg("save")))
    text = str(info.value)
    assert "'checkpoint' between 'create' and 'save'" in text
    assert "before 'create' or after 'save'" in text
    assert docs.events() == []
    assert_failed_run(docs, "checkpoint")


def test_reading_one_device_twice_in_a_bundle(RE, docs):
    with pytest.raises(IllegalMessageSequence, match="twice"):
        RE(in_a_run(Msg("create"), Msg("read", det), Msg("read", det), Msg("save")))
    assert_failed_run(docs)


def test_unmonitor_of_a_device_not_monitored(RE, docs):
    with pytest.raises(IllegalMessageSequence, match="not monitored"):
        RE(in_a_run(Msg("unmonitor", det)))
    assert_failed_run(docs)


@pytest.mark.parametrize("method", ["read", "trigger", "set"])
def test_device_method_that_raises_is_thrown_into_the_plan(RE, docs, method):
    rec = Recorder("broken")
    rec.fail_on.add(method)
    cleanup = []
    msg = Msg(method, rec, 1) if method == "set" else Msg(method, rec)
    with pytest.raises(RuntimeError, match=f"broken.{method}\\(\\) failed on purpose"):
        RE(in_a_run(msg, cleanup=cleanup))
    assert cleanup == ["finally"]
    assert_failed_run(docs, "RuntimeError", "failed on purpose")


def test_device_error_can_be_handled_by_the_plan(RE, docs):
    rec = Recorder("broken")
    rec.fail_on.add("read")

    def plan():
        yield Msg("open_run")
        try:
            yield Msg("read", rec)
        except RuntimeError:
            yield Msg("null")
        yield Msg("close_run")

    RE(plan())
    assert docs.stop["exit_status"] == "success"


def test_failed_status_is_thrown_into_the_plan(RE, docs):
    mover = PendingMover("axis")
    cleanup = []

    def plan():
        try:
            yield Msg("open_run")
            status = yield Msg("set", mover, 5, group="g")
            status.set_exception(ValueError("limit switch hit"))
            yield Msg("wait", None, group="g")
            yield Msg("close_run")
        finally:
            cleanup.append("finally")

    with pytest.raises(FailedStatus) as info:
        RE(plan())
    assert cleanup == ["finally"]
    assert "axis" in str(info.value) and "limit switch hit" in str(info.value)
    assert isinstance(info.value.__cause__, ValueError)
    assert_failed_run(docs, "FailedStatus")


def test_failed_status_of_a_trigger_through_trigger_and_read(RE, docs):
    class BadDetector(Recorder):
        def trigger(self):
            from benchplan.devices import Status
            return Status.failed(self, RuntimeError("detector saturated"))

    bad = BadDetector("bad_det")
    cleanup = []

    def plan():
        try:
            yield Msg("open_run")
            yield from trigger_and_read([bad])
            yield Msg("close_run")
        finally:
            cleanup.append("finally")

    with pytest.raises(FailedStatus, match="saturated"):
        RE(plan())
    assert cleanup == ["finally"]
    assert docs.events() == []
    assert_failed_run(docs)


def test_failed_status_nobody_waits_on_is_thrown_at_the_next_message(RE, docs):
    mover = PendingMover("axis")
    cleanup = []

    def plan():
        try:
            yield Msg("open_run")
            status = yield Msg("set", mover, 5)
            status.set_exception(ValueError("drive fault"))
            for _ in range(3):
                yield Msg("null")
            cleanup.append("not reached")
            yield Msg("close_run")
        finally:
            cleanup.append("finally")

    with pytest.raises(FailedStatus, match="drive fault"):
        RE(plan())
    assert cleanup == ["finally"]
    assert_failed_run(docs)


def test_failing_callback_fails_the_run(RE, docs):
    def bad_callback(name, doc):
        if name == "event":
            raise RuntimeError("the table broke")

    cleanup = []

    def plan():
        try:
            yield from count([det], 3)
        finally:
            cleanup.append("finally")

    with pytest.raises(RuntimeError, match="the table broke"):
        RE(plan(), bad_callback)
    assert cleanup == ["finally"]
    assert_runs_closed(docs)
    assert docs.stop["exit_status"] == "fail"
    assert "the table broke" in docs.stop["reason"]
    assert len(docs.events()) == 1


def test_ignore_callback_exceptions_logs_and_goes_on(RE, docs, caplog):
    calls = []

    def bad_callback(name, doc):
        calls.append(name)
        if name == "event":
            raise RuntimeError("the table broke")

    RE.ignore_callback_exceptions = True
    assert RE.ignore_callback_exceptions is True
    with caplog.at_level(logging.ERROR, logger="benchplan.engine"):
        RE(count([det], 3), bad_callback)
    assert docs.stop["exit_status"] == "success"
    assert len(docs.events()) == 3
    assert calls.count("event") == 3
    assert sum("callback failed" in r.getMessage() for r in caplog.records) == 3


def test_exception_in_the_plan_closes_every_open_run(RE, docs):
    def plan():
        yield Msg("open_run", run="a")
        yield Msg("open_run", run="b")
        raise ZeroDivisionError("oops")

    with pytest.raises(ZeroDivisionError):
        RE(plan())
    assert len(docs.stops) == 2
    assert_runs_closed(docs)
    assert {s["exit_status"] for s in docs.stops} == {"fail"}
    assert all("ZeroDivisionError: oops" == s["reason"] for s in docs.stops)


def test_engine_is_usable_after_a_failure(RE, docs):
    with pytest.raises(InvalidCommand):
        RE([Msg("open_run"), Msg("bogus")])
    uids = RE(count([det]))
    assert len(uids) == 1 and docs.stops[-1]["exit_status"] == "success"


def test_md_validator_error_leaves_the_engine_idle():
    RE = RunEngine()
    with pytest.raises(ValueError, match="'uid' is set by the RunEngine"):
        RE(count([det]), uid="mine")
    assert RE.state == "idle"


def test_non_string_metadata_key_is_refused():
    RE = RunEngine(md={1: "x"})
    with pytest.raises(ValueError, match="Metadata keys must be strings"):
        RE(count([det]))


def test_failing_callback_on_a_monitor_event_fails_the_run(RE, docs):
    sig = soft_signal_rw(float, 0.0, name="temp")

    def bad_callback(name, doc):
        if name == "event":
            raise RuntimeError("monitor callback broke")

    def plan():
        yield Msg("open_run")
        yield Msg("monitor", sig, name="temp_monitor")
        yield Msg("sleep", None, 0.02)
        yield Msg("null")
        yield Msg("unmonitor", sig)
        yield Msg("close_run")

    with pytest.raises(RuntimeError, match="monitor callback broke"):
        RE(plan(), bad_callback)
    assert docs.stop["exit_status"] == "fail"


def test_subscribe_to_an_unknown_document_name_lists_the_names(RE):
    with pytest.raises(ValueError) as info:
        RE.subscribe(lambda name, doc: None, "evnt")
    assert "'evnt'" in str(info.value) and "descriptor" in str(info.value)


def test_subscribe_a_non_callable_is_refused(RE):
    with pytest.raises(TypeError, match="Cannot subscribe 5: it is not callable"):
        RE.subscribe(5)


def test_unsubscribe_stops_the_documents(RE):
    got = []
    token = RE.subscribe(lambda name, doc: got.append(name))
    RE([Msg("open_run"), Msg("close_run")])
    RE.unsubscribe(token)
    RE([Msg("open_run"), Msg("close_run")])
    assert got == ["start", "stop"]


def test_status_from_a_device_returning_a_non_status_is_an_error(RE):
    class Bad:
        name = "bad"

        def set(self, value):
            return 5

    caught = []

    def plan():
        try:
            yield Msg("set", Bad(), 1)
        except TypeError as exc:
            caught.append(str(exc))

    RE(plan())
    assert "'bad' returned int where a status was expected" in caught[0]


def test_wait_for_a_failing_future_throws_its_error_into_the_plan(RE):
    caught = []

    async def broken():
        raise ValueError("the future failed")

    def plan():
        try:
            yield Msg("wait_for", None, [broken])
        except ValueError as exc:
            caught.append(str(exc))

    RE(plan())
    assert caught == ["the future failed"]


@pytest.mark.parametrize("subs", [
    lambda callback: [callback, 5],
    lambda callback: {"start": callback, "evnt": callback},
], ids=["list", "dict"])
def test_bad_subs_leave_nothing_subscribed(RE, subs):
    got = []
    with pytest.raises((TypeError, ValueError)):
        RE([Msg("open_run"), Msg("close_run")], subs(lambda name, doc: got.append(name)))
    assert RE.state == "idle"
    RE([Msg("open_run"), Msg("close_run")])
    assert got == []
