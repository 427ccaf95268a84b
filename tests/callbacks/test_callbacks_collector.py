"""DocumentCollector: keeps every document and finds them again."""

from __future__ import annotations

import pytest
from event_model import compose_run, pack_event_page

from benchplan.callbacks import DocumentCollector

KEYS = {"det": {"dtype": "number", "shape": [], "source": "sim"}}


def run_docs(values, *, stream="primary", pages=False, exit_status="success"):
    run = compose_run(metadata={"plan_name": "count"})
    desc = run.compose_descriptor(name=stream, data_keys=KEYS)
    events = [desc.compose_event(data={"det": v}, timestamps={"det": 0.0}) for v in values]
    docs = [("start", run.start_doc), ("descriptor", desc.descriptor_doc)]
    if pages:
        docs.append(("event_page", pack_event_page(*events)))
    else:
        docs.extend(("event", e) for e in events)
    docs.append(("stop", run.compose_stop(exit_status=exit_status)))
    return docs


def collect(*runs):
    collector = DocumentCollector()
    for docs in runs:
        for name, doc in docs:
            collector(name, doc)
    return collector


def test_keeps_every_pair_in_order():
    docs = run_docs([1.0, 2.0])
    collector = collect(docs)
    assert collector.docs == docs
    assert list(collector) == docs
    assert len(collector) == 5
    assert collector.names == ["start", "descriptor", "event", "event", "stop"]


def test_one_run_has_a_start_and_a_stop():
    docs = run_docs([1.0], exit_status="fail")
    collector = collect(docs)
    assert collector.start is docs[0][1]
    assert collector.stop["exit_status"] == "fail"
    assert collector.descriptors == [docs[1][1]]


def test_start_with_several_runs_says_to_use_starts():
    first, second = run_docs([1.0]), run_docs([2.0])
    collector = collect(first, second)
    assert collector.starts == [first[0][1], second[0][1]]
    assert [s["run_start"] for s in collector.stops] == [d["uid"] for d in collector.starts]
    with pytest.raises(LookupError, match=r"exactly one 'start' document, but it holds 2; use \.starts"):
        collector.start


def test_stop_before_the_run_ended_is_a_lookup_error():
    collector = collect(run_docs([1.0])[:-1])
    with pytest.raises(LookupError, match="exactly one 'stop' document, but it holds 0"):
        collector.stop


def test_events_of_a_stream_with_pages_unpacked():
    primary = run_docs([1.0, 2.0], pages=True)
    baseline = run_docs([9.0], stream="baseline")
    collector = collect(primary, baseline)
    assert [e["data"]["det"] for e in collector.events()] == [1.0, 2.0]
    assert [e["seq_num"] for e in collector.events()] == [1, 2]
    assert collector.data("det", "baseline") == [9.0]
    assert collector.events("nonesuch") == []


def test_events_of_one_run():
    first, second = run_docs([1.0]), run_docs([2.0, 3.0])
    collector = collect(first, second)
    assert collector.data("det") == [1.0, 2.0, 3.0]
    assert collector.data("det", run=second[0][1]["uid"]) == [2.0, 3.0]


def test_of_type_and_clear():
    collector = collect(run_docs([1.0, 2.0]))
    assert len(collector.of_type("event")) == 2
    assert collector.of_type("resource") == []
    collector.clear()
    assert collector.docs == [] and collector.starts == []


def test_documents_from_bluesky_run_engine():
    from bluesky import RunEngine
    from bluesky.plans import scan
    from ophyd.sim import det, motor

    collector = DocumentCollector()
    RunEngine()(scan([det], motor, -1, 1, 3), collector)
    assert collector.start["plan_name"] == "scan"
    assert collector.data("motor") == [-1.0, 0.0, 1.0]
    assert collector.stop["num_events"] == {"primary": 3}
