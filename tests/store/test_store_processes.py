"""The store with real processes: killed mid-run, and several writing to one file at once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from benchplan.store import DocumentStore

pytestmark = pytest.mark.slow

PRELUDE = """
import os, sys, time
from pathlib import Path
from benchplan import RunEngine
from benchplan.devices.sim import det
from benchplan.plans import count
from benchplan.store import DocumentStore, PersistentMetadata
path = Path(sys.argv[1])

def wait_for_go():
    go = path.parent / "go"
    print("ready", flush=True)
    deadline = time.monotonic() + 60
    while not go.exists():
        if time.monotonic() > deadline:
            sys.exit("never told to go")
        time.sleep(0.005)
"""


def _spawn(tmp_path: Path, name: str, body: str, store: Path) -> subprocess.Popen:
    script = tmp_path / f"{name}.py"
    script.write_text(PRELUDE + textwrap.dedent(body))
    env = {**os.environ, "BENCHPLAN_STORE": "off", "BENCHPLAN_CONTROL": "off"}
    return subprocess.Popen(
        [sys.executable, str(script), str(store)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def _expect(proc: subprocess.Popen, text: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if line.startswith(text):
            return line
    raise AssertionError(f"the child never printed {text!r}; it printed {seen!r}; "
                         f"stderr: {proc.stderr.read() if proc.poll() is not None else ''}")


def _start_together(tmp_path: Path, procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        _expect(proc, "ready")
    (tmp_path / "go").touch()


def _finish(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        out, err = proc.communicate(timeout=90)
        assert proc.returncode == 0, err
        assert "locked" not in err and "Traceback" not in err, err


def test_a_run_killed_mid_way_is_kept_up_to_its_last_step(tmp_path):
    store = tmp_path / "crash.sqlite"
    child = _spawn(tmp_path, "crash", """
        def shout(name, doc):
            if name == "event":
                print("event", doc["seq_num"], flush=True)
        RE = RunEngine(control=False)
        RE(count([det], 100, delay=0.25), [DocumentStore(path), shout])
    """, store)
    try:
        _expect(child, "event 4")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    with sqlite3.connect(store) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with DocumentStore(store) as reader:
        (run,) = reader.runs()
        assert run.exit_status == "incomplete"
        assert run.plan_name == "count"
        seq = [event["seq_num"] for event in reader.events(run.uid)]
        assert seq == list(range(1, len(seq) + 1))
        assert len(seq) >= 3  # everything up to the kill, but for at most the step in flight
        assert [name for name, _ in reader.documents(run.uid)][:2] == ["start", "descriptor"]


def test_three_processes_write_to_one_store_at_once(tmp_path):
    store = tmp_path / "shared.sqlite"
    body = """
        wait_for_go()
        RE = RunEngine(control=False)
        writer = DocumentStore(path)
        for _ in range(3):
            RE(count([det], 1500), writer, who=os.getpid())
        writer.close()
    """
    procs = [_spawn(tmp_path, f"writer{i}", body, store) for i in range(3)]
    _start_together(tmp_path, procs)
    _finish(procs)
    with DocumentStore(store) as reader:
        runs = reader.runs()
        assert len(runs) == 9
        assert {(r.exit_status, r.num_events) for r in runs} == {("success", 1500)}
        for proc in procs:
            mine = reader.runs(who=proc.pid)
            assert len(mine) == 3
            seq = [e["seq_num"] for e in reader.events(mine[1].uid)]
            assert seq == list(range(1, 1501))


def test_two_processes_take_distinct_scan_ids(tmp_path):
    store = tmp_path / "ids.sqlite"
    body = """
        wait_for_go()
        md = PersistentMetadata(path)
        RE = RunEngine(md=md, scan_id_source=md.next_scan_id, control=False)
        writer = DocumentStore(path)
        for _ in range(20):
            RE(count([det], 2), writer, who=os.getpid())
        writer.close()
    """
    procs = [_spawn(tmp_path, f"ids{i}", body, store) for i in range(2)]
    _start_together(tmp_path, procs)
    _finish(procs)
    with DocumentStore(store) as reader:
        runs = reader.runs()
        assert sorted(r.scan_id for r in runs) == list(range(1, 41))
        assert {r.num_events for r in runs} == {2}
        for proc in procs:  # each process's own ids count up
            ids = [r.scan_id for r in reader.runs(who=proc.pid)]
            assert len(ids) == 20 and ids == sorted(ids)
    from benchplan.store import PersistentMetadata

    assert PersistentMetadata(store)["scan_id"] == 40
