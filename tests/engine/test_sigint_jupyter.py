"""Ctrl+C in a real Jupyter kernel: ``KernelManager.interrupt_kernel()``, as the notebook's
interrupt button does it (SIGINT to the kernel process).

Each test starts its own kernel (the venv's Python, ipykernel), runs
``tests/engine/scripts/sigint_session.py`` in it, and reads the cells' output
from the IOPub channel; ``summary()`` prints a ``SUMMARY {json}`` line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Iterator, Optional

import jupyter_client
import pytest

from _sigint_helpers import (
    DEFERRED_PAUSE_TEXT,
    PAUSE_OPTIONS,
    SESSION_SETUP,
    TIMEOUT,
    assert_summary_one_closed_run,
    child_env,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and terminals"),
]


class Cell:
    """What one executed cell produced."""

    def __init__(self, reply: dict, stdout: str, errors: list[dict], results: list[str]) -> None:
        self.status = reply["content"]["status"]
        self.ename: Optional[str] = reply["content"].get("ename")
        self.evalue: str = reply["content"].get("evalue", "")
        self.stdout = stdout
        self.errors = errors
        self.results = results

    def summary(self) -> dict[str, Any]:
        for line in self.stdout.splitlines():
            if line.startswith("SUMMARY "):
                return json.loads(line[len("SUMMARY "):])
        raise AssertionError(f"the cell printed no SUMMARY line; it printed:\n{self.stdout}")


class Kernel:
    """A kernel and a blocking client; ``run`` executes a cell, optionally interrupting it."""

    def __init__(self, tmp_path: Path) -> None:
        self.km = jupyter_client.KernelManager(
            kernel_name="python3", connection_file=str(tmp_path / "kernel.json")
        )
        self.km.start_kernel(env=child_env(tmp_path), cwd=str(tmp_path))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=TIMEOUT)

    def run(self, code: str, *, interrupt_on: Optional[str] = None, interrupts: int = 1,
            timeout: float = TIMEOUT) -> Cell:
        """Execute ``code``. When the cell prints ``interrupt_on``, interrupt the kernel;
        with ``interrupts=2``, again once it has printed the deferred-pause text."""
        stdout: list[str] = []
        errors: list[dict] = []
        results: list[str] = []
        pending = [interrupt_on, DEFERRED_PAUSE_TEXT][:interrupts] if interrupt_on else []

        def hook(msg: dict) -> None:
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                stdout.append(content["text"])
                if pending and pending[0] in "".join(stdout):
                    pending.pop(0)
                    self.km.interrupt_kernel()
            elif kind == "error":
                errors.append(content)
            elif kind == "execute_result":
                results.append(content["data"].get("text/plain", ""))

        try:
            reply = self.kc.execute_interactive(code, output_hook=hook, timeout=timeout)
        except TimeoutError:
            raise AssertionError(
                f"the cell {code!r} did not finish within {timeout} s; it printed:\n"
                + "".join(stdout)
            ) from None
        return Cell(reply, "".join(stdout), errors, results)

    def close(self) -> None:
        try:
            self.kc.stop_channels()
        finally:
            self.km.shutdown_kernel(now=True)


@pytest.fixture
def kernel(tmp_path: Path) -> Iterator[Kernel]:
    k = Kernel(tmp_path)
    try:
        setup = k.run(f"exec(open({str(SESSION_SETUP)!r}).read()); import sys; print(sys.prefix)")
        assert setup.status == "ok", setup.errors
        assert setup.stdout.strip() == sys.prefix, "the kernel runs another Python than the tests"
        yield k
    finally:
        k.close()


def test_interrupt_pauses_cell_and_resume_in_next_cell_completes(kernel: Kernel) -> None:
    cell = kernel.run("RE(armed_count(30, 0.1))", interrupt_on="SESSION ARMED")

    assert cell.status == "error"
    assert cell.ename == "RunEngineInterrupted", (cell.ename, cell.evalue)
    assert DEFERRED_PAUSE_TEXT in cell.stdout
    for option in PAUSE_OPTIONS:
        assert option in cell.evalue
    state = kernel.run("RE.state")
    assert state.results == ["'paused'"]

    resumed = kernel.run("uids = RE.resume(); print('RESUMED', len(uids))")
    assert resumed.status == "ok", resumed.errors
    assert "RESUMED 1" in resumed.stdout
    done = kernel.run("summary()").summary()
    assert done["state"] == "idle"
    assert_summary_one_closed_run(done, "success")
    assert len(done["streams"]["primary"]["seq_nums"]) == 30
    assert done["streams"]["interruptions"]["data"] == [
        {"interruptions": "pause"}, {"interruptions": "resume"}
    ]


def test_interrupt_twice_pauses_now_and_abort_closes_run_in_kernel(kernel: Kernel) -> None:
    cell = kernel.run("RE(armed_count(3, 60))", interrupt_on="SESSION ARMED", interrupts=2)

    assert cell.ename == "RunEngineInterrupted", (cell.ename, cell.evalue)
    paused = kernel.run("summary()").summary()
    assert paused["state"] == "paused"
    assert paused["last_command"] == "sleep"  # the 60 s sleep was cut short

    aborted = kernel.run("RE.abort()")
    assert aborted.status == "ok", aborted.errors
    done = kernel.run("summary()").summary()
    assert done["state"] == "idle"
    assert_summary_one_closed_run(done, "abort")


def test_top_level_await_run_works_in_kernel(kernel: Kernel) -> None:
    cell = kernel.run("uids = await RE.run(count([det], 5)); print('UIDS', len(uids))")

    assert cell.status == "ok", cell.errors
    assert "UIDS 1" in cell.stdout
    done = kernel.run("summary()").summary()
    assert done["state"] == "idle"
    assert_summary_one_closed_run(done, "success")
    assert done["streams"]["primary"]["seq_nums"] == [1, 2, 3, 4, 5]
    # and the blocking form still works in the same kernel afterwards
    again = kernel.run("docs.clear(); RE(count([det], 2)); summary()").summary()
    assert_summary_one_closed_run(again, "success")


def test_interrupt_during_await_run_pauses_plan(kernel: Kernel) -> None:
    cell = kernel.run(
        "_announce.append(True); uids = await RE.run(count([det], 30, delay=0.1))",
        interrupt_on="SESSION ARMED",
    )

    paused = kernel.run("summary()").summary()
    assert cell.ename == "RunEngineInterrupted", (cell.ename, cell.evalue)
    assert paused["state"] == "paused"
    assert kernel.run("RE.resume()").status == "ok"
    assert_summary_one_closed_run(kernel.run("summary()").summary(), "success")
