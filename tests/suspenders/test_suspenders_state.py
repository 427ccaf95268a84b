"""SuspendBoolHigh, SuspendBoolLow, SuspendWhenChanged: when each trips and resumes."""

from __future__ import annotations

import numpy as np
import pytest
from suspenders_harness import FakeRE

from benchplan.devices import soft_signal_rw
from benchplan.suspenders import ManualClock, SuspendBoolHigh, SuspendBoolLow, SuspendWhenChanged


def run_values(suspender, sig, values):
    """Install on a FakeRE, put each value; return [holding after each value]."""
    RE = FakeRE()
    suspender.install(RE)
    seen = []
    for value in values:
        sig.put(value)
        seen.append(suspender.holding)
    return seen, RE


def test_bool_high_suspends_while_high():
    sig = soft_signal_rw(bool, False, name="door_open")
    seen, RE = run_values(SuspendBoolHigh(sig, clock=ManualClock()), sig, [True, True, False])
    assert seen == [True, True, False]
    assert RE.requests[0]["justification"].startswith("SuspendBoolHigh: door_open is high (True)")

def test_bool_low_suspends_while_low():
    sig = soft_signal_rw(bool, True, name="output_on")
    seen, RE = run_values(SuspendBoolLow(sig, clock=ManualClock()), sig, [False, True, False])
    assert seen == [True, False, True]
    assert len(RE.requests) == 2
    assert "output_on is low (False); the plan resumes when it is high." in RE.requests[0]["justification"]

def test_when_changed_does_not_resume_by_default():
    sig = soft_signal_rw(str, "bench-A", name="owner")
    suspender = SuspendWhenChanged(sig, expected_value="bench-A", clock=ManualClock())
    seen, RE = run_values(suspender, sig, ["bench-B", "bench-A"])
    assert seen == [True, True]
    text = RE.requests[0]["justification"]
    assert text.startswith("SuspendWhenChanged: owner = 'bench-B', expected 'bench-A'")
    assert "allow_resume=False" in text and "RE.abort()" in text

def test_when_changed_resumes_if_allowed():
    sig = soft_signal_rw(str, "bench-A", name="owner")
    suspender = SuspendWhenChanged(sig, expected_value="bench-A", allow_resume=True, clock=ManualClock())
    seen, RE = run_values(suspender, sig, ["bench-B", "bench-A"])
    assert seen == [True, False]
    assert "the plan resumes when it is 'bench-A' again." in RE.requests[0]["justification"]

def test_when_changed_takes_the_expected_value_at_install():
    sig = soft_signal_rw(int, 3, name="fixture")
    suspender = SuspendWhenChanged(sig, allow_resume=True, clock=ManualClock())
    assert suspender.expected_value is None
    sig.put(4)
    seen, _ = run_values(suspender, sig, [4, 3])
    assert suspender.expected_value == 4
    assert seen == [False, True]

def test_when_changed_honours_a_falsy_expected_value():
    sig = soft_signal_rw(int, 0, name="fixture")
    suspender = SuspendWhenChanged(sig, expected_value=0, allow_resume=True, clock=ManualClock())
    seen, _ = run_values(suspender, sig, [1, 0])
    assert seen == [True, False]

def test_when_changed_compares_arrays():
    sig = soft_signal_rw(np.ndarray, np.array([1, 2]), name="pattern")
    suspender = SuspendWhenChanged(sig, allow_resume=True, clock=ManualClock())
    seen, _ = run_values(suspender, sig, [np.array([1, 3]), np.array([1, 2])])
    assert seen == [True, False]

def test_when_changed_on_a_signal_without_get_needs_expected_value():
    class NoGet:
        name = "x"

        def subscribe(self, callback):
            return 1

    suspender = SuspendWhenChanged(NoGet())
    with pytest.raises(TypeError, match=r"expected_value was not given and 'x' has no get\(\)"):
        suspender.install(FakeRE())
    assert suspender.RE is None


def test_reprs_of_state_suspenders():
    sig = soft_signal_rw(bool, False, name="flag")
    assert repr(SuspendBoolHigh(sig)) == "SuspendBoolHigh('flag')"
    assert repr(SuspendBoolLow(sig)) == "SuspendBoolLow('flag')"
