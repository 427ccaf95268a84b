"""PersistentMetadata: RE.md kept in the store's file."""

from __future__ import annotations

import numpy as np
import pytest

from benchplan import RunEngine
from benchplan.plans import count
from benchplan.devices.sim import det
from benchplan.store import DocumentStore, PersistentMetadata


@pytest.fixture
def path(tmp_path):
    return tmp_path / "md.sqlite"


def test_values_outlive_the_object(path):
    md = PersistentMetadata(path)
    md["operator"] = "ada"
    md["limits"] = (0, 5)
    md["gain"] = np.float64(2.5)
    md.close()
    again = PersistentMetadata(path)
    assert again.to_dict() == {"operator": "ada", "limits": [0, 5], "gain": 2.5}
    assert len(again) == 3 and "gain" in again and "nothing" not in again
    assert sorted(again) == ["gain", "limits", "operator"]


def test_missing_and_deleted_keys_raise_key_error(path):
    md = PersistentMetadata(path)
    md["a"] = 1
    del md["a"]
    with pytest.raises(KeyError):
        md["a"]
    with pytest.raises(KeyError):
        del md["a"]
    assert md.get("a", "default") == "default"


def test_a_value_json_cannot_hold_is_refused_naming_the_key(path):
    md = PersistentMetadata(path)
    with pytest.raises(TypeError, match="Cannot keep metadata 'detector' = .*object.*numbers, strings"):
        md["detector"] = object()
    assert "detector" not in md


def test_keys_must_be_strings(path):
    with pytest.raises(TypeError, match="Metadata keys must be strings, not 3"):
        PersistentMetadata(path)[3] = "x"  # type: ignore[index]


def test_next_scan_id_counts_up_from_the_stored_value(path):
    md = PersistentMetadata(path)
    assert md.next_scan_id() == 1
    md["scan_id"] = 41
    assert md.next_scan_id() == 42
    assert PersistentMetadata(path)["scan_id"] == 42


def test_next_scan_id_refuses_a_scan_id_that_is_not_a_number(path):
    md = PersistentMetadata(path)
    md["scan_id"] = "seven"
    with pytest.raises(ValueError, match="Cannot count up from scan_id 'seven'.*whole number"):
        md.next_scan_id()


def test_run_engine_keeps_scan_id_across_sessions(path):
    md = PersistentMetadata(path)
    RE = RunEngine(md=md, scan_id_source=md.next_scan_id, control=False, context_managers=[])
    store = DocumentStore(path)
    RE(count([det], 1), store)
    RE(count([det], 1), store, sample="Si")
    md.close()
    md2 = PersistentMetadata(path)
    RE2 = RunEngine(md=md2, scan_id_source=md2.next_scan_id, control=False, context_managers=[])
    RE2(count([det], 1), store)
    assert [r.scan_id for r in store.runs()] == [1, 2, 3]
    assert md2["scan_id"] == 3
    assert "sample" not in md2  # per-call metadata is not kept
    store.close()


def test_metadata_of_re_md_goes_into_every_start_document(path):
    md = PersistentMetadata(path)
    md["operator"] = "ada"
    RE = RunEngine(md=md, scan_id_source=md.next_scan_id, control=False, context_managers=[])
    store = DocumentStore(path)
    RE(count([det], 1), store)
    assert store.runs(operator="ada")[0].scan_id == 1
    store.close()


def test_the_run_engine_writing_back_its_scan_id_cannot_undo_a_newer_one(path):
    mine, other = PersistentMetadata(path), PersistentMetadata(path)
    issued = mine.next_scan_id()  # 1
    assert other.next_scan_id() == 2  # another process takes the next one
    mine["scan_id"] = issued  # what RunEngine.open_run does with the id it got
    assert mine["scan_id"] == 2
    mine["scan_id"] = 10  # a deliberate reset still works
    assert other["scan_id"] == 10


def test_plain_scan_id_source_also_works_in_one_process(path):
    md = PersistentMetadata(path)
    RE = RunEngine(md=md, control=False, context_managers=[])
    RE(count([det], 1))
    RE(count([det], 1))
    assert PersistentMetadata(path)["scan_id"] == 2
