"""The state machine: states, read-only RE.state, TransitionError texts, state_hook."""

from __future__ import annotations

import threading

import pytest

from benchplan import Msg, RunEngineInterrupted, State, TransitionError
from benchplan.devices.sim import det
from benchplan.plans import count

from engine_helpers import Background, wait_for_state

PAUSING_PLAN = [Msg("open_run"), Msg("checkpoint"), Msg("pause"), Msg("close_run")]


def test_states_are_the_documented_names():
    assert {s.value for s in State} == {
        "idle", "running", "pausing", "paused", "halting", "stopping", "aborting",
        "suspending", "panicked",
    }


def test_state_compares_equal_to_its_name(RE):
    assert RE.state == "idle"
    assert RE.state is State.IDLE
    assert str(RE.state) == "idle"


def test_state_is_read_only(RE):
    with pytest.raises(AttributeError):
        RE.state = "running"
    assert RE.state == "idle"


def test_state_is_running_while_the_plan_runs(RE):
    seen = []
    RE.msg_hook = lambda msg: seen.append(RE.state)
    RE([Msg("null"), Msg("null")])
    assert seen == ["running", "running"]
    assert RE.state == "idle"


def test_resume_while_idle_names_the_state_and_the_transition(RE):
    with pytest.raises(TransitionError) as info:
        RE.resume()
    text = str(info.value)
    assert "Cannot resume" in text and "'idle'" in text and "'paused'" in text


def test_pause_while_idle_names_the_state(RE):
    for defer in (False, True):
        with pytest.raises(TransitionError) as info:
            RE.request_pause(defer=defer)
        text = str(info.value)
        assert "Cannot pause" in text and "'idle'" in text
    assert RE.state == "idle"


@pytest.mark.parametrize("method", ["abort", "stop", "halt"])
def test_ending_while_idle_is_a_transition_error(RE, method):
    with pytest.raises(TransitionError, match=f"Cannot {method}: the RunEngine is 'idle'"):
        getattr(RE, method)()


def test_call_while_paused_says_to_resume_abort_stop_or_halt_first(RE):
    with pytest.raises(RunEngineInterrupted):
        RE(list(PAUSING_PLAN))
    assert RE.state == "paused"
    with pytest.raises(TransitionError) as info:
        RE(count([det]))
    text = str(info.value)
    assert "'paused'" in text
    for word in ("resume()", "abort()", "stop()", "halt()"):
        assert word in text
    assert RE.state == "paused"
    RE.resume()
    assert RE.state == "idle"


def test_call_while_running_in_another_thread_is_refused(RE):
    release = threading.Event()

    def plan():
        yield Msg("wait_for", None, [lambda: RE.loop.run_in_executor(None, release.wait, 5)])

    bg = Background(RE, plan())
    wait_for_state(RE, "running")
    try:
        with pytest.raises(TransitionError, match="'running' with another plan"):
            RE([Msg("null")])
    finally:
        release.set()
    bg.join()
    assert bg.exception is None


def test_state_hook_sees_every_transition_of_pause_and_resume(RE):
    transitions = []
    RE.state_hook = lambda new, old: transitions.append((old, new))
    with pytest.raises(RunEngineInterrupted):
        RE(list(PAUSING_PLAN))
    RE.resume()
    assert transitions == [
        ("idle", "running"),
        ("running", "pausing"),
        ("pausing", "paused"),
        ("paused", "running"),
        ("running", "idle"),
    ]


def test_state_hook_sees_abort_transitions(RE):
    transitions = []
    RE.state_hook = lambda new, old: transitions.append((old, new))
    with pytest.raises(RunEngineInterrupted):
        RE(list(PAUSING_PLAN))
    RE.abort()
    assert transitions[-2:] == [("paused", "aborting"), ("aborting", "idle")]


def test_state_hook_that_raises_is_logged_not_raised(RE, caplog):
    def hook(new, old):
        raise RuntimeError("hook broke")

    RE.state_hook = hook
    RE([Msg("null")])
    assert RE.state == "idle"
    assert any("state_hook failed" in r.getMessage() for r in caplog.records)


def test_resume_twice_is_a_transition_error(RE):
    with pytest.raises(RunEngineInterrupted):
        RE(list(PAUSING_PLAN))
    RE.resume()
    with pytest.raises(TransitionError, match="Cannot resume: the RunEngine is 'idle'"):
        RE.resume()


def test_request_pause_while_paused_is_ignored(RE):
    with pytest.raises(RunEngineInterrupted):
        RE(list(PAUSING_PLAN))
    RE.request_pause()
    assert RE.state == "paused"
    RE.resume()
    assert RE.state == "idle"


def test_deferred_pause_requested_reflects_the_request(RE):
    seen = []

    def plan():
        yield Msg("null")
        RE.request_pause(defer=True)
        seen.append(RE.deferred_pause_requested)
        yield Msg("null")

    RE(plan())
    assert seen == [True]
    assert RE.deferred_pause_requested is False
