"""Each built-in command, with bluesky's semantics, and registering new ones."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from benchplan import Msg, WaitForTimeoutError
from benchplan.devices import Status, soft_signal_rw
from benchplan.devices.sim import SimMotor, det, motor
from benchplan.plans import stubs

from engine_helpers import FakeSuspender, Flyer, PendingMover, Recorder, validate_all


def respond(RE, msgs):
    """Run ``msgs`` and return what the RunEngine answered to each."""
    answers = []

    def plan():
        for msg in msgs:
            answers.append((yield msg))

    RE(plan())
    return answers


class Configurable(Recorder):
    """A Recorder with one configuration value that ``configure`` changes."""

    def __init__(self, name="cfg"):
        super().__init__(name)
        self.gain = 1

    def read_configuration(self):
        return {f"{self.name}_gain": {"value": self.gain, "timestamp": 0.0}}

    def describe_configuration(self):
        return {f"{self.name}_gain": {"dtype": "integer", "shape": [], "source": "test:gain"}}

    def configure(self, gain):
        old = self.read_configuration()
        self.gain = gain
        return old, self.read_configuration()


# -- runs and bundles -------------------------------------------------------------------


def test_open_run_returns_the_uid_and_close_run_returns_it_too(RE, docs):
    uid_open, uid_close = respond(RE, [Msg("open_run", purpose="x"), Msg("close_run")])
    assert uid_open == uid_close == docs.start["uid"]
    assert docs.start["purpose"] == "x"
    assert docs.stop["exit_status"] == "success"


def test_close_run_takes_exit_status_and_reason(RE, docs):
    RE([Msg("open_run"), Msg("close_run", exit_status="fail", reason="sample fell")])
    assert docs.stop["exit_status"] == "fail"
    assert docs.stop["reason"] == "sample fell"


def test_create_read_save_makes_one_event_with_the_readings(RE, docs):
    rec = Recorder("r")
    rec.value = 4.5
    answers = respond(RE, [Msg("open_run"), Msg("create", name="primary"), Msg("read", rec),
                           Msg("save"), Msg("close_run")])
    reading = answers[2]
    assert reading["r"]["value"] == 4.5
    (event,) = docs.events()
    assert event["data"] == {"r": 4.5}
    assert event["seq_num"] == 1
    assert docs.descriptors[0]["name"] == "primary"
    assert docs.descriptors[0]["data_keys"]["r"]["source"] == "test:r"
    assert docs.stop["num_events"] == {"primary": 1}


def test_create_takes_the_stream_name_positionally(RE, docs):
    RE([Msg("open_run"), Msg("create", None, "extra"), Msg("read", det), Msg("save"),
        Msg("close_run")])
    assert docs.descriptors[0]["name"] == "extra"
    assert len(docs.events("extra")) == 1


def test_drop_discards_the_bundle(RE, docs):
    RE([Msg("open_run"), Msg("create"), Msg("read", det), Msg("drop"),
        Msg("create"), Msg("read", det), Msg("save"), Msg("close_run")])
    assert [e["seq_num"] for e in docs.events()] == [1]
    assert docs.stop["num_events"] == {"primary": 1}


def test_read_outside_a_bundle_returns_the_reading_without_an_event(RE, docs):
    (_, reading, _) = respond(RE, [Msg("open_run"), Msg("read", det), Msg("close_run")])
    assert set(reading) == {"det"}
    assert reading["det"]["value"] == det.read()["det"]["value"]
    assert docs.events() == []


def test_read_without_a_run_returns_the_reading(RE):
    (reading,) = respond(RE, [Msg("read", det)])
    assert set(reading) == {"det"}


def test_locate_returns_the_location_and_a_list_for_several(RE):
    m = SimMotor("loc_m")
    m.set(2.0)
    one, both, unsqueezed = respond(RE, [
        Msg("locate", m),
        Msg("locate", m, motor),
        Msg("locate", m, squeeze=False),
    ])
    assert one == {"setpoint": 2.0, "readback": 2.0}
    assert both[0] == one and len(both) == 2
    assert unsqueezed == [one]


def test_set_returns_the_status_and_moves_the_device(RE):
    m = SimMotor("set_m")
    (status, _) = respond(RE, [Msg("set", m, 3.0, group="g"), Msg("wait", None, group="g")])
    assert status.done and status.success
    assert m.position == 3.0


def test_trigger_returns_the_status(RE):
    rec = Recorder()
    (status,) = respond(RE, [Msg("trigger", rec)])
    assert status.done and rec.calls == ["trigger"]


def test_wait_waits_only_for_its_group(RE):
    a, b = PendingMover("a"), PendingMover("b")
    order = []

    def plan():
        st_a = yield Msg("set", a, 1, group="A")
        st_b = yield Msg("set", b, 1, group="B")
        threading.Timer(0.02, st_a.set_finished).start()
        yield Msg("wait", None, group="A")
        order.append((st_a.done, st_b.done))
        st_b.set_finished()
        yield Msg("wait", None, group="B")
        order.append((st_a.done, st_b.done))

    RE(plan())
    assert order == [(True, False), (True, True)]


def test_wait_group_positional_and_unknown_group_returns_at_once(RE):
    m = SimMotor("wg_m", delay=0.01)
    answers = respond(RE, [Msg("set", m, 1, group="G"), Msg("wait", None, "G"),
                           Msg("wait", None, group="nobody")])
    assert answers[1] is True and answers[2] is True
    assert m.position == 1


def test_wait_timeout_raises_wait_for_timeout_error_naming_the_group(RE):
    slow = PendingMover()
    caught = []

    def plan():
        yield Msg("set", slow, 1, group="G")
        try:
            yield Msg("wait", None, group="G", timeout=0.02)
        except WaitForTimeoutError as exc:
            caught.append(str(exc))

    RE(plan())
    assert "'G'" in caught[0] and "0.02" in caught[0] and "1 of 1" in caught[0]


def test_wait_timeout_without_error_returns_false_and_keeps_waiting_later(RE):
    slow = PendingMover()
    results = []

    def plan():
        st = yield Msg("set", slow, 1, group="G")
        results.append((yield Msg("wait", None, group="G", timeout=0.01,
                                  error_on_timeout=False)))
        st.set_finished()
        results.append((yield Msg("wait", None, group="G")))

    RE(plan())
    assert results == [False, True]


def test_wait_watch_is_accepted(RE):
    m = SimMotor("watch_m", delay=0.01)
    answers = respond(RE, [Msg("set", m, 1, group="G"),
                           Msg("wait", None, group="G", watch=("G",))])
    assert answers[1] is True


def test_wait_for_awaits_futures_made_by_callables(RE):
    seen = []

    async def work():
        await asyncio.sleep(0.001)
        seen.append(asyncio.get_running_loop())

    RE([Msg("wait_for", None, [work, work])])
    assert seen == [RE.loop, RE.loop]


def test_wait_for_timeout_raises(RE):
    caught = []

    def plan():
        try:
            yield Msg("wait_for", None, [lambda: asyncio.sleep(5)], timeout=0.01)
        except WaitForTimeoutError as exc:
            caught.append(str(exc))

    RE(plan())
    assert "timed out after 0.01 s" in caught[0]


def test_sleep_sleeps_on_the_loop(RE):
    t0 = time.monotonic()
    RE([Msg("sleep", None, 0.02)])
    assert time.monotonic() - t0 >= 0.02


def test_null_returns_none(RE):
    assert respond(RE, [Msg("null")]) == [None]


def test_checkpoint_and_clear_checkpoint_answer_none(RE):
    assert respond(RE, [Msg("checkpoint"), Msg("clear_checkpoint"), Msg("checkpoint")]) == [
        None, None, None]


def test_rewindable_reports_and_changes_the_setting(RE):
    answers = respond(RE, [Msg("rewindable", None, None), Msg("rewindable", None, False),
                           Msg("rewindable", None, None), Msg("rewindable", None, True)])
    assert answers == [True, False, False, True]


def test_stage_and_unstage_call_the_device(RE):
    rec = Recorder()
    staged, unstaged = respond(RE, [Msg("stage", rec), Msg("unstage", rec)])
    assert staged == [rec] and unstaged == [rec]
    assert rec.calls == ["stage", "unstage"]


def test_stage_of_a_device_without_stage_is_a_no_op(RE):
    answers = respond(RE, [Msg("stage", det), Msg("unstage", det)])
    assert answers == [[], []]


def test_device_left_staged_is_unstaged_when_the_plan_ends(RE):
    rec = Recorder()
    RE([Msg("stage", rec)])
    assert rec.calls == ["stage", "unstage"]


def test_configure_makes_a_new_descriptor_for_later_events(RE, docs):
    cfg = Configurable()
    answers = respond(RE, [
        Msg("open_run"),
        Msg("create"), Msg("read", cfg), Msg("save"),
        Msg("configure", cfg, 5),
        Msg("create"), Msg("read", cfg), Msg("save"),
        Msg("close_run"),
    ])
    old, new = answers[4]
    assert old["cfg_gain"]["value"] == 1 and new["cfg_gain"]["value"] == 5
    first, second = docs.descriptors
    assert first["configuration"]["cfg"]["data"] == {"cfg_gain": 1}
    assert second["configuration"]["cfg"]["data"] == {"cfg_gain": 5}
    events = docs.events()
    assert [e["descriptor"] for e in events] == [first["uid"], second["uid"]]
    validate_all(docs)


def test_subscribe_and_unsubscribe_from_a_plan(RE, docs):
    got = []

    def plan():
        token = yield Msg("subscribe", None, lambda name, doc: got.append(name), "event")
        yield from stubs.open_run()
        yield from stubs.trigger_and_read([det])
        yield Msg("unsubscribe", token=token)
        yield from stubs.trigger_and_read([det])
        yield from stubs.close_run()

    RE(plan())
    assert got == ["event"]
    assert len(docs.events()) == 2


def test_subscription_made_by_a_plan_ends_with_the_plan(RE):
    got = []
    RE(stubs.subscribe("all", lambda name, doc: got.append(name)))
    RE([Msg("open_run"), Msg("close_run")])
    assert got == []


def test_monitor_emits_events_for_values_set_from_another_thread(RE, docs):
    sig = soft_signal_rw(float, 0.0, name="temp")
    seen = threading.Event()

    def waiter(name, doc):
        if name == "event" and doc["data"].get("temp") == 3.0:
            seen.set()

    RE.subscribe(waiter, "event")

    def setter():
        for value in (1.0, 2.0, 3.0):
            sig.put(value)

    def plan():
        yield Msg("open_run")
        yield Msg("monitor", sig, name="temp_monitor")
        worker = threading.Thread(target=setter)
        worker.start()
        yield Msg("wait_for", None, [lambda: asyncio.get_running_loop().run_in_executor(
            None, seen.wait, 5)])
        worker.join()
        yield Msg("unmonitor", sig)
        sig.put(99.0)
        yield Msg("sleep", None, 0.01)
        yield Msg("close_run")

    RE(plan())
    values = docs.data("temp", "temp_monitor")
    assert values == [0.0, 1.0, 2.0, 3.0]
    assert [e["seq_num"] for e in docs.events("temp_monitor")] == [1, 2, 3, 4]
    assert docs.stop["num_events"]["temp_monitor"] == 4
    validate_all(docs)


def test_monitor_default_stream_name(RE, docs):
    sig = soft_signal_rw(float, 1.5, name="volts")
    RE([Msg("open_run"), Msg("monitor", sig), Msg("unmonitor", sig), Msg("close_run")])
    assert docs.descriptors[0]["name"] == "volts_monitor"


def test_monitor_still_active_at_close_run_is_stopped(RE, docs):
    sig = soft_signal_rw(float, 0.0, name="leftover")
    RE([Msg("open_run"), Msg("monitor", sig, name="m"), Msg("close_run")])
    n = len(docs.events("m"))
    sig.put(5.0)
    time.sleep(0.01)
    assert len(docs.events("m")) == n


def test_declare_stream_emits_the_descriptor_before_any_event(RE, docs):
    answers = respond(RE, [Msg("open_run"), Msg("declare_stream", None, det, motor,
                                                   name="primary"),
                           Msg("create"), Msg("read", det), Msg("read", motor), Msg("save"),
                           Msg("close_run")])
    descriptor = answers[1]
    assert docs.names == ["start", "descriptor", "event", "stop"]
    assert descriptor["uid"] == docs.descriptors[0]["uid"]
    assert set(descriptor["data_keys"]) == {"det", "motor", "motor_setpoint"}
    assert docs.events()[0]["descriptor"] == descriptor["uid"]


def test_kickoff_complete_collect_a_flyer(RE, docs):
    flyer = Flyer(n=3)
    answers = respond(RE, [
        Msg("open_run"),
        Msg("kickoff", flyer, group="fly"),
        Msg("wait", None, group="fly"),
        Msg("complete", flyer, group="fly"),
        Msg("wait", None, group="fly"),
        Msg("collect", flyer),
        Msg("close_run"),
    ])
    assert answers[1].done and answers[3].done
    assert flyer.calls == ["kickoff", "complete", "collect"]
    events = docs.events("flyer_stream")
    assert [e["data"]["flyer_x"] for e in events] == [0.0, 1.0, 2.0]
    assert [e["seq_num"] for e in events] == [1, 2, 3]
    assert len(answers[5]) == 3
    validate_all(docs)


def test_prepare_calls_the_device_and_returns_its_status(RE):
    flyer = Flyer()
    (status,) = respond(RE, [Msg("prepare", flyer, 12, group="p")])
    assert status.done and flyer.calls == ["prepare 12"]


def test_input_returns_the_typed_line(RE, monkeypatch):
    prompts = []

    def fake_input(prompt=""):
        prompts.append(prompt)
        return "sample 7"

    monkeypatch.setattr("builtins.input", fake_input)
    (line,) = respond(RE, [Msg("input", prompt="Sample? ")])
    assert line == "sample 7"
    assert prompts == ["Sample? "]


def test_install_and_remove_suspender_commands(RE):
    sus = FakeSuspender()
    installed_during = []

    def plan():
        yield Msg("install_suspender", sus)
        installed_during.append(RE.suspenders)
        yield Msg("remove_suspender", sus)
        installed_during.append(RE.suspenders)

    RE(plan())
    assert installed_during == [(sus,), ()]
    assert sus.installs == 1 and sus.removes == 1


def test_suspender_installed_by_a_plan_is_removed_when_the_plan_ends(RE):
    sus = FakeSuspender()
    RE([Msg("install_suspender", sus)])
    assert RE.suspenders == ()
    assert sus.removes == 1


def test_stop_command_calls_stop_on_the_device(RE):
    rec = Recorder()
    RE([Msg("stop", rec)])
    assert rec.calls == ["stop"]


def test_stop_command_ends_a_move(RE):
    m = SimMotor("stop_m", delay=5)
    results = []

    def plan():
        st = yield Msg("set", m, 10)
        yield Msg("stop", m)
        results.append((st.done, st.success, m.position < 10))

    RE(plan())
    assert results == [(True, False, True)]


# -- several runs at once ------------------------------------------------------------------


def test_simultaneous_runs_through_run_keys(RE, docs):
    rec = Recorder("r")

    def plan():
        uid_a = yield Msg("open_run", run="A", purpose="a")
        uid_b = yield Msg("open_run", run="B", purpose="b")
        for key in ("A", "B", "A"):
            yield Msg("create", name="primary", run=key)
            yield Msg("read", rec, run=key)
            yield Msg("save", run=key)
        yield Msg("close_run", run="A")
        yield Msg("close_run", run="B", exit_status="fail", reason="b failed")
        return uid_a, uid_b

    uids = RE(plan())
    start_a, start_b = docs.starts
    assert uids == (start_a["uid"], start_b["uid"])
    assert (start_a["purpose"], start_b["purpose"]) == ("a", "b")
    assert [e["seq_num"] for e in docs.events(run=start_a["uid"])] == [1, 2]
    assert [e["seq_num"] for e in docs.events(run=start_b["uid"])] == [1]
    stops = {s["run_start"]: s for s in docs.stops}
    assert stops[start_a["uid"]]["exit_status"] == "success"
    assert stops[start_b["uid"]]["exit_status"] == "fail"
    assert stops[start_a["uid"]]["num_events"] == {"primary": 2}
    assert start_a["scan_id"] + 1 == start_b["scan_id"]
    validate_all(docs)


def test_message_to_a_run_key_never_opened_names_the_open_keys(RE):
    caught = []

    def plan():
        yield Msg("open_run", run="A")
        try:
            yield Msg("create", run="B")
        except Exception as exc:
            caught.append(str(exc))
        yield Msg("close_run", run="A")

    RE(plan())
    assert "run key 'B'" in caught[0] and "'A'" in caught[0]


# -- registering commands ---------------------------------------------------------------


def test_register_sync_command(RE):
    RE.register_command("double", lambda msg: msg.args[0] * 2)
    assert "double" in RE.commands
    assert respond(RE, [Msg("double", None, 21)]) == [42]


def test_register_async_command(RE):
    async def later(msg):
        await asyncio.sleep(0)
        return asyncio.get_running_loop()

    RE.register_command("later", later)
    assert respond(RE, [Msg("later")]) == [RE.loop]


def test_unregister_command_removes_it(RE):
    RE.register_command("tmp", lambda msg: None)
    RE.unregister_command("tmp")
    assert "tmp" not in RE.commands
    with pytest.raises(Exception, match="no command 'tmp'"):
        RE([Msg("tmp")])


def test_unregister_unknown_command_says_so(RE):
    with pytest.raises(ValueError, match="Cannot unregister 'nope'"):
        RE.unregister_command("nope")


def test_register_non_callable_is_refused(RE):
    with pytest.raises(TypeError, match="Cannot register command 'x'"):
        RE.register_command("x", 5)


def test_commands_lists_every_builtin_command_sorted(RE):
    builtin = {
        "open_run", "close_run", "create", "save", "drop", "read", "locate", "set", "trigger",
        "wait", "wait_for", "sleep", "null", "checkpoint", "clear_checkpoint", "rewindable",
        "pause", "stage", "unstage", "configure", "subscribe", "unsubscribe", "monitor",
        "unmonitor", "declare_stream", "kickoff", "complete", "collect", "prepare", "input",
        "install_suspender", "remove_suspender", "stop",
    }
    assert builtin <= set(RE.commands)
    assert RE.commands == sorted(RE.commands)


def test_registered_command_can_replace_a_builtin(RE):
    RE.register_command("null", lambda msg: "mine")
    assert respond(RE, [Msg("null")]) == ["mine"]


def test_device_methods_that_are_coroutines_give_statuses(RE):
    class AsyncDevice:
        name = "adev"
        parent = None

        async def set(self, value):
            await asyncio.sleep(0.001)
            self.value = value

    dev = AsyncDevice()
    (status, ok) = respond(RE, [Msg("set", dev, 5, group="g"), Msg("wait", None, group="g")])
    assert status.done and status.success and dev.value == 5 and ok is True


def test_status_objects_finished_later_from_a_thread(RE):
    dev = PendingMover()
    done = []

    def plan():
        st = yield Msg("set", dev, 1, group="g")
        threading.Timer(0.01, st.set_finished).start()
        yield Msg("wait", None, group="g")
        done.append(st.done)

    RE(plan())
    assert done == [True]
    assert isinstance(dev.statuses[0], Status)


def test_seq_num_continues_across_a_new_descriptor_of_the_same_stream(RE, docs):
    cfg = Configurable()
    RE([Msg("open_run"), Msg("create"), Msg("read", cfg), Msg("save"), Msg("configure", cfg, 2),
        Msg("create"), Msg("read", cfg), Msg("save"), Msg("close_run")])
    assert [e["seq_num"] for e in docs.events()] == [1, 2]
    assert docs.stop["num_events"] == {"primary": 2}
