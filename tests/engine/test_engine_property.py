"""Property tests: random scans under random pauses, and random abort/stop/halt points."""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from benchplan import Msg, RunEngineInterrupted, TransitionError
from benchplan.callbacks import DocumentCollector
from benchplan.devices.sim import SimGaussianDetector, SimMotor
from benchplan.plans import count, grid_scan, scan
from benchplan.plans.preprocessors import finalize_wrapper

from engine_helpers import assert_runs_closed

SETTINGS = settings(
    max_examples=200,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

m1 = SimMotor("pm1")
m2 = SimMotor("pm2")
DETECTORS = {
    "d1": SimGaussianDetector("d1", m1, "pm1", center=0.3, Imax=2, sigma=0.7),
    "d2": SimGaussianDetector("d2", m2, "pm2", center=-0.2, Imax=1, sigma=1.5),
    "d3": SimGaussianDetector("d3", m1, "pm1", center=1.0, Imax=5, sigma=0.2),
}


@st.composite
def scans(draw):
    """A plan factory: count, scan or grid_scan over random detectors and points."""
    dets = [DETECTORS[n] for n in draw(st.lists(st.sampled_from(sorted(DETECTORS)),
                                                min_size=1, max_size=3, unique=True))]
    kind = draw(st.sampled_from(["count", "scan", "grid_scan"]))
    if kind == "count":
        num = draw(st.integers(1, 6))
        return lambda: count(dets, num)
    if kind == "scan":
        num = draw(st.integers(1, 8))
        start = draw(st.floats(-2, 2, allow_nan=False).map(lambda x: round(x, 2)))
        return lambda: scan(dets, m1, start, start + 1.5, num)
    n1, n2 = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return lambda: grid_scan(dets, m1, -1, 1, n1, m2, 0, 1, n2)


def primary(collector):
    return [e["data"] for e in collector.events()]


def run_collecting(RE, plan):
    collector = DocumentCollector()
    token = RE.subscribe(collector)
    pauses = 0
    try:
        try:
            RE(plan)
        except RunEngineInterrupted:
            pauses += 1
            while True:
                try:
                    RE.resume()
                    break
                except RunEngineInterrupted:
                    pauses += 1
                    assert pauses < 500
    finally:
        RE.unsubscribe(token)
    return collector, pauses


requests_st = st.lists(
    st.tuples(st.integers(1, 60), st.booleans(), st.booleans()),  # (index, defer, thread)
    max_size=6,
)


@SETTINGS
@given(make_plan=scans(), schedule=requests_st)
def test_pauses_at_random_points_do_not_change_the_data(RE, make_plan, schedule):
    RE.msg_hook = None
    reference, _ = run_collecting(RE, make_plan())
    expected = primary(reference)

    wanted = {}
    for index, defer, thread in schedule:
        wanted.setdefault(index, (defer, thread))
    count_ = [0]
    threads = []

    def request(defer):
        try:
            RE.request_pause(defer=defer)
        except TransitionError:
            pass  # the plan ended (or is ending) first

    def hook(msg):
        count_[0] += 1
        spec = wanted.get(count_[0])
        if spec is None:
            return
        defer, thread = spec
        if thread:
            worker = threading.Thread(target=request, args=(defer,))
            threads.append(worker)
            worker.start()
        else:
            request(defer)

    RE.msg_hook = hook
    try:
        collected, pauses = run_collecting(RE, make_plan())
        event(f"pauses: {min(pauses, 3)}{'+' if pauses > 3 else ''}")
    finally:
        RE.msg_hook = None
        for worker in threads:
            worker.join()
    assert RE.state == "idle"
    assert primary(collected) == expected
    assert [e["seq_num"] for e in collected.events()] == list(range(1, len(expected) + 1))
    assert_runs_closed(collected)
    assert len(collected.starts) == len(reference.starts)
    assert {s["exit_status"] for s in collected.stops} == {"success"}
    for stop in collected.stops:
        assert stop["num_events"].get("primary", 0) == len(expected)


ENDINGS = {"abort": "abort", "stop": "success", "halt": "abort"}


@SETTINGS
@given(make_plan=scans(), end=st.sampled_from(sorted(ENDINGS)),
       when=st.sampled_from(["running", "paused"]), where=st.floats(0, 1))
def test_random_abort_stop_halt_points_keep_their_promises(RE, make_plan, end, when, where):
    RE.msg_hook = None
    cleanup = []

    def final():
        cleanup.append("started")
        yield Msg("null", "cleanup")
        cleanup.append("finished")

    # count the plan's own messages, before its cleanup
    seen = []
    RE.msg_hook = seen.append
    RE(finalize_wrapper(make_plan(), final))
    # the request is made at the hook of message number ``index`` (1-based), so it is
    # acted on before the first close_run: the run's exit status is the ending's
    first_close = next(i for i, m in enumerate(seen) if m.command == "close_run")
    index = 1 + int(where * (first_close - 1))
    cleanup.clear()

    calls = [0]

    def hook(msg):
        calls[0] += 1
        if calls[0] != index:
            return
        if when == "running":
            getattr(RE, end)()
        else:
            RE.request_pause()

    collector = DocumentCollector()
    token = RE.subscribe(collector)
    RE.msg_hook = hook
    try:
        with pytest.raises(RunEngineInterrupted):
            RE(finalize_wrapper(make_plan(), final))
        if when == "paused":
            assert RE.state == "paused"
            RE.msg_hook = None
            getattr(RE, end)()
    finally:
        RE.msg_hook = None
        RE.unsubscribe(token)
    assert RE.state == "idle"
    if end == "halt":
        assert cleanup == []
    else:
        assert cleanup == ["started", "finished"]
    assert_runs_closed(collector)
    assert {s["exit_status"] for s in collector.stops} <= {ENDINGS[end]}
