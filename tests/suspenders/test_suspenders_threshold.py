"""SuspendFloor, SuspendCeil, SuspendWhenOutsideBand: trips, hysteresis, validation, messages."""

from __future__ import annotations

import math

import pytest
from suspenders_harness import FakeRE

from benchplan.devices import soft_signal_rw
from benchplan.suspenders import ManualClock, SuspendCeil, SuspendFloor, SuspendWhenOutsideBand


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
