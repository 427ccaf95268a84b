"""RunProgress: one tqdm bar per run with num_points, counted on events."""

from __future__ import annotations

import io

from event_model import compose_run, pack_event_page

from benchplan.callbacks import RunProgress

KEYS = {"det": {"dtype": "number", "shape": [], "source": "sim"}}


class Run:
    """A run being composed, one document at a time."""

    def __init__(self, num_points=3, plan_name="scan", scan_id=1):
        md = {"plan_name": plan_name, "scan_id": scan_id}
        md = {k: v for k, v in md.items() if v is not None}
        if num_points is not None:
            md["num_points"] = num_points
        self.run = compose_run(metadata=md)
        self.start = self.run.start_doc
        self.uid = self.start["uid"]
        self._descs = {}

    def descriptor(self, stream="primary"):
        bundle = self.run.compose_descriptor(name=stream, data_keys=KEYS)
        self._descs[stream] = bundle
        return bundle.descriptor_doc

    def event(self, stream="primary"):
        return self._descs[stream].compose_event(data={"det": 1.0}, timestamps={"det": 0.0})

    def stop(self, exit_status="success", reason=""):
        return self.run.compose_stop(exit_status=exit_status, reason=reason)


def make_bar(**kwargs):
    out = io.StringIO()
    return RunProgress(file=out, mininterval=0, **kwargs), out


def test_bar_counts_primary_events_and_closes_at_stop():
    progress, out = make_bar()
    run = Run(num_points=3)
    progress("start", run.start)
    progress("descriptor", run.descriptor())
    progress("event", run.event())
    progress("event", run.event())
    assert progress.bars[run.uid].n == 2
    assert progress.bars[run.uid].total == 3
    progress("event", run.event())
    progress("stop", run.stop())
    assert progress.bars == {}
    last = out.getvalue().rsplit("\r", 1)[-1]
    assert last.startswith("scan #1: 100%")
    assert "3/3" in last and last.endswith("\n")  # closed and left on screen


def test_event_page_counts_every_event_in_it():
    progress, out = make_bar()
    run = Run(num_points=4)
    progress("start", run.start)
    progress("descriptor", run.descriptor())
    progress("event_page", pack_event_page(*(run.event() for _ in range(4))))
    progress("stop", run.stop())
    assert "4/4" in out.getvalue().rsplit("\r", 1)[-1]


def test_other_streams_are_not_counted():
    progress, out = make_bar()
    run = Run(num_points=2)
    progress("start", run.start)
    progress("descriptor", run.descriptor("baseline"))
    progress("event", run.event("baseline"))
    progress("descriptor", run.descriptor())
    progress("event", run.event())
    assert progress.bars[run.uid].n == 1


def test_run_that_did_not_succeed_shows_its_exit_status():
    progress, out = make_bar()
    run = Run(num_points=5)
    progress("start", run.start)
    progress("descriptor", run.descriptor())
    progress("event", run.event())
    progress("stop", run.stop("abort", "the user asked to abort"))
    last = out.getvalue().rsplit("\r", 1)[-1]
    assert "1/5" in last
    assert "abort: the user asked to abort" in last


def test_run_without_num_points_shows_nothing():
    progress, out = make_bar()
    run = Run(num_points=None)
    progress("start", run.start)
    progress("descriptor", run.descriptor())
    progress("event", run.event())
    progress("stop", run.stop())
    assert out.getvalue() == ""
    assert progress.bars == {}


def test_runs_open_at_once_each_get_their_own_bar():
    progress, out = make_bar()
    outer, inner = Run(num_points=2, scan_id=1), Run(num_points=3, plan_name="count", scan_id=2)
    progress("start", outer.start)
    progress("descriptor", outer.descriptor())
    progress("start", inner.start)
    progress("descriptor", inner.descriptor())
    for _ in range(3):
        progress("event", inner.event())
    progress("event", outer.event())
    assert progress.bars[outer.uid].n == 1
    assert progress.bars[inner.uid].n == 3
    progress("stop", inner.stop())
    progress("event", outer.event())
    progress("stop", outer.stop())
    text = out.getvalue()
    assert "count #2: 100%" in text and "3/3" in text
    assert "scan #1: 100%" in text and "2/2" in text
    assert progress.bars == {}


def test_label_falls_back_to_the_run_uid():
    progress, out = make_bar()
    run = Run(num_points=1, plan_name=None, scan_id=None)
    progress("start", run.start)
    assert progress.bars[run.uid].desc == f"run {run.uid[:8]}"


def test_documents_from_bluesky_run_engine():
    from bluesky import RunEngine
    from bluesky.plans import count, scan
    from ophyd.sim import det, motor

    progress, out = make_bar()
    RE = RunEngine()
    RE(scan([det], motor, -1, 1, 3), progress)
    RE(count([det], 2), progress)
    text = out.getvalue()
    assert "scan #1: 100%" in text and "3/3" in text
    assert "count #2: 100%" in text and "2/2" in text
    assert progress.bars == {}
