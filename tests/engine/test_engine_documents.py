"""The documents: valid against event-model's schemas, start metadata, scan ids, and the
hooks that shape or watch a run (md, validators, normalizers, preprocessors, hooks)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping

import pytest

from benchplan import Msg, RunEngine
from benchplan.callbacks import DocumentCollector
from benchplan.devices.sim import SimMotor, det, det1, det2, motor, motor1, motor2
from benchplan.plans import count, grid_scan, list_scan, log_scan, rel_scan, scan
from benchplan.plans.preprocessors import finalize_wrapper
from benchplan.plans.stubs import mv

from engine_helpers import assert_runs_closed, validate_all

PLANS = {
    "count": lambda: count([det, det1], 3),
    "scan": lambda: scan([det], motor, -1, 1, 5),
    "grid_scan": lambda: grid_scan([det1, det2], motor1, -1, 1, 3, motor2, 0, 2, 2),
    "list_scan": lambda: list_scan([det], motor, [0.1, 0.5, 0.9]),
    "rel_scan": lambda: rel_scan([det], motor, -0.5, 0.5, 3),
    "log_scan": lambda: log_scan([det], motor, 1, 100, 3),
}
NUM_POINTS = {"count": 3, "scan": 5, "grid_scan": 6, "list_scan": 3, "rel_scan": 3,
              "log_scan": 3}


@pytest.mark.parametrize("plan_name", sorted(PLANS))
def test_documents_of_builtin_plans_are_schema_valid(RE, docs, plan_name):
    (uid,) = RE(PLANS[plan_name]())
    assert validate_all(docs) == len(docs)
    start = docs.start
    assert start["uid"] == uid
    assert start["plan_name"] == plan_name
    assert isinstance(start["plan_args"], dict) and start["plan_args"]
    assert start["num_points"] == NUM_POINTS[plan_name]
    assert isinstance(start["scan_id"], int)
    events = docs.events()
    assert len(events) == NUM_POINTS[plan_name]
    assert [e["seq_num"] for e in events] == list(range(1, len(events) + 1))
    assert docs.stop["num_events"] == {"primary": len(events)}
    assert docs.stop["exit_status"] == "success"
    assert docs.names[0] == "start" and docs.names[-1] == "stop"


def test_start_document_is_json_serializable(RE, docs):
    RE(grid_scan([det], motor1, -1, 1, 2, motor2, -1, 1, 2))
    json.dumps(docs.start)


def test_scan_id_increments_per_run(RE, docs):
    RE(count([det]))
    RE(count([det]))

    def two():
        yield from count([det])
        yield from count([det])

    RE(two())
    ids = [s["scan_id"] for s in docs.starts]
    assert ids == [ids[0], ids[0] + 1, ids[0] + 2, ids[0] + 3]
    assert RE.md["scan_id"] == ids[-1]


def test_scan_id_continues_from_md():
    RE = RunEngine(md={"scan_id": 41})
    collected = DocumentCollector()
    RE(count([det]), collected)
    assert collected.start["scan_id"] == 42


def test_md_values_go_into_every_start_and_call_md_overrides(RE, docs):
    RE.md["beamline"] = "bench 3"
    RE.md["sample"] = "default"
    RE(count([det]), sample="special")
    RE(count([det]))
    assert [s["beamline"] for s in docs.starts] == ["bench 3", "bench 3"]
    assert [s["sample"] for s in docs.starts] == ["special", "default"]


def test_open_run_md_overrides_call_md(RE, docs):
    RE([Msg("open_run", sample="from plan"), Msg("close_run")], sample="from call")
    assert docs.start["sample"] == "from plan"


class PersistentMD(dict):
    """A dict that writes itself to a JSON file on every change."""

    def __init__(self, path):
        self.path = path
        super().__init__(json.loads(path.read_text()) if path.exists() else {})

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self.path.write_text(json.dumps(self))

    def __delitem__(self, key):
        super().__delitem__(key)
        self.path.write_text(json.dumps(self))


class MappingMD(MutableMapping):
    """A MutableMapping that is not a dict."""

    def __init__(self):
        self._data = {}

    def __getitem__(self, key):
        return self._data[key]

    def __setitem__(self, key, value):
        self._data[key] = value

    def __delitem__(self, key):
        del self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)


def test_md_persisting_to_a_file_keeps_scan_id_across_engines(tmp_path):
    path = tmp_path / "md.json"
    first = RunEngine(md=PersistentMD(path))
    first.md["owner"] = "lab"
    first(count([det]))
    first(count([det]))
    assert json.loads(path.read_text())["scan_id"] == 2
    second = RunEngine(md=PersistentMD(path))
    collected = DocumentCollector()
    second(count([det]), collected)
    assert collected.start["scan_id"] == 3
    assert collected.start["owner"] == "lab"
    assert json.loads(path.read_text())["scan_id"] == 3


def test_md_can_be_any_mutable_mapping():
    md = MappingMD()
    md["x"] = 1
    RE = RunEngine(md=md)
    collected = DocumentCollector()
    RE(count([det]), collected)
    RE(count([det]), collected)
    assert RE.md is md
    assert md["scan_id"] == 2
    assert [s["x"] for s in collected.starts] == [1, 1]


def test_md_validator_refusing_md_stops_the_call_before_the_plan():
    def validator(md):
        if "sample" not in md:
            raise ValueError("every run needs a 'sample'")

    RE = RunEngine(md_validator=validator)
    collected = DocumentCollector()
    ran = []

    def plan():
        ran.append(True)
        yield from count([det])

    with pytest.raises(ValueError, match="every run needs a 'sample'"):
        RE(plan(), collected)
    assert ran == [] and collected.docs == []
    assert RE.state == "idle"
    RE(count([det]), collected, sample="S")
    assert collected.start["sample"] == "S"


def test_md_normalizer_changes_the_call_metadata():
    def normalizer(md):
        return {key.lower(): value for key, value in md.items()}

    RE = RunEngine(md_normalizer=normalizer)
    collected = DocumentCollector()
    RE(count([det]), collected, Sample="A", OPERATOR="me")
    assert collected.start["sample"] == "A"
    assert collected.start["operator"] == "me"
    assert "Sample" not in collected.start


def test_scan_id_source_sync():
    calls = []

    def source(md):
        calls.append(dict(md))
        return 1000 + len(calls)

    RE = RunEngine(scan_id_source=source)
    collected = DocumentCollector()
    RE(count([det]), collected)
    RE(count([det]), collected)
    assert [s["scan_id"] for s in collected.starts] == [1001, 1002]
    assert RE.md["scan_id"] == 1002
    assert calls[1]["scan_id"] == 1001


def test_scan_id_source_async():
    async def source(md):
        await asyncio.sleep(0)
        return md.get("scan_id", 500) + 10

    RE = RunEngine(scan_id_source=source)
    collected = DocumentCollector()
    RE(count([det]), collected)
    RE(count([det]), collected)
    assert [s["scan_id"] for s in collected.starts] == [510, 520]


def test_preprocessors_apply_to_every_plan():
    seen = []

    def add_note(plan):
        def wrapped():
            seen.append("pre")
            return (yield from plan)

        return wrapped()

    def cleanup_plan(plan):
        return finalize_wrapper(plan, [Msg("null", "cleanup")])

    RE = RunEngine(preprocessors=[add_note, cleanup_plan])
    messages = []
    RE.msg_hook = messages.append
    RE(count([det]))
    assert seen == ["pre"]
    assert messages[-1] == Msg("null", "cleanup")
    RE.preprocessors.clear()
    messages.clear()
    RE(count([det]))
    assert seen == ["pre"] and Msg("null", "cleanup") not in messages


def test_msg_hook_sees_every_message_in_order(RE):
    messages = []
    RE.msg_hook = messages.append
    assert RE.msg_hook is not None
    plan_msgs = [Msg("open_run"), Msg("null"), Msg("checkpoint"), Msg("create"),
                 Msg("read", det), Msg("save"), Msg("close_run")]
    RE(list(plan_msgs))
    assert messages == plan_msgs
    RE.msg_hook = None
    RE([Msg("null")])
    assert len(messages) == len(plan_msgs)


def test_verbose_logs_messages_and_keeps_msg_hook(RE, caplog):
    messages = []
    RE.msg_hook = messages.append
    RE.verbose = True
    assert RE.verbose is True
    with caplog.at_level("INFO", logger="benchplan.engine"):
        RE([Msg("null", "marker")])
    assert messages == [Msg("null", "marker")]
    assert any("marker" in r.getMessage() for r in caplog.records)


def test_waiting_hook_called_with_statuses_then_none(RE):
    calls = []
    RE.waiting_hook = calls.append
    slow = SimMotor("slow_wh", delay=0.02)
    RE(mv(slow, 1.0))
    assert len(calls) == 2
    statuses, end = calls
    assert end is None
    assert len(statuses) == 1
    (status,) = statuses
    assert status.obj is slow and status.done


def test_waiting_hook_not_called_when_nothing_is_pending(RE):
    calls = []
    RE.waiting_hook = calls.append
    RE(mv(motor, 0.0))  # a sim motor without delay finishes at once
    assert calls == []


def test_max_depth_refuses_deep_calls():
    RE = RunEngine(max_depth=1)
    with pytest.raises(RuntimeError, match="max_depth=1"):
        RE(count([det]))
    assert RE.state == "idle"
    RE.max_depth = 1000
    assert len(RE(count([det]))) == 1


def test_stop_document_counts_events_per_stream(RE, docs):
    def plan():
        yield Msg("open_run")
        for stream in ("primary", "baseline", "primary"):
            yield Msg("create", name=stream)
            yield Msg("read", det)
            yield Msg("save")
        yield Msg("close_run")

    RE(plan())
    assert docs.stop["num_events"] == {"primary": 2, "baseline": 1}
    assert [e["seq_num"] for e in docs.events("baseline")] == [1]
    validate_all(docs)


def test_descriptor_carries_configuration_hints_and_object_keys(RE, docs):
    RE(scan([det], motor, 0, 1, 2))
    desc = docs.descriptors[0]
    assert desc["object_keys"]["det"] == ["det"]
    assert set(desc["object_keys"]["motor"]) == {"motor", "motor_setpoint"}
    assert "det_Imax" in desc["configuration"]["det"]["data"]
    assert desc["hints"]["det"] == {"fields": ["det"]}
    assert desc["run_start"] == docs.start["uid"]


def test_one_descriptor_per_stream_and_device_set(RE, docs):
    RE(count([det], 5))
    assert len(docs.descriptors) == 1
    assert {e["descriptor"] for e in docs.events()} == {docs.descriptors[0]["uid"]}
    assert_runs_closed(docs)


def test_event_data_match_the_readings(RE, docs):
    RE(list_scan([det], motor, [0.0, 1.0]))
    import math
    assert docs.data("det") == pytest.approx([1.0, math.exp(-0.5)])
    assert docs.data("motor") == [0.0, 1.0]


def test_start_names_the_plan_type_and_a_generator_plan(RE, docs):
    def my_plan():
        yield Msg("open_run")
        yield Msg("close_run")

    RE(my_plan())
    RE([Msg("open_run"), Msg("close_run")])
    RE(my_plan(), plan_name="given by the caller")
    generator, listed, overridden = docs.starts
    assert (generator["plan_type"], generator["plan_name"]) == ("generator", "my_plan")
    assert listed["plan_type"] == "list" and "plan_name" not in listed
    assert overridden["plan_name"] == "given by the caller"
