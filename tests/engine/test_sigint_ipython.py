"""Ctrl+C in a real IPython terminal session, driven through a pseudo-terminal.

Ctrl+C is the terminal's interrupt character (``sendintr``), so the SIGINT
comes from the terminal driver as it does for a user at the keyboard. The
session runs ``tests/engine/scripts/sigint_session.py`` first; its
``summary()`` prints one ``SUMMARY {json}`` line that the tests parse.
"""

from __future__ import annotations

import json
import sys
import re
from pathlib import Path
from typing import Any, Iterator

import pexpect
import pytest

from _sigint_helpers import (
    DEFERRED_PAUSE_TEXT,
    PAUSE_OPTIONS,
    PYTHON,
    SESSION_SETUP,
    TIMEOUT,
    assert_summary_one_closed_run,
    child_env,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and terminals"),
]

PROMPT = re.compile(r"In \[\d+\]: ")
SUMMARY = re.compile(r"SUMMARY (\{.*\})\r?\n")


class Session:
    """An IPython terminal session: type lines, press Ctrl+C, read what it prints."""

    def __init__(self, tmp_path: Path) -> None:
        self.term = pexpect.spawn(
            PYTHON,
            ["-m", "IPython", "--simple-prompt", "--no-banner", "--colors=NoColor",
             "--no-confirm-exit", "--no-autoindent", "--HistoryManager.enabled=False"],
            timeout=TIMEOUT, encoding="utf-8", env=child_env(tmp_path), cwd=str(tmp_path),
            dimensions=(50, 250),
        )
        self.transcript = ""
        self.expect(PROMPT)

    def expect(self, pattern: Any, timeout: float = TIMEOUT) -> str:
        """Wait for ``pattern`` (a regex or an exact string); return the text before it."""
        try:
            if isinstance(pattern, str):
                self.term.expect_exact(pattern, timeout=timeout)
            else:
                self.term.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as exc:
            raise AssertionError(
                f"IPython did not print {pattern!r} within {timeout} s ({type(exc).__name__}); "
                f"the session so far:\n{self.transcript}{self.term.before}"
            ) from None
        before = str(self.term.before)
        self.transcript += before + str(self.term.after)
        return before

    def run(self, line: str) -> str:
        """Type ``line``, wait for the next prompt; return what was printed in between."""
        self.term.sendline(line)
        return self.expect(PROMPT)

    def summary(self) -> dict[str, Any]:
        self.term.sendline("summary()")
        self.expect(SUMMARY)
        result = json.loads(self.term.match.group(1))
        self.expect(PROMPT)
        return result

    def ctrl_c(self) -> None:
        self.term.sendintr()

    def close(self) -> None:
        if self.term.isalive():
            self.term.sendline("exit")
            try:
                self.term.expect(pexpect.EOF, timeout=10)
            except (pexpect.TIMEOUT, pexpect.EOF):
                pass
        self.term.close(force=True)


@pytest.fixture
def ipython(tmp_path: Path) -> Iterator[Session]:
    session = Session(tmp_path)
    try:
        session.run(f"exec(open({str(SESSION_SETUP)!r}).read())")
        yield session
    finally:
        session.close()


def test_ctrl_c_pauses_at_checkpoint_and_resume_completes_in_ipython(ipython: Session) -> None:
    ipython.term.sendline("RE(armed_count(30, 0.1))")
    ipython.expect("SESSION ARMED")
    ipython.ctrl_c()
    ipython.expect(DEFERRED_PAUSE_TEXT)
    printed = ipython.expect(PROMPT)

    assert "RunEngineInterrupted" in printed
    for option in PAUSE_OPTIONS:
        assert option in printed
    assert "KeyboardInterrupt" not in printed
    paused = ipython.summary()
    assert paused["state"] == "paused"
    assert paused["last_command"] == "checkpoint"

    ipython.run("RE.resume()")
    done = ipython.summary()
    assert done["state"] == "idle"
    assert_summary_one_closed_run(done, "success")
    assert len(done["streams"]["primary"]["seq_nums"]) == 30
    assert done["streams"]["interruptions"]["data"] == [
        {"interruptions": "pause"}, {"interruptions": "resume"}
    ]
    # outside RE(...) the prompt's own Ctrl+C handling is back
    assert done["handler_is_default"]


def test_ctrl_c_twice_pauses_now_and_abort_closes_run_in_ipython(ipython: Session) -> None:
    ipython.term.sendline("RE(armed_count(3, 60))")  # one reading, then a 60 s sleep
    ipython.expect("SESSION ARMED")
    ipython.ctrl_c()
    ipython.expect(DEFERRED_PAUSE_TEXT)
    ipython.ctrl_c()
    printed = ipython.expect(PROMPT)

    assert "RunEngineInterrupted" in printed
    assert "KeyboardInterrupt" not in printed
    paused = ipython.summary()
    assert paused["state"] == "paused"
    assert paused["last_command"] == "sleep"  # cut short, not at the next checkpoint

    ipython.run("RE.abort()")
    done = ipython.summary()
    assert done["state"] == "idle"
    assert_summary_one_closed_run(done, "abort")
    assert done["streams"]["primary"]["seq_nums"] == [1]


def test_ctrl_c_at_idle_prompt_is_ipython_own_keyboard_interrupt(ipython: Session) -> None:
    ipython.run("RE(armed_count(2, 0))")
    ipython.term.sendline("import time; print('SLEEP' + 'ING'); time.sleep(30)")
    ipython.expect("SLEEPING")  # printed by the line, not its echo: it is running
    ipython.ctrl_c()
    printed = ipython.expect(PROMPT)

    assert "KeyboardInterrupt" in printed
    assert DEFERRED_PAUSE_TEXT not in printed
    done = ipython.summary()
    assert done["state"] == "idle"
    assert_summary_one_closed_run(done, "success")
