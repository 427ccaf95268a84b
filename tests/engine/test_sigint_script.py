"""Ctrl+C in a plain script: a real child process, real SIGINTs sent with ``os.kill``.

The child is ``tests/engine/scripts/sigint_child.py``; it prints marker lines
(``CHILD ARMED n`` once the RunEngine's handler is in) and writes its documents,
states and the outcome of each ``RE(...)``/``RE.resume()`` call to a JSON file.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pexpect
import pytest

from _sigint_helpers import (
    CHILD_SCRIPT,
    DEFERRED_PAUSE_TEXT,
    PAUSE_OPTIONS,
    PYTHON,
    TIMEOUT,
    assert_one_closed_run,
    child_env,
    interruption_values,
    load_result,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and terminals"),
]


class Child:
    """One run of the child script: expect its markers, send it SIGINTs, read its result."""

    def __init__(self, scenario: str, tmp_path: Path) -> None:
        self.result_path = tmp_path / f"{scenario}.json"
        self.proc = pexpect.spawn(
            PYTHON, [str(CHILD_SCRIPT), scenario, str(self.result_path)],
            timeout=TIMEOUT, encoding="utf-8", env=child_env(tmp_path), cwd=str(tmp_path),
            echo=False,
        )
        self.output = ""

    def expect(self, text: str, timeout: float = TIMEOUT) -> None:
        try:
            self.proc.expect_exact(text, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as exc:
            raise AssertionError(
                f"the child did not print {text!r} within {timeout} s ({type(exc).__name__}); "
                f"its output so far, then where its threads are:\n{self.output}"
                f"{self.proc.before}\n{self.stacks()}"
            ) from None
        self.output += str(self.proc.before) + str(self.proc.after)

    def stacks(self) -> str:
        """Ask a stuck child for its threads' stacks (it registers faulthandler on SIGUSR1)."""
        if not self.proc.isalive():
            return "(the child has exited)"
        os.kill(self.proc.pid, signal.SIGUSR1)
        self.proc.expect([pexpect.TIMEOUT, pexpect.EOF], timeout=2)
        return str(self.proc.before)

    def sigint(self) -> None:
        os.kill(self.proc.pid, signal.SIGINT)

    def finish(self) -> dict[str, Any]:
        self.expect("CHILD DONE")
        self.proc.expect(pexpect.EOF, timeout=TIMEOUT)
        self.output += str(self.proc.before)
        self.proc.close()
        assert self.proc.exitstatus == 0, self.output
        return load_result(self.result_path)

    def close(self) -> None:
        self.proc.close(force=True)


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Any]:
    children: list[Child] = []

    def make(scenario: str) -> Child:
        child = Child(scenario, tmp_path)
        children.append(child)
        return child

    yield make
    for child in children:
        child.close()


def _assert_paused_round(round_: dict) -> None:
    assert round_["outcome"] == "interrupted", round_
    assert round_["state"] == "paused"
    assert round_["handler_restored"], "the script's SIGINT handler was not put back"
    for option in PAUSE_OPTIONS:
        assert option in round_["message"]


def test_one_ctrl_c_pauses_at_next_checkpoint_and_resume_finishes(spawn: Any) -> None:
    child = spawn("deferred")
    for n in (1, 2):  # the second round checks each RE.resume() gets a fresh handler
        child.expect(f"CHILD ARMED {n}")
        child.sigint()
        child.expect(DEFERRED_PAUSE_TEXT)
        child.expect(f"CHILD PAUSED {n}")
    result = child.finish()

    rounds = result["rounds"]
    assert [r["outcome"] for r in rounds] == ["interrupted", "interrupted", "returned"]
    for round_ in rounds[:2]:
        _assert_paused_round(round_)
        # a deferred pause waits for the checkpoint: the count's sleep was not cut short
        assert round_["last_command"] == "checkpoint"
    assert "Pausing immediately" not in child.output
    assert result["final_state"] == "idle"
    assert "panicked" not in result["states"]
    assert_one_closed_run(result["docs"], "success", primary=25)
    assert interruption_values(result["docs"]) == ["pause", "resume", "pause", "resume"]
    assert result["handler_restored"]


def test_second_ctrl_c_pauses_during_long_sleep_then_abort_closes_run(spawn: Any) -> None:
    child = spawn("immediate_abort")  # count([det], 3, delay=60)
    child.expect("CHILD ARMED 1")
    child.sigint()
    child.expect(DEFERRED_PAUSE_TEXT)
    child.sigint()
    child.expect("CHILD PAUSED 1")  # within TIMEOUT, well before the 60 s sleep ends
    result = child.finish()

    first, aborted = result["rounds"]
    _assert_paused_round(first)
    # paused in the middle of the 60 s sleep, not at the next checkpoint
    assert first["last_command"] == "sleep"
    assert aborted["call"] == "abort" and aborted["outcome"] == "returned", aborted
    assert result["final_state"] == "idle"
    assert "panicked" not in result["states"]
    assert_one_closed_run(result["docs"], "abort", primary=1)


def test_ctrl_c_delivered_to_loop_thread_is_still_handled(spawn: Any) -> None:
    # POSIX may deliver a process-directed SIGINT to any thread that does not block it;
    # Python runs the handler in the main thread, which must not sleep through it in an
    # untimed wait (the step here is a 60 s sleep).
    child = spawn("loop_thread_sigint")  # count([det], 3, delay=60); SIGINT to the loop thread
    child.expect("CHILD ARMED 1")
    child.expect(DEFERRED_PAUSE_TEXT, timeout=10)
    child.sigint()
    child.expect("CHILD PAUSED 1")
    result = child.finish()

    paused, aborted = result["rounds"]
    _assert_paused_round(paused)
    assert paused["last_command"] == "sleep"
    assert aborted["outcome"] == "returned"
    assert_one_closed_run(result["docs"], "abort", primary=1)


def test_second_ctrl_c_interrupts_a_wait_and_resume_retakes_it_once(spawn: Any) -> None:
    child = spawn("immediate_resume")  # reading, a 60 s 'hold', reading
    child.expect("CHILD ARMED 1")
    child.sigint()
    child.expect(DEFERRED_PAUSE_TEXT)
    child.sigint()
    child.expect("CHILD PAUSED 1")
    result = child.finish()

    paused, resumed = result["rounds"]
    _assert_paused_round(paused)
    assert paused["last_command"] == "hold"
    assert resumed["call"] == "resume" and resumed["outcome"] == "returned", resumed
    assert result["final_state"] == "idle"
    assert_one_closed_run(result["docs"], "success", primary=2)
    assert interruption_values(result["docs"]) == ["pause", "resume"]


@pytest.mark.parametrize("then, exit_status", [("resume", "success"), ("abort", "abort")])
def test_key_mashing_leaves_engine_paused_not_panicked(
    spawn: Any, then: str, exit_status: str
) -> None:
    child = spawn(f"mash_{then}")  # the script has a custom SIGINT handler of its own
    child.expect("CHILD ARMED 1")
    for _ in range(20):
        child.sigint()
        time.sleep(0.01)
    child.expect("CHILD PAUSED 1")
    child.expect("CHILD WAITING")
    child.proc.sendline("go")
    result = child.finish()

    mashed, last = result["rounds"]
    _assert_paused_round(mashed)
    assert result["state_after_mash"] == "paused"
    assert last["call"] == then and last["outcome"] == "returned", last
    assert result["final_state"] == "idle"
    assert "panicked" not in result["states"]
    assert_one_closed_run(result["docs"], exit_status)
    expected = ["pause", "resume"] if then == "resume" else ["pause"]
    assert interruption_values(result["docs"]) == expected
    # SIGINTs after the pause went to the script's own handler, which is back in place
    assert result["handler_restored"]


def test_ctrl_c_outside_a_plan_raises_keyboard_interrupt(spawn: Any) -> None:
    child = spawn("outside")
    child.expect("CHILD IDLE")
    child.sigint()
    result = child.finish()

    assert result["handler_before_is_default"]
    assert result["handler_after_is_default"]
    assert result["outside"] == "KeyboardInterrupt"
    assert_one_closed_run(result["docs"], "success", primary=3)


def test_custom_sigint_handler_is_kept_through_pause_and_resume(spawn: Any) -> None:
    child = spawn("custom")
    child.expect("CHILD ARMED 1")
    child.sigint()
    child.expect(DEFERRED_PAUSE_TEXT)
    child.expect("CHILD PAUSED 1")
    child.expect("CHILD IDLE")
    child.sigint()
    result = child.finish()

    assert result["custom_after_pause"]
    assert result["custom_after_resume"]
    # the RunEngine took the SIGINT during the plan; the script's handler the one after it
    assert result["custom_calls"] == 1
    assert result["custom_calls_while_idle"] == 1
    assert_one_closed_run(result["docs"], "success", primary=25)


def test_script_ending_while_paused_still_closes_its_run(spawn: Any) -> None:
    child = spawn("exit_paused")
    child.expect("CHILD ARMED 1")
    child.sigint()
    child.expect(DEFERRED_PAUSE_TEXT)
    child.expect("RunEngineInterrupted")  # the uncaught exception's traceback
    child.proc.expect(pexpect.EOF, timeout=TIMEOUT)
    output = child.output + str(child.proc.before)
    docs = [json.loads(line) for line in Path(str(child.result_path) + "l").read_text().splitlines()]

    starts = [doc for name, doc in docs if name == "start"]
    stops = [doc for name, doc in docs if name == "stop"]
    assert len(starts) == 1
    assert len(stops) == 1, f"expected the run to be closed at exit; the script printed:\n{output}"
    assert stops[0]["run_start"] == starts[0]["uid"]
    assert stops[0]["exit_status"] in ("abort", "fail")
    assert "Task was destroyed" not in output
    assert "TransitionError" not in output
