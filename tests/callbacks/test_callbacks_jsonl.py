"""JSONLinesWriter: files, round trips, numpy values, flushing and closing."""

from __future__ import annotations

import enum
import io
import json
import logging
import os

import numpy as np
import pytest
from event_model import compose_run, pack_event_page

from benchplan.callbacks import JSONLinesWriter

KEYS = {
    "x": {"dtype": "number", "shape": [], "source": "sim"},
    "n": {"dtype": "integer", "shape": [], "source": "sim"},
    "img": {"dtype": "array", "shape": [2, 2], "source": "sim"},
}


def run_docs(points=2, *, metadata=None, pages=False):
    """The documents of one run, with numpy values in its events."""
    run = compose_run(metadata=metadata or {"plan_name": "count", "scan_id": 1})
    desc = run.compose_descriptor(name="primary", data_keys=KEYS)
    res = run.compose_resource(spec="NPY", root="/", resource_path="a.npy", resource_kwargs={})
    events = [
        desc.compose_event(
            data={"x": np.float32(i + 0.5), "n": np.int64(i), "img": np.arange(4).reshape(2, 2)},
            timestamps={"x": 1.0, "n": 1.0, "img": 1.0},
            validate=False,  # the schema does not know numpy types
        )
        for i in range(points)
    ]
    docs = [
        ("start", run.start_doc),
        ("descriptor", desc.descriptor_doc),
        ("resource", res.resource_doc),
        ("datum", res.compose_datum(datum_kwargs={"frame": 0})),
    ]
    if pages:
        docs.append(("event_page", pack_event_page(*events)))
    else:
        docs.extend(("event", e) for e in events)
    docs.append(("stop", run.compose_stop()))
    return docs


def plain(docs):
    """What the documents look like once numpy values are Python values."""
    def convert(obj):
        if isinstance(obj, np.ndarray | np.generic):
            return obj.tolist()
        raise TypeError(obj)

    return json.loads(json.dumps([list(d) for d in docs], default=convert))


def read(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_directory_gets_one_file_per_run_named_by_start_uid(tmp_path):
    writer = JSONLinesWriter(tmp_path)
    first, second = run_docs(), run_docs()
    for name, doc in first + second:
        writer(name, doc)
    uids = [first[0][1]["uid"], second[0][1]["uid"]]
    assert writer.paths == [tmp_path / f"{uid}.jsonl" for uid in uids]
    assert read(writer.paths[0]) == plain(first)
    assert read(writer.paths[1]) == plain(second)


def test_numpy_arrays_and_scalars_are_written_as_plain_values(tmp_path):
    writer = JSONLinesWriter(tmp_path / "out")
    docs = run_docs(points=1)
    for name, doc in docs:
        writer(name, doc)
    (path,) = writer.paths
    assert path.parent == tmp_path / "out"  # made when the run started
    name, event = read(path)[4]
    assert name == "event"
    assert event["data"] == {"x": 0.5, "n": 0, "img": [[0, 1], [2, 3]]}


def test_event_pages_and_external_data_documents_round_trip(tmp_path):
    writer = JSONLinesWriter(tmp_path)
    docs = run_docs(points=3, pages=True)
    for name, doc in docs:
        writer(name, doc)
    lines = read(writer.paths[0])
    assert [n for n, _ in lines] == ["start", "descriptor", "resource", "datum", "event_page", "stop"]
    assert lines == plain(docs)


def test_enums_sets_and_paths_in_metadata_are_written(tmp_path):
    class Mode(enum.Enum):
        FAST = "fast"

    md = {"mode": Mode.FAST, "tags": {"b", "a"}, "where": tmp_path}
    writer = JSONLinesWriter(tmp_path)
    for name, doc in run_docs(metadata=md):
        writer(name, doc)
    start = read(writer.paths[0])[0][1]
    assert (start["mode"], start["tags"], start["where"]) == ("fast", ["a", "b"], str(tmp_path))


def test_a_path_with_a_suffix_collects_every_run(tmp_path):
    path = tmp_path / "runs.jsonl"
    writer = JSONLinesWriter(path)
    first, second = run_docs(), run_docs()
    for name, doc in first:
        writer(name, doc)
    assert read(path) == plain(first)  # complete once the run stopped
    for name, doc in second:
        writer(name, doc)
    assert read(path) == plain(first + second)
    assert writer.paths == [path]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_file_is_closed_at_stop(tmp_path):
    def open_files():
        fds = os.listdir("/proc/self/fd")
        return {os.path.realpath(f"/proc/self/fd/{fd}") for fd in fds if fd.isdigit()}

    writer = JSONLinesWriter(tmp_path)
    docs = run_docs()
    for name, doc in docs[:-1]:
        writer(name, doc)
    assert str(writer.paths[0].resolve()) in open_files()
    writer(*docs[-1])
    assert str(writer.paths[0].resolve()) not in open_files()


def test_runs_open_at_once_go_to_their_own_files(tmp_path):
    writer = JSONLinesWriter(tmp_path)
    outer, inner = run_docs(), run_docs()
    for name, doc in outer[:3] + inner + outer[3:]:
        writer(name, doc)
    by_uid = {p.stem: read(p) for p in writer.paths}
    assert by_uid[outer[0][1]["uid"]] == plain(outer)
    assert by_uid[inner[0][1]["uid"]] == plain(inner)


class CountingFile(io.StringIO):
    def __init__(self):
        super().__init__()
        self.flushes = 0

    def flush(self):
        self.flushes += 1
        super().flush()


@pytest.mark.parametrize("flush_every, flushes", [(0, 1), (1, 7), (2, 4), (100, 1)])
def test_flush_every_sets_how_often_the_file_is_flushed(flush_every, flushes):
    file = CountingFile()
    writer = JSONLinesWriter(file, flush_every=flush_every)
    for name, doc in run_docs():  # 7 documents
        writer(name, doc)
    assert file.flushes == flushes
    assert not file.closed  # not ours to close
    assert [json.loads(line)[0] for line in file.getvalue().splitlines()][-1] == "stop"


def test_close_finishes_runs_that_never_stopped(tmp_path):
    writer = JSONLinesWriter(tmp_path, flush_every=0)
    docs = run_docs()
    for name, doc in docs[:-1]:
        writer(name, doc)
    writer.close()
    assert read(writer.paths[0]) == plain(docs[:-1])


def test_name_template_uses_start_fields(tmp_path):
    writer = JSONLinesWriter(tmp_path, name_template="{scan_id}-{plan_name}.jsonl")
    for name, doc in run_docs():
        writer(name, doc)
    assert writer.paths == [tmp_path / "1-count.jsonl"]


def test_existing_file_is_not_overwritten(tmp_path):
    (tmp_path / "1.jsonl").write_text("keep me\n")
    writer = JSONLinesWriter(tmp_path, name_template="{scan_id}.jsonl")
    with pytest.raises(FileExistsError, match=r"will not overwrite .*1\.jsonl.*name_template"):
        writer(*run_docs()[0])
    assert (tmp_path / "1.jsonl").read_text() == "keep me\n"


def test_template_naming_a_missing_field_is_refused(tmp_path):
    writer = JSONLinesWriter(tmp_path, name_template="{sample}.jsonl")
    with pytest.raises(ValueError, match=r"cannot name the file of run .*'sample'.*'\{uid\}'"):
        writer(*run_docs()[0])


def test_value_json_cannot_hold_is_refused_with_the_document(tmp_path):
    writer = JSONLinesWriter(tmp_path)
    docs = run_docs()
    docs[0][1]["blob"] = object()
    with pytest.raises(TypeError, match=r"cannot write the 'start' document .*type object"):
        writer(*docs[0])


@pytest.mark.parametrize("bad", [-1, 1.5, True, "2"])
def test_bad_flush_every_is_refused(tmp_path, bad):
    with pytest.raises(ValueError, match=rf"flush_every={bad!r}: it must be a whole number"):
        JSONLinesWriter(tmp_path, flush_every=bad)


def test_documents_of_a_run_not_seen_starting_are_dropped(tmp_path, caplog):
    writer = JSONLinesWriter(tmp_path)
    docs = run_docs()
    with caplog.at_level(logging.WARNING, logger="benchplan.callbacks"):
        for name, doc in docs[1:]:
            writer(name, doc)
    assert writer.paths == []
    assert list(tmp_path.iterdir()) == []
    assert "dropped a 'descriptor' document" in caplog.text


def test_documents_from_bluesky_run_engine(tmp_path):
    from bluesky import RunEngine
    from bluesky.plans import scan
    from ophyd.sim import det, motor

    writer = JSONLinesWriter(tmp_path)
    docs = []
    RE = RunEngine()
    RE(scan([det], motor, -1, 1, 3), [writer, lambda name, doc: docs.append((name, doc))])
    (path,) = writer.paths
    lines = read(path)
    assert [n for n, _ in lines] == ["start", "descriptor", "event", "event", "event", "stop"]
    assert lines == plain(docs)
    assert [doc["data"]["motor"] for name, doc in lines if name == "event"] == [-1.0, 0.0, 1.0]
