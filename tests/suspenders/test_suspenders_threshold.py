"""The ready-made suspenders: when each trips and resumes, hysteresis, validation, messages."""

from __future__ import annotations

import math

import numpy as np
import pytest
from suspenders_harness import FakeRE

from benchplan.devices import soft_signal_rw
from benchplan.suspenders import (
    ManualClock,
    SuspendBoolHigh,
    SuspendBoolLow,
    SuspendCeil,
    SuspendFloor,
    SuspendWhenChanged,
    SuspendWhenOutsideBand,
)


def run_values(suspender, sig, values):
    """Install on a FakeRE, put each value; return [holding after each value]."""
    RE = FakeRE()
    suspender.install(RE)
    seen = []
    for value in values:
        sig.put(value)
        seen.append(suspender.holding)
    return seen, RE


# -- each class trips and resumes --------------------------------------------------------


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


def test_floor_with_hysteresis():
    sig = soft_signal_rw(float, 10.0, name="volts")
    suspender = SuspendFloor(sig, 5.0, resume_thresh=7.0, clock=ManualClock())
    seen, RE = run_values(suspender, sig, [6.0, 4.9, 6.0, 6.99, 7.0, 6.0, 5.0, 4.0])
    # 6.0 before a trip: fine; in the band after a trip: still held; 7.0 resumes; 5.0 is not below 5
    assert seen == [False, True, True, True, False, False, False, True]
    assert (suspender.suspend_thresh, suspender.resume_thresh) == (5.0, 7.0)


def test_floor_without_resume_thresh_resumes_at_the_threshold():
    sig = soft_signal_rw(float, 10.0, name="volts")
    seen, _ = run_values(SuspendFloor(sig, 5.0, clock=ManualClock()), sig, [4.0, 5.0])
    assert seen == [True, False]


def test_ceil_with_hysteresis():
    sig = soft_signal_rw(float, 0.0, name="psu_current")
    suspender = SuspendCeil(sig, 1.5, resume_thresh=1.0, clock=ManualClock())
    seen, RE = run_values(suspender, sig, [1.5, 1.6, 1.2, 1.0, 1.4, 1.51])
    assert seen == [False, True, True, False, False, True]
    assert len(RE.requests) == 2


def test_outside_band_suspends_outside_and_on_the_edges():
    sig = soft_signal_rw(float, 25.0, name="dut_temp")
    suspender = SuspendWhenOutsideBand(sig, 20, 30, clock=ManualClock())
    seen, RE = run_values(suspender, sig, [29.9, 30.0, 25.0, 20.0, 19.0, 20.1])
    assert seen == [False, True, False, True, True, False]
    assert RE.requests[0]["justification"] == (
        "SuspendWhenOutsideBand: dut_temp = 30.0 is outside the band (20, 30); "
        "the plan resumes when it is inside (20, 30)."
    )
    assert (suspender.band_bottom, suspender.band_top) == (20, 30)


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


# -- values that cannot be compared ----------------------------------------------------


@pytest.mark.parametrize("value", [None, "n/a", math.nan])
@pytest.mark.parametrize("cls", [SuspendFloor, SuspendCeil])
def test_uncomparable_value_trips_a_threshold(cls, value):
    sig = soft_signal_rw(None, 1.0, name="reading")
    suspender = cls(sig, 1.0, clock=ManualClock())
    seen, RE = run_values(suspender, sig, [value, 1.0])
    assert seen == [True, False]
    assert "cannot be compared with 1.0" in RE.requests[0]["justification"]


def test_uncomparable_value_trips_a_band():
    sig = soft_signal_rw(None, 25.0, name="reading")
    seen, _ = run_values(SuspendWhenOutsideBand(sig, 20, 30, clock=ManualClock()), sig, [None, 25.0])
    assert seen == [True, False]


# -- validation ------------------------------------------------------------------------


def test_floor_resume_below_suspend_is_refused():
    sig = soft_signal_rw(float, 0.0, name="volts")
    with pytest.raises(ValueError, match=(
        r"SuspendFloor on 'volts' with suspend_thresh=5.0 and resume_thresh=4.0: a floor "
        r"resumes at or above .* resume_thresh must be >= suspend_thresh")):
        SuspendFloor(sig, 5.0, resume_thresh=4.0)


def test_ceil_resume_above_suspend_is_refused():
    sig = soft_signal_rw(float, 0.0, name="amps")
    with pytest.raises(ValueError, match=(
        r"SuspendCeil on 'amps' with suspend_thresh=1.5 and resume_thresh=2.0: a ceiling "
        r"resumes at or below .* resume_thresh must be <= suspend_thresh")):
        SuspendCeil(sig, 1.5, resume_thresh=2.0)


@pytest.mark.parametrize("bottom, top", [(30, 20), (20, 20)])
def test_band_bottom_not_below_top_is_refused(bottom, top):
    sig = soft_signal_rw(float, 0.0, name="temp")
    with pytest.raises(ValueError, match=(
        rf"band_bottom={bottom} and band_top={top}: the bottom of the band must be below its top")):
        SuspendWhenOutsideBand(sig, bottom, top)


@pytest.mark.parametrize("thresh", ["1.5", None, math.nan, True])
def test_threshold_that_is_not_a_number_is_refused(thresh):
    sig = soft_signal_rw(float, 0.0, name="amps")
    with pytest.raises(TypeError, match=r"SuspendCeil with suspend_thresh=.*must be a real number"):
        SuspendCeil(sig, thresh)


def test_band_edge_that_is_not_a_number_is_refused():
    sig = soft_signal_rw(float, 0.0, name="temp")
    with pytest.raises(TypeError, match=r"band_top='30'"):
        SuspendWhenOutsideBand(sig, 20, "30")


def test_keyword_arguments_are_bluesky_names():
    sig = soft_signal_rw(float, 0.0, name="amps")
    suspender = SuspendCeil(sig, suspend_thresh=1.5, resume_thresh=1.0, sleep=2,
                            pre_plan=[], post_plan=[], tripped_message="m")
    assert (suspender.sleep, suspender.tripped_message) == (2.0, "m")
    assert suspender.pre_plan == [] and suspender.post_plan == []
    band = SuspendWhenOutsideBand(sig, band_bottom=1, band_top=2)
    assert band.band_top == 2


def test_reprs():
    sig = soft_signal_rw(float, 0.0, name="amps")
    assert repr(SuspendCeil(sig, 1.5)) == "SuspendCeil('amps', 1.5)"
    assert repr(SuspendFloor(sig, 1, resume_thresh=2)) == "SuspendFloor('amps', 1, resume_thresh=2)"
    assert repr(SuspendBoolHigh(sig)) == "SuspendBoolHigh('amps')"
