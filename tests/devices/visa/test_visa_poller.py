"""The per-session polling thread."""

from __future__ import annotations

import logging
import threading

import pytest

from benchplan.devices.visa import Poller


def _wait_for(condition, timeout=10.0):
    event = threading.Event()
    for _ in range(int(timeout / 0.005)):
        if condition():
            return True
        event.wait(0.005)
    return condition()


def test_a_job_runs_repeatedly_until_removed():
    poller = Poller("test")
    calls = []
    token = poller.add(lambda: calls.append(1), period=0.005)
    assert _wait_for(lambda: len(calls) >= 3)
    poller.remove(token)
    assert _wait_for(lambda: poller.jobs == 0)
    count = len(calls)
    threading.Event().wait(0.05)
    assert len(calls) <= count + 1  # at most the poll that was running


def test_jobs_keep_their_own_periods():
    poller = Poller("test")
    fast, slow = [], []
    poller.add(lambda: fast.append(1), period=0.002)
    poller.add(lambda: slow.append(1), period=3600)
    assert _wait_for(lambda: len(fast) >= 5)
    assert slow == [1]  # run once at once, then not for an hour
    poller.stop()


def test_a_job_returning_false_is_removed_and_the_thread_ends():
    poller = Poller("test")
    calls = []

    def once():
        calls.append(1)
        return False

    poller.add(once, period=0.001)
    assert _wait_for(lambda: poller.jobs == 0)
    assert calls == [1]


def test_a_failing_job_is_logged_and_keeps_its_schedule(caplog):
    poller = Poller("TCPIP0::x::1::SOCKET")
    calls = []

    def flaky():
        calls.append(1)
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="benchplan.devices.visa._poller"):
        poller.add(flaky, period=0.002)
        assert _wait_for(lambda: len(calls) >= 2)
        poller.stop()
    assert "Polling job on TCPIP0::x::1::SOCKET failed" in caplog.text


@pytest.mark.parametrize("period", [0, -1.0, float("nan")])
def test_a_period_must_be_positive(period):
    with pytest.raises(ValueError, match="A polling period must be positive"):
        Poller("test").add(lambda: None, period=period)
