"""DocumentStore as a subscriber: what it writes, when it commits, and its errors."""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
import time

import numpy as np
import pytest
from event_model import compose_run, pack_event_page
from store_helpers import feed, json_copy, make_run

from benchplan import RunEngine
from benchplan.callbacks import DocumentCollector
from benchplan.devices.sim import det, motor
from benchplan.plans import count, scan
from benchplan.store import DocumentStore, default_store


@pytest.fixture
def store(tmp_path):
    with DocumentStore(tmp_path / "docs.sqlite") as s:
        yield s


@pytest.fixture
def RE():
    return RunEngine(control=False, context_managers=[])


def test_run_engine_documents_are_stored_in_emission_order(store, RE):
    collector = DocumentCollector()
    (uid,) = RE(scan([det], motor, -1, 1, 5), [store, collector])
    assert store.documents(uid) == json_copy(collector.docs)
    assert store.documents(-1) == store.documents(uid)


def test_replay_gives_a_collector_the_documents_emitted(store, RE):
    original = DocumentCollector()
    RE(count([det], 7), [store, original])
    replayed = DocumentCollector()
    store.replay(-1, replayed)
    assert replayed.docs == json_copy(original.docs)
    assert replayed.data("det") == original.data("det")
    assert replayed.stop["num_events"] == {"primary": 7}


def test_summary_of_a_finished_run(store, RE):
    (uid,) = RE(count([det], 4), store, operator="ada")
    (run,) = store.runs()
    assert (run.uid, run.plan_name, run.exit_status, run.num_events) == (uid, "count", "success", 4)
    assert run.streams == {"primary": 4}
    assert run.scan_id == RE.md["scan_id"]


def test_a_run_without_stop_is_incomplete_and_its_events_are_counted(store):
    docs = make_run(num=4, exit_status=None)
    feed(store, docs)
    (run,) = store.runs()
    assert run.exit_status == "incomplete"
    assert run.num_events == 4
    assert [e["seq_num"] for e in store.events(run.uid)] == [1, 2, 3, 4]


def test_numpy_values_are_stored_as_numbers_and_lists(store):
    run = compose_run(metadata={"plan_name": "np", "gain": np.float32(2.5)})
    desc = run.compose_descriptor(
        name="primary",
        data_keys={"img": {"dtype": "array", "shape": [2, 2], "source": "sim"},
                   "n": {"dtype": "integer", "shape": [], "source": "sim"}},
    )
    event = desc.compose_event(
        data={"img": np.arange(4.0).reshape(2, 2), "n": np.int64(3)},
        timestamps={"img": 1.0, "n": 1.0},
    )
    feed(store, [("start", run.start_doc), ("descriptor", desc.descriptor_doc), ("event", event),
                 ("stop", run.compose_stop())])
    (stored,) = store.events(-1)
    assert stored["data"] == {"img": [[0.0, 1.0], [2.0, 3.0]], "n": 3}
    assert store.documents(-1)[0][1]["gain"] == 2.5


def test_nan_and_infinities_are_kept(store):
    run = compose_run(metadata={"plan_name": "nan", "offset": math.nan})
    desc = run.compose_descriptor(
        name="primary",
        data_keys={k: {"dtype": "number", "shape": [], "source": "sim"} for k in "abc"},
    )
    event = desc.compose_event(
        data={"a": math.nan, "b": -math.inf, "c": np.array([1.0, np.nan])},
        timestamps={"a": 1.0, "b": 1.0, "c": 1.0},
    )
    feed(store, [("start", run.start_doc), ("descriptor", desc.descriptor_doc), ("event", event)])
    data = store.events(-1)[0]["data"]
    assert math.isnan(data["a"]) and data["b"] == -math.inf
    assert data["c"][0] == 1.0 and math.isnan(data["c"][1])
    assert math.isnan(store.documents(-1)[0][1]["offset"])
    assert store.runs(plan_name="nan")[0].exit_status == "incomplete"  # queries still work


def test_event_pages_resources_and_datums_are_stored(store):
    run = compose_run(metadata={"plan_name": "page"})
    desc = run.compose_descriptor(
        name="primary", data_keys={"x": {"dtype": "number", "shape": [], "source": "sim"}}
    )
    events = [desc.compose_event(data={"x": float(i)}, timestamps={"x": 0.0}) for i in range(3)]
    page = pack_event_page(*events)
    resource = run.compose_resource(spec="NPY", root="/", resource_path="a.npy", resource_kwargs={})
    datum = resource.compose_datum(datum_kwargs={"index": 0})
    docs = [("start", run.start_doc), ("descriptor", desc.descriptor_doc), ("event_page", page),
            ("resource", resource.resource_doc), ("datum", datum),
            ("stop", run.compose_stop())]
    feed(store, docs)
    assert store.documents(-1) == json_copy(docs)
    assert [e["data"]["x"] for e in store.events(-1)] == [0.0, 1.0, 2.0]


def test_documents_of_interleaved_streams_keep_their_order(store):
    docs = make_run(num=3, streams=("primary", "baseline"))
    start, d1, d2, *events, stop = docs
    mixed = [start, d1, d2] + [e for pair in zip(events[:3], events[3:]) for e in pair] + [stop]
    feed(store, mixed)
    assert store.documents(-1) == json_copy(mixed)
    assert store.run(-1).streams == {"primary": 3, "baseline": 3}
    assert [e["data"]["x"] for e in store.events(-1, "baseline")] == [1.5, 3.0, 4.5]


def test_a_run_already_in_the_store_is_not_stored_twice(store, caplog):
    docs = make_run(num=2)
    feed(store, docs)
    with caplog.at_level(logging.WARNING, logger="benchplan.store"):
        store.replay(-1, store)
    assert len(store.runs()) == 1
    assert len(store.documents(-1)) == len(docs)
    assert "already" in caplog.text


def test_a_value_json_cannot_hold_is_stored_as_its_repr(store, caplog):
    class Odd:
        def __repr__(self) -> str:
            return "<Odd>"

    with caplog.at_level(logging.WARNING, logger="benchplan.store"):
        feed(store, make_run(num=1, gadget=Odd()))
    assert store.documents(-1)[0][1]["gadget"] == "<Odd>"
    assert "repr" in caplog.text and "Odd" in caplog.text


def test_queued_events_are_committed_by_the_background_thread(tmp_path):
    path = tmp_path / "bg.sqlite"
    writer = DocumentStore(path, commit_interval=0.02)
    feed(writer, make_run(num=5, exit_status=None))
    reader = DocumentStore(path)
    deadline = time.monotonic() + 10
    while reader.run(-1).num_events < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert reader.run(-1).num_events == 5  # no flush() was called on the writer
    writer.close()
    reader.close()


def test_commit_interval_zero_commits_every_document(tmp_path):
    path = tmp_path / "eager.sqlite"
    writer = DocumentStore(path, commit_interval=0)
    docs = make_run(num=3, exit_status=None)
    feed(writer, docs[:3])
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT sum(n) FROM documents WHERE name = 'event'").fetchone()[0] == 1
    writer.close()


def test_stop_commits_the_queue(tmp_path):
    path = tmp_path / "stop.sqlite"
    writer = DocumentStore(path, commit_interval=3600)
    feed(writer, make_run(num=4))
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT sum(n) FROM documents WHERE name = 'event'").fetchone()[0] == 4
    writer.close()


def test_store_shared_by_threads_keeps_every_document(store):
    runs = [make_run(num=200, scan_id=i) for i in range(4)]
    threads = [threading.Thread(target=feed, args=(store, docs)) for docs in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    by_uid = {r.uid: r for r in store.runs()}
    for docs in runs:
        uid = docs[0][1]["uid"]
        assert by_uid[uid].num_events == 200
        assert store.documents(uid) == json_copy(docs)


def test_close_then_use_again_reopens_the_file(tmp_path):
    s = DocumentStore(tmp_path / "again.sqlite")
    feed(s, make_run(num=1))
    s.close()
    feed(s, make_run(num=2))
    assert [r.num_events for r in s.runs()] == [1, 2]
    s.close()


def test_constructor_does_no_io(tmp_path):
    path = tmp_path / "sub" / "lazy.sqlite"
    DocumentStore(path)
    assert not path.parent.exists()


@pytest.mark.parametrize("bad", [-1, "0.1", True, math.nan])
def test_bad_commit_interval_is_refused(tmp_path, bad):
    with pytest.raises(ValueError, match="commit_interval=.*seconds >= 0"):
        DocumentStore(tmp_path / "x.sqlite", commit_interval=bad)


def test_a_file_of_another_program_is_refused(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE measurements (t REAL)")
    with pytest.raises(sqlite3.DatabaseError, match="another program.*measurements"):
        DocumentStore(path).runs()


def test_a_file_that_is_not_sqlite_is_refused_naming_it(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("not a database, just some notes that are long enough " * 20)
    with pytest.raises(sqlite3.DatabaseError, match="Cannot open the document store.*notes.sqlite"):
        DocumentStore(path)(*make_run()[0])


def test_default_store_is_one_object_at_the_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("BENCHPLAN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BENCHPLAN_STORE", raising=False)
    store = default_store()
    assert store is default_store()
    assert store.path == tmp_path / "documents.sqlite"


def test_default_store_follows_the_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("BENCHPLAN_STORE", raising=False)
    monkeypatch.setenv("BENCHPLAN_DATA_DIR", str(tmp_path / "a"))
    first = default_store()
    monkeypatch.setenv("BENCHPLAN_DATA_DIR", str(tmp_path / "b"))
    assert default_store() is not first
    assert default_store().path == tmp_path / "b" / "documents.sqlite"


def test_default_store_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("BENCHPLAN_STORE", "off")
    assert default_store() is None


def test_a_locked_file_fails_the_commit_and_the_documents_are_written_later(tmp_path, monkeypatch):
    import benchplan.store._schema as schema

    monkeypatch.setattr(schema, "BUSY_TIMEOUT", 0.1)
    path = tmp_path / "locked.sqlite"
    writer = DocumentStore(path, commit_interval=3600)
    docs = make_run(num=3)
    feed(writer, docs[:4])  # start, descriptor, two events queued
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError,
                       match=r"Cannot store the 'event' document in .*locked.sqlite.*locked.*longer than 0.1 s"):
        writer.flush()
    blocker.execute("ROLLBACK")
    blocker.close()
    feed(writer, docs[4:])
    assert writer.documents(-1) == json_copy(docs)
    writer.close()


def test_a_store_subscribed_twice_stores_each_document_once(store, RE):
    collector = DocumentCollector()
    RE.subscribe(store)
    RE(count([det], 3), [collector, store])
    assert store.documents(-1) == json_copy(collector.docs)
