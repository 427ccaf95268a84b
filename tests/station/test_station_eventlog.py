"""The station event log: run documents of attached RunEngines, observations and their
references, reading with filters, and on_event's replay to late subscribers."""

from __future__ import annotations

import json
import threading

import pytest

import benchplan.station as bs
from benchplan import RunEngine
from benchplan.devices.sim import det
from benchplan.plans import count
from benchplan.station import EVENT_TYPES, StationError
from benchplan.station._eventlog import EventLog, read_events


@pytest.fixture
def station(station_file, data_dir):
    with bs.connect("bench-a", data_dir=data_dir) as station:
        yield station


def test_every_document_of_an_attached_run_engine_is_logged_in_order(station):
    RE = RunEngine()
    station.attach(RE)
    station.attach(RE)  # once is enough
    docs = []
    (uid,) = RE(count([det], 3), lambda name, doc: docs.append((name, doc)))
    logged = station.events("document")
    assert [[e.key, e.data] for e in logged] == json.loads(json.dumps(docs, default=repr))
    assert logged[0].data["uid"] == uid and [e.id for e in logged] == sorted(e.id for e in logged)
    station.detach(RE)
    RE(count([det], 1))
    assert len(station.events("document")) == len(docs)


def test_an_observation_returns_a_reference_a_run_can_point_to(station):
    ref = station.observe("ambient_temperature", 23.4, "degC", note="by the window")
    other = station.observe("dut_serial", "SN-0042", role="vbat")
    assert ref != other and len(ref) == 36
    RE = RunEngine()
    station.attach(RE)
    RE(count([det], 1), ambient=ref)
    start = station.events("document", key="start")[0].data
    found = station.lookup(start["ambient"])
    assert (found.type, found.key, found.ref) == ("observation", "ambient_temperature", ref)
    assert found.data == {"value": 23.4, "units": "degC", "note": "by the window"}
    assert station.lookup(other).role == "vbat"
    with pytest.raises(StationError, match="has no event with reference 'nope'"):
        station.lookup("nope")


def test_observations_are_checked(station):
    with pytest.raises(ValueError, match="the key must be a non-empty string"):
        station.observe("", 1)
    with pytest.raises(StationError, match="has no role 'load'"):
        station.observe("t", 1, role="load")


def test_events_filter_by_type_role_key_session_and_limit(station, data_dir):
    station.instrument("dmm")
    station.observe("t", 1)
    station.observe("t", 2)
    station.observe("rh", 40)
    assert [e.data["value"] for e in station.events("observation", key="t")] == [1, 2]
    assert [e.data["value"] for e in station.events("observation", limit=2)] == [2, 40]
    assert [e.type for e in station.events(role="dmm")] == ["connected"]
    assert {e.session for e in station.events(session="current")} == {station.session}
    assert station.events(["session_start", "connected"])[0].type == "session_start"
    with pytest.raises(ValueError, match="Unknown station event type 'connect'; expected one of session_start"):
        station.events("connect")


def test_the_log_can_be_read_after_the_session_and_by_another_station_object(station_file, data_dir):
    with bs.connect("bench-a", data_dir=data_dir) as first:
        first.observe("t", 1)
    with bs.connect("bench-a", data_dir=data_dir) as second:
        assert [e.data["value"] for e in second.events("observation")] == [1]
    assert [e.type for e in first.events(session=first.session)][-1] == "session_end"


def test_a_late_subscriber_gets_the_past_events_then_the_new_ones_once_each(station):
    station.instrument("dmm")
    station.observe("t", 1)
    seen = []
    unsubscribe = station.on_event(seen.append, ["observation", "connected"])
    assert [(e.type, e.key) for e in seen] == [("connected", None), ("observation", "t")]
    station.observe("t", 2)
    station.instrument("psu")
    station.events()  # waits for the writer, which pushes before it finishes
    assert [(e.type, e.role, e.data.get("value")) for e in seen[2:]] == [
        ("observation", None, 2), ("connected", "psu", None)]
    assert len({e.id for e in seen}) == len(seen) == 4
    unsubscribe()
    station.observe("t", 3)
    station.events()
    assert len(seen) == 4


def test_on_event_filters_by_role_and_replays_only_this_session_by_default(station_file, data_dir):
    with bs.connect("bench-a", data_dir=data_dir) as old:
        old.instrument("dmm")
    with bs.connect("bench-a", data_dir=data_dir) as station:
        station.instrument("psu")
        station.instrument("dmm")
        now, history = [], []
        station.on_event(now.append, role="dmm")
        station.on_event(history.append, "connected", session=None)
        assert [(e.type, e.session) for e in now] == [("connected", station.session)]
        assert [e.role for e in history] == ["dmm", "psu", "dmm"]


def test_a_subscriber_that_raises_does_not_stop_the_others(station, caplog):
    seen = []
    station.on_event(lambda event: 1 / 0, "observation")
    station.on_event(seen.append, "observation")
    station.observe("t", 1)
    station.events()
    assert [e.data["value"] for e in seen] == [1]
    assert "A station event subscriber" in caplog.text


def test_subscribers_see_events_in_log_order_while_appends_race(tmp_path):
    log = EventLog(tmp_path / "log.sqlite", "s", "one", commit_interval=0.001).open()
    seen = []

    def writer(n):
        for i in range(200):
            log.append("observation", key=f"w{n}", data={"i": i})

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for t in threads[:1]:
        t.start()
    log.subscribe(seen.append)
    for t in threads[1:]:
        t.start()
    for t in threads:
        t.join()
    log.flush()
    log.close()
    ids = [e.id for e in seen]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == 600
    assert [e.data["i"] for e in seen if e.key == "w2"] == list(range(200))


def test_two_logs_on_one_file_keep_their_stations_apart(tmp_path):
    path = tmp_path / "log.sqlite"
    a = EventLog(path, "a", "s1").open()
    b = EventLog(path, "b", "s2").open()
    a.append("observation", key="x", data={"v": 1})
    b.append("observation", key="x", data={"v": 2})
    a.close()
    b.close()
    assert [e.data["v"] for e in read_events(path, "a")] == [1]
    assert [e.station for e in read_events(path, "b")] == ["b"]
    assert read_events(tmp_path / "missing.sqlite", "a") == []


def test_event_types_are_the_documented_ones():
    assert EVENT_TYPES == ("session_start", "session_end", "configuration", "connected",
                           "released", "setting", "observation", "document")


def test_numpy_values_and_odd_objects_are_stored_as_plain_json(station):
    np = pytest.importorskip("numpy")
    ref = station.observe("trace", np.arange(3.0), extra={1, 2}, thing=object())
    data = station.lookup(ref).data
    assert data["value"] == [0.0, 1.0, 2.0] and data["extra"] == [1, 2]
    assert data["thing"].startswith("<object object")
