"""Breakpoints and remote control with real processes: a paused script in one process,
the ``benchplan`` command in another."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCHPLAN = [sys.executable, "-m", "benchplan.cli"]


def _cli(*args: str, stdin: str | None = None, timeout: float = 30, env: dict | None = None):
    return subprocess.run(
        [*BENCHPLAN, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


class Child:
    """A script running in a subprocess, with its output read line by line."""

    def __init__(self, tmp_path: Path, source: str, *, run: bool = False, env: dict | None = None,
                 args: tuple = ()) -> None:
        script = tmp_path / "child.py"
        script.write_text(textwrap.dedent(source))
        cmd = [*BENCHPLAN, "run", *args, str(script)] if run else [sys.executable, str(script)]
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.lines: list[str] = []

    def expect(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line.rstrip("\n"))
            if text in line:
                return line
        raise AssertionError(f"child never printed {text!r}; output:\n" + "\n".join(self.lines))

    def finish(self, timeout: float = 30) -> str:
        out, _ = self.proc.communicate(timeout=timeout)
        self.lines.extend(out.splitlines())
        return "\n".join(self.lines)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def child_factory(tmp_path):
    children: list[Child] = []

    def make(source: str, **kwargs) -> Child:
        child = Child(tmp_path, source, **kwargs)
        children.append(child)
        return child

    yield make
    for child in children:
        child.kill()


SCRIPT_PAUSE = """
    import benchplan
    x = 41
    print("READY", flush=True)
    how = benchplan.pause("after warm-up", interactive=True, timeout=60)
    print("RESUMED", how, "x =", x, flush=True)
"""


def _endpoint_id(line: str) -> str:
    return line.split("id:")[1].strip()


def test_script_breakpoint_resumed_by_benchplan_continue(child_factory):
    child = child_factory(SCRIPT_PAUSE)
    child.expect("Breakpoint 'after warm-up'")
    endpoint = _endpoint_id(child.expect("id:"))
    child.expect("benchplan continue")
    ps = _cli("ps")
    assert ps.returncode == 0
    row = next(line for line in ps.stdout.splitlines() if line.startswith(endpoint))
    assert "paused" in row and "after warm-up" in row and "child.py" in row
    done = _cli("continue", endpoint)
    assert done.returncode == 0, done.stderr
    assert "released" in done.stdout
    assert "RESUMED remote x = 41" in child.finish()


def test_console_reads_a_variable_and_changes_do_not_leak(child_factory):
    child = child_factory(SCRIPT_PAUSE)
    endpoint = _endpoint_id(child.expect("id:"))
    console = _cli("console", endpoint, stdin="print(x * 2)\nx = 0\nprint(x)\n")
    assert console.returncode == 0, console.stderr
    assert "82" in console.stdout and "0" in console.stdout
    # Ctrl+D (end of input) detached; the script is still paused
    status = _cli("status", endpoint)
    assert "state: paused" in status.stdout and "breakpoint: after warm-up" in status.stdout
    assert _cli("continue", endpoint).returncode == 0
    assert "RESUMED remote x = 41" in child.finish()


def test_breakpoint_auto_resumes_after_its_timeout(child_factory):
    child = child_factory(
        """
        import benchplan
        print("RESULT", benchplan.pause("short", timeout=0.3), flush=True)
        """
    )
    output = child.finish()
    assert "auto-resume in 0.3 s" in output
    assert "auto-resumed" in output
    assert "RESULT timeout" in output


@pytest.mark.parametrize("value", ["off", "OFF", "0", "false", "No"])
def test_breakpoints_off_switch_makes_pause_a_no_op(child_factory, value):
    child = child_factory(
        """
        import benchplan
        print("RESULT", benchplan.pause("skipped", timeout=0), flush=True)
        """,
        env={"BENCHPLAN_BREAKPOINTS": value},
    )
    output = child.finish()
    assert "RESULT None" in output
    assert "Breakpoint" not in output


def test_breakpoint_without_terminal_or_endpoint_is_a_no_op(child_factory):
    child = child_factory(
        """
        import benchplan
        print("RESULT", benchplan.pause("nowhere", timeout=0), flush=True)
        """,
        env={"BENCHPLAN_CONTROL": "off"},
    )
    assert "RESULT None" in child.finish()


def test_benchplan_run_maps_builtin_breakpoint_and_takes_env_and_timeout(child_factory):
    child = child_factory(
        """
        import os
        print("COLOR", os.environ["COLOR"], flush=True)
        breakpoint()
        print("PAST", flush=True)
        """,
        run=True,
        args=("--env", "COLOR=blue", "--timeout", "0.3"),
    )
    output = child.finish()
    assert "COLOR blue" in output
    assert "Breakpoint 'child.py:4'" in output
    assert "auto-resumed" in output and "PAST" in output


ENGINE_SCRIPT = """
    import json, sys
    from benchplan import RunEngine, RunEngineInterrupted
    from benchplan.plans import count
    from benchplan.devices.sim import det
    from benchplan.callbacks import DocumentCollector

    RE = RunEngine()
    docs = DocumentCollector()
    print("ID", RE.control_id or "", flush=True)
    try:
        RE(count([det], 400, delay=0.05), docs)
    except RunEngineInterrupted:
        print("PAUSED", flush=True)
        sys.stdin = open("/dev/null")
        import time
        while RE.state == "paused":
            time.sleep(0.05)
        while RE.state != "idle":
            time.sleep(0.05)
    print("STOP", json.dumps(docs.stops[0]), flush=True)
    print("SEQ", json.dumps([e["seq_num"] for e in docs.events()]), flush=True)
"""


@pytest.mark.parametrize("option", ["deferred", "immediate"])
def test_pause_resume_and_abort_a_runengine_in_another_process(child_factory, option):
    child = child_factory(ENGINE_SCRIPT)
    child.expect("ID")
    # the endpoint starts with the first plan; find it through ps
    deadline = time.monotonic() + 20
    endpoint = None
    while endpoint is None and time.monotonic() < deadline:
        for line in _cli("ps").stdout.splitlines()[1:]:
            if "child.py" in line and "count" in line:
                endpoint = line.split()[0]
        time.sleep(0.1)
    assert endpoint is not None
    args = ["pause", endpoint] + (["--immediate"] if option == "immediate" else [])
    assert _cli(*args).returncode == 0
    child.expect("PAUSED")
    assert "state: paused" in _cli("status", endpoint).stdout
    assert _cli("continue", endpoint).returncode == 0
    time.sleep(0.3)
    aborted = _cli("abort", endpoint, "--reason", "bench on fire")
    assert aborted.returncode == 0, aborted.stdout + aborted.stderr
    output = child.finish()
    stop = json.loads(next(line for line in output.splitlines() if line.startswith("STOP"))[5:])
    assert stop["exit_status"] == "abort"
    assert stop["reason"] == "bench on fire"
    seq = json.loads(next(line for line in output.splitlines() if line.startswith("SEQ"))[4:])
    assert seq == list(range(1, len(seq) + 1))


def test_dead_process_endpoint_gives_clear_error_and_is_cleaned(tmp_path):
    folder = Path(os.environ["BENCHPLAN_RUNTIME_DIR"]) / "control"
    folder.mkdir(parents=True, exist_ok=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    entry = folder / "999999.json"
    entry.write_text(json.dumps({"id": "999999", "pid": dead.pid, "socket": str(folder / "999999.sock")}))
    (folder / "999999.sock").write_text("")
    result = _cli("continue", "999999")
    assert result.returncode == 1
    assert "999999" in result.stderr and "gone" in result.stderr
    _cli("ps")
    assert not entry.exists()


def test_unknown_id_from_the_command_line():
    result = _cli("status", "nope")
    assert result.returncode == 1
    assert "No benchplan control endpoint has id 'nope'" in result.stderr


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to act as another user")
def test_another_user_is_refused(child_factory):
    child = child_factory(SCRIPT_PAUSE)
    endpoint = _endpoint_id(child.expect("id:"))
    nobody = pwd.getpwnam("nobody")
    probe = textwrap.dedent(
        f"""
        import os, socket, sys
        os.setgid({nobody.pw_gid}); os.setuid({nobody.pw_uid})
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect({str(Path(os.environ['BENCHPLAN_RUNTIME_DIR']) / 'control' / (endpoint + '.sock'))!r})
            s.sendall(b'{{"op": "continue"}}\\n')
            print(s.makefile().readline())
        except PermissionError as exc:
            print("DENIED", exc)
        """
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=30)
    assert "DENIED" in result.stdout or "permission denied" in result.stdout
    status = _cli("status", endpoint)
    assert "state: paused" in status.stdout  # nothing changed
    assert _cli("continue", endpoint).returncode == 0
    child.finish()
