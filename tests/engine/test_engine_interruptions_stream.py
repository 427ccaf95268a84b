"""record_interruptions=True: the 'interruptions' stream of pauses, suspensions and resumes."""

from __future__ import annotations

import concurrent.futures
import threading

import pytest

from benchplan import Msg, RunEngine, RunEngineInterrupted
from benchplan.callbacks import DocumentCollector
from benchplan.devices.sim import det
from benchplan.plans import count

from engine_helpers import Counter, assert_runs_closed, seq_nums, validate_all


@pytest.fixture
def REi():
    engine = RunEngine(record_interruptions=True)
    yield engine
    if engine.state == "paused":
        engine.halt()


@pytest.fixture
def idocs(REi):
    collector = DocumentCollector()
    REi.subscribe(collector)
    return collector


def pause_every(RE, n):
    calls = [0]

    def hook(msg):
        calls[0] += 1
        if calls[0] % n == 0:
            RE.request_pause()

    RE.msg_hook = hook


def resume_to_end(RE):
    pauses = 0
    while True:
        try:
            RE.resume()
            return pauses
        except RunEngineInterrupted:
            pauses += 1


def test_interruptions_descriptor_is_added_to_each_run(REi, idocs):
    REi(count([det], 2))
    (desc,) = [d for d in idocs.descriptors if d["name"] == "interruptions"]
    assert desc["data_keys"] == {
        "interruptions": {"dtype": "string", "shape": [], "source": "RunEngine"}}
    assert desc["run_start"] == idocs.start["uid"]
    assert idocs.events("interruptions") == []
    validate_all(idocs)


def test_no_interruptions_stream_by_default(RE, docs):
    RE(count([det]))
    assert [d["name"] for d in docs.descriptors] == ["primary"]


def test_record_interruptions_can_be_switched_on_later(RE, docs):
    RE.record_interruptions = True
    RE(count([det]))
    assert "interruptions" in [d["name"] for d in docs.descriptors]


def test_one_event_per_pause_and_resume(REi, idocs):
    with pytest.raises(RunEngineInterrupted):
        REi([Msg("open_run"), Msg("checkpoint"), Msg("pause"), Msg("checkpoint"),
             Msg("pause"), Msg("close_run")])
    assert idocs.data("interruptions", "interruptions") == ["pause"]
    with pytest.raises(RunEngineInterrupted):
        REi.resume()
    REi.resume()
    events = idocs.events("interruptions")
    assert [e["data"]["interruptions"] for e in events] == ["pause", "resume", "pause", "resume"]
    assert [e["seq_num"] for e in events] == [1, 2, 3, 4]
    assert idocs.stop["num_events"]["interruptions"] == 4
    validate_all(idocs)


def test_interruption_seq_nums_stay_contiguous_across_rewinds(REi, idocs):
    ctr = Counter()
    pause_every(REi, 5)
    with pytest.raises(RunEngineInterrupted):
        REi(count([ctr], 6))
    pauses = 1 + resume_to_end(REi)
    assert pauses >= 3
    assert seq_nums(idocs) == [1, 2, 3, 4, 5, 6]
    kinds = idocs.data("interruptions", "interruptions")
    assert kinds == ["pause", "resume"] * pauses
    assert seq_nums(idocs, "interruptions") == list(range(1, 2 * pauses + 1))
    assert idocs.stop["num_events"] == {"primary": 6, "interruptions": 2 * pauses}
    assert_runs_closed(idocs)
    validate_all(idocs)


def test_pause_then_abort_records_only_the_pause(REi, idocs):
    with pytest.raises(RunEngineInterrupted):
        REi([Msg("open_run"), Msg("checkpoint"), Msg("pause"), Msg("close_run")])
    REi.abort("done")
    assert idocs.data("interruptions", "interruptions") == ["pause"]
    assert idocs.stop["num_events"]["interruptions"] == 1
    assert idocs.stop["exit_status"] == "abort"


def test_every_open_run_records_the_interruption(REi, idocs):
    with pytest.raises(RunEngineInterrupted):
        REi([Msg("open_run", run="a"), Msg("open_run", run="b"), Msg("checkpoint"),
             Msg("pause"), Msg("close_run", run="a"), Msg("close_run", run="b")])
    REi.resume()
    for start in idocs.starts:
        kinds = [e["data"]["interruptions"]
                 for e in idocs.events("interruptions", run=start["uid"])]
        assert kinds == ["pause", "resume"]
    for stop in idocs.stops:
        assert stop["num_events"]["interruptions"] == 2


def test_suspension_records_suspend_and_resume(REi, idocs):
    fut: concurrent.futures.Future = concurrent.futures.Future()

    def hook(msg):
        if msg.command == "null" and msg.obj == "trip":
            REi.request_suspend(fut, justification="test trip")
            threading.Timer(0.02, fut.set_result, (None,)).start()

    REi.msg_hook = hook
    REi([Msg("open_run"), Msg("checkpoint"), Msg("null", "trip"), Msg("null"),
         Msg("close_run")])
    assert idocs.data("interruptions", "interruptions") == ["suspend", "resume"]
    assert idocs.stop["num_events"]["interruptions"] == 2
    assert idocs.stop["exit_status"] == "success"
    validate_all(idocs)


def test_interruption_events_are_not_in_a_run_opened_after_the_pause(REi, idocs):
    with pytest.raises(RunEngineInterrupted):
        REi([Msg("checkpoint"), Msg("pause"), Msg("open_run"), Msg("close_run")])
    REi.resume()
    assert idocs.events("interruptions") == []
    assert idocs.stop["num_events"].get("interruptions", 0) == 0
