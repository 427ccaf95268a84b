"""The RunEngine's control endpoint, driven in-process through the Python client."""

from __future__ import annotations

import json
import os
import socket
import stat
import threading

import pytest

import benchplan
from benchplan import Msg, RunEngine, RunEngineInterrupted
from benchplan.callbacks import DocumentCollector
from benchplan.errors import ControlError


def _sleepy_plan(seconds: float = 10.0):
    yield Msg("open_run")
    yield Msg("checkpoint")
    yield Msg("sleep", None, seconds)
    yield Msg("close_run")


@pytest.fixture
def RE():
    engine = RunEngine(context_managers=[])
    engine([])  # the endpoint starts with the first plan
    yield engine
    if engine.state != "idle":
        engine.halt()


def test_endpoint_socket_is_owner_only_and_listed(RE):
    entries = {e["id"]: e for e in benchplan.engine._endpoint.list_endpoints()}
    entry = entries[RE.control_id]
    mode = stat.S_IMODE(os.stat(entry["socket"]).st_mode)
    assert mode == 0o600
    folder_mode = stat.S_IMODE(os.stat(os.path.dirname(entry["socket"])).st_mode)
    assert folder_mode == 0o700
    assert entry["pid"] == os.getpid() and entry["kind"] == "engine"


def test_status_of_idle_engine(RE):
    status = benchplan.remote(RE.control_id).status()
    assert status["success"] is True
    assert status["state"] == "idle"
    assert status["plan"] is None and status["breakpoint"] is None


def test_remote_immediate_pause_resume_and_abort_with_reason(RE):
    client = benchplan.remote(RE.control_id)
    docs = DocumentCollector()
    started = threading.Event()
    RE.msg_hook = lambda msg: started.set() if msg.command == "sleep" else None
    result: dict = {}

    def run():
        try:
            RE(_sleepy_plan(), docs)
        except RunEngineInterrupted as exc:
            result["interrupted"] = str(exc)

    thread = threading.Thread(target=run)
    thread.start()
    assert started.wait(5)
    status = client.status()
    assert status["state"] == "running" and status["plan"] == "_sleepy_plan"
    assert status["run_uid"] == docs.start["uid"]
    answer = client.re_pause("immediate")
    assert answer == {"success": True, "msg": "immediate pause requested"}
    thread.join(5)
    assert "RE.resume()" in result["interrupted"]
    assert client.wait_for_idle_or_paused(5)["state"] == "paused"
    assert client.re_resume()["success"] is True
    assert client.status()["state"] in ("running", "paused")
    answer = client.re_abort("operator saw smoke")
    assert answer["success"] is True
    assert client.wait_for_idle_or_paused(5)["state"] == "idle"
    assert docs.stop["exit_status"] == "abort"
    assert docs.stop["reason"] == "operator saw smoke"


def test_remote_deferred_pause_is_pending_until_checkpoint(RE):
    client = benchplan.remote(RE.control_id)
    release = threading.Event()
    at_step = threading.Event()

    def plan():
        yield Msg("open_run")
        yield Msg("checkpoint")
        at_step.set()
        yield Msg("wait_for", None, [lambda: _thread_event(release)])
        yield Msg("checkpoint")
        yield Msg("close_run")

    errors: list = []
    thread = threading.Thread(target=lambda: _run_catching(RE, plan(), errors))
    thread.start()
    assert at_step.wait(5)
    assert client.re_pause()["success"] is True
    assert client.status()["pause_pending"] is True
    release.set()
    thread.join(5)
    assert RE.state == "paused"
    assert isinstance(errors[0], RunEngineInterrupted)
    assert client.re_stop()["success"] is True
    assert RE.state == "idle"


def test_refusals_say_why_and_change_nothing(RE):
    client = benchplan.remote(RE.control_id)
    answer = client.re_resume()
    assert answer["success"] is False
    assert "'idle'" in answer["msg"] and "paused" in answer["msg"]
    answer = client.re_pause()
    assert answer["success"] is False and "Cannot pause" in answer["msg"]
    answer = client.re_abort()
    assert answer["success"] is False and "Cannot abort" in answer["msg"]
    answer = client.re_pause(option="sideways")
    assert answer["success"] is False and "sideways" in answer["msg"]
    assert RE.state == "idle"


def test_malformed_and_unknown_requests_are_refused(RE):
    path = benchplan.remote(RE.control_id).socket_path
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(5)
        sock.connect(str(path))
        sock.sendall(b"this is not json\n")
        answer = json.loads(sock.makefile().readline())
        assert answer["success"] is False and "malformed request" in answer["msg"]
        sock.sendall(b'{"op": "explode"}\n')
        answer = json.loads(sock.makefile().readline())
        assert answer["success"] is False and "unknown operation 'explode'" in answer["msg"]
    assert RE.state == "idle"


def test_unknown_id_raises_control_error_naming_it():
    with pytest.raises(ControlError, match="No benchplan control endpoint has id 'no-such-id'"):
        benchplan.remote("no-such-id")


def test_console_refused_without_interactive_breakpoint(RE):
    with pytest.raises(ControlError, match="No interactive breakpoint is active"):
        benchplan.remote(RE.control_id).console(read_line=lambda p: "1")


def test_control_can_be_turned_off(monkeypatch):
    engine = RunEngine(control=False, context_managers=[])
    engine([])
    assert engine.control_id is None
    monkeypatch.setenv("BENCHPLAN_CONTROL", "off")
    engine = RunEngine(context_managers=[])
    engine([])
    assert engine.control_id is None


def _thread_event(event: threading.Event):
    import asyncio

    return asyncio.get_running_loop().run_in_executor(None, event.wait, 10)


def _run_catching(RE, plan, errors):
    try:
        RE(plan)
    except BaseException as exc:  # noqa: BLE001 - the test inspects it
        errors.append(exc)
