"""Reading a DocumentStore: queries, finding runs, events, export round trips."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time

import pytest
from store_helpers import feed, json_copy, make_run

from benchplan.store import DocumentStore, parse_time

DAY = 86400.0


@pytest.fixture
def store(tmp_path):
    with DocumentStore(tmp_path / "docs.sqlite") as s:
        yield s


@pytest.fixture
def filled(store):
    """Four runs: two counts, a failed scan, and an incomplete count, a day apart."""
    t0 = time.time() - 10 * DAY
    feed(store, make_run(plan_name="count", scan_id=1, start_time=t0, sample="Si", num=2))
    feed(store, make_run(plan_name="scan", scan_id=2, start_time=t0 + DAY, sample="Ge",
                         exit_status="fail", num=1))
    feed(store, make_run(plan_name="count", scan_id=3, start_time=t0 + 2 * DAY, sample="Si",
                         operator={"name": "ada"}))
    feed(store, make_run(plan_name="count", scan_id=4, start_time=t0 + 3 * DAY,
                         exit_status=None, num=5))
    return store, t0


def test_runs_are_listed_oldest_first(filled):
    store, _ = filled
    assert [r.scan_id for r in store.runs()] == [1, 2, 3, 4]


def test_runs_filter_by_plan_and_status(filled):
    store, _ = filled
    assert [r.scan_id for r in store.runs(plan_name="count")] == [1, 3, 4]
    assert [r.scan_id for r in store.runs(exit_status="fail")] == [2]
    assert [r.scan_id for r in store.runs(exit_status="incomplete")] == [4]
    assert [r.scan_id for r in store.runs(plan_name="count", exit_status="success")] == [1, 3]


def test_runs_filter_by_time(filled):
    store, t0 = filled
    assert [r.scan_id for r in store.runs(since=t0 + DAY)] == [2, 3, 4]
    assert [r.scan_id for r in store.runs(until=t0 + DAY)] == [1]
    since = dt.datetime.fromtimestamp(t0 + 1.5 * DAY)
    assert [r.scan_id for r in store.runs(since=since, until=since + dt.timedelta(days=1))] == [3]
    assert [r.scan_id for r in store.runs(since="8.5d")] == [3, 4]


def test_runs_filter_by_metadata(filled):
    store, _ = filled
    assert [r.scan_id for r in store.runs(sample="Si")] == [1, 3]
    assert [r.scan_id for r in store.runs(sample="Si", plan_name="scan")] == []
    assert [r.scan_id for r in store.runs(operator={"name": "ada"})] == [3]
    assert [r.scan_id for r in store.runs(scan_id=2)] == [2]


def test_runs_limit_keeps_the_last(filled):
    store, _ = filled
    assert [r.scan_id for r in store.runs(limit=2)] == [3, 4]
    assert [r.scan_id for r in store.runs(plan_name="count", limit=1)] == [4]


def test_summary_counts_events(filled):
    store, _ = filled
    assert [(r.exit_status, r.num_events) for r in store.runs()] == [
        ("success", 2), ("fail", 1), ("success", 3), ("incomplete", 5)]


def test_a_run_is_found_by_uid_prefix_index_and_scan_id(filled):
    store, _ = filled
    uids = [r.uid for r in store.runs()]
    assert store.resolve(uids[2]) == uids[2]
    assert store.resolve(uids[2][:6]) == uids[2]
    assert store.resolve(-1) == uids[3]
    assert store.resolve("-4") == uids[0]
    assert store.resolve(2) == uids[1]  # an int >= 0 is a scan_id
    assert store.run(uids[1][:8]).plan_name == "scan"


def test_unknown_uid_prefix_says_so(filled):
    store, _ = filled
    with pytest.raises(LookupError, match=r"No run in .* has a uid starting with 'zzzz'.*benchplan runs"):
        store.resolve("zzzz")


def test_index_beyond_the_runs_says_how_many_there_are(filled):
    store, _ = filled
    with pytest.raises(LookupError, match="Cannot find run -9 .*holds 4 runs; -1 is the last"):
        store.resolve(-9)


def test_unknown_scan_id_says_so(filled):
    store, _ = filled
    with pytest.raises(LookupError, match="Cannot find a run with scan_id 99"):
        store.resolve(99)


def test_ambiguous_prefix_lists_the_candidates(store):
    for uid in ("abc-1", "abc-2"):
        docs = make_run(num=1)
        docs[0][1]["uid"] = uid
        for _, doc in docs[1:]:
            if "run_start" in doc:
                doc["run_start"] = uid
        feed(store, docs)
    with pytest.raises(LookupError, match=r"prefix 'abc' is ambiguous: it matches abc-\d .*abc-\d .*more characters"):
        store.resolve("abc")
    assert store.resolve("abc-2") == "abc-2"


@pytest.mark.parametrize("bad", [1.5, None, True])
def test_a_run_key_of_the_wrong_type_is_refused(store, bad):
    with pytest.raises(TypeError, match="Cannot find a run by"):
        store.resolve(bad)


def test_events_of_each_stream(store):
    feed(store, make_run(num=2, streams=("primary", "baseline")))
    assert [e["data"]["label"] for e in store.events(-1)] == ["p1", "p2"]
    assert len(store.events(-1, "baseline")) == 2
    assert store.events(-1, "nothing") == []
    assert [d["name"] for d in store.descriptors(-1)] == ["primary", "baseline"]


def test_export_jsonl_round_trip(store, tmp_path):
    docs = make_run(num=3)
    feed(store, docs)
    path = tmp_path / "run.jsonl"
    assert store.export_jsonl(-1, path) == len(docs)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(name, doc) for name, doc in lines] == json_copy(docs)


def test_export_jsonl_to_an_open_file_leaves_it_open(store):
    feed(store, make_run(num=1))
    out = io.StringIO()
    store.export_jsonl(-1, out)
    assert not out.closed and out.getvalue().count("\n") == 4


def test_export_csv_round_trip(store, tmp_path):
    docs = make_run(num=4)
    feed(store, docs)
    path = tmp_path / "run.csv"
    assert store.export_csv(-1, path) == 4
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    events = [doc for name, doc in docs if name == "event"]
    assert list(rows[0]) == ["seq_num", "time", "x", "label"]
    assert [int(r["seq_num"]) for r in rows] == [e["seq_num"] for e in events]
    assert [float(r["time"]) for r in rows] == [e["time"] for e in events]
    assert [float(r["x"]) for r in rows] == [e["data"]["x"] for e in events]
    assert [r["label"] for r in rows] == [e["data"]["label"] for e in events]


def test_export_csv_of_a_missing_stream_names_the_streams(store, tmp_path):
    feed(store, make_run(num=1, streams=("primary", "baseline")))
    with pytest.raises(LookupError, match=r"no such stream.*'primary', 'baseline'"):
        store.export_csv(-1, tmp_path / "x.csv", stream="monitor")


def test_large_runs_are_read_in_chunks(store):
    docs = make_run(num=2500)
    feed(store, docs)
    assert len(store.documents(-1)) == len(docs)
    assert [e["seq_num"] for e in store.events(-1)] == list(range(1, 2501))


def test_parse_time_reads_dates_ages_and_numbers():
    midnight = dt.datetime(2024, 5, 1).timestamp()
    assert parse_time("2024-05-01") == midnight
    assert parse_time("2024-05-01 14:30") == midnight + 14.5 * 3600
    assert parse_time(dt.date(2024, 5, 1)) == midnight
    assert parse_time(12.5) == 12.5
    assert abs(parse_time("2h") - (time.time() - 7200)) < 60
    assert parse_time("today") - parse_time("yesterday") in (DAY - 3600, DAY, DAY + 3600)  # DST
    assert parse_time("today") <= time.time()


def test_parse_time_refuses_what_it_cannot_read():
    with pytest.raises(ValueError, match="Cannot read a time from 'last tuesday'.*'2h'"):
        parse_time("last tuesday")
