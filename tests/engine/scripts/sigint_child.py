"""A child process for tests/engine/test_sigint_script.py: runs a plan and takes Ctrl+C.

Run as ``python sigint_child.py SCENARIO RESULT.json``. The test sends SIGINT
with ``os.kill``; this script prints marker lines so the test knows when to
send them, and writes what happened (documents, states, exceptions) as JSON to
``RESULT.json`` before it exits.

Markers (each a line of its own on standard output):

``CHILD ARMED <n>``
    Round ``n`` of ``RE(...)``/``RE.resume()`` is running and the RunEngine's
    Ctrl+C handler is installed: a SIGINT now goes to the RunEngine.
``CHILD PAUSED <n>``
    ``RunEngineInterrupted`` came out of round ``n``.
``CHILD IDLE``
    No plan runs; a SIGINT now goes to the handler the script had before.
``CHILD WAITING``
    The script waits for a line on standard input before it goes on.
``CHILD DONE``
    The result file is written.

Scenarios: the functions at the end of this file (``SCENARIOS``), and
``exit_paused``, which writes its documents as JSON lines to ``RESULT.jsonl``
as they come and ends with the plan paused.
"""

from __future__ import annotations

import asyncio
import faulthandler
import json
import signal
import sys
import threading
import time
import traceback
from typing import Any

from benchplan import Msg, RunEngine, RunEngineInterrupted
from benchplan.devices.sim import det
from benchplan.plans import count
from benchplan.plans.stubs import checkpoint, trigger_and_read
from benchplan.plans.preprocessors import run_wrapper


class Child:
    """The RunEngine under test and everything the test wants to know about it."""

    def __init__(self) -> None:
        self.RE = RunEngine(record_interruptions=True)
        self.docs: list = []
        self.states: list[str] = []
        self.commands: list[str] = []
        self.rounds: list[dict] = []
        self.custom_calls = 0
        self.original_handler: Any = signal.getsignal(signal.SIGINT)
        self.round = 0
        self.armed_round = 0
        self.lock = threading.Lock()
        self.RE.subscribe(self._on_doc)
        self.RE.state_hook = lambda new, old: self.states.append(str(new))
        self.RE.msg_hook = self._on_msg
        #: announce ``CHILD ARMED`` at each event, or when a 'sleep' message starts
        self.announce_at = "event"
        #: send SIGINT to the loop thread when the first announcement is made
        self.sigint_loop_thread = False

    # -- markers -----------------------------------------------------------------
    @staticmethod
    def say(text: str) -> None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    def armed(self) -> bool:
        """True when SIGINT goes to a handler other than the script's own."""
        return signal.getsignal(signal.SIGINT) is not self.original_handler

    def announce(self) -> None:
        """Print ``CHILD ARMED n`` once per round, as soon as the handler is in."""
        with self.lock:
            if self.armed_round < self.round and self.armed():
                self.armed_round = self.round
                self.say(f"CHILD ARMED {self.round}")

    def _on_doc(self, name: str, doc: dict) -> None:
        self.docs.append([name, doc])
        if name == "event" and self.announce_at == "event":
            self.announce()

    def _on_msg(self, msg: Msg) -> None:
        self.commands.append(msg.command)
        if msg.command == self.announce_at:
            self.announce()
            if self.sigint_loop_thread and self.armed_round == 1:
                self.sigint_loop_thread = False
                # A process-directed SIGINT may go to any thread that does not block it
                # (macOS picks one; Linux does when the main thread is not ready for it).
                # Here it goes to the RunEngine's loop thread, which runs this hook, half
                # a second into the sleep, when the main thread is long blocked in RE(...).
                asyncio.get_running_loop().call_later(
                    0.5, signal.pthread_kill, threading.get_ident(), signal.SIGINT
                )

    # -- running -----------------------------------------------------------------
    def call(self, func: Any, *args: Any) -> str:
        """Run one round (``RE(plan)``, ``RE.resume()``...); return how it ended."""
        self.round += 1
        n = self.round
        record: dict = {"round": n, "call": getattr(func, "__name__", "RE")}
        self.rounds.append(record)
        started = time.monotonic()
        try:
            record["returned"] = repr(func(*args))
            record["outcome"] = "returned"
        except RunEngineInterrupted as exc:
            record["outcome"] = "interrupted"
            record["message"] = str(exc)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            record["outcome"] = type(exc).__name__
            record["message"] = "".join(traceback.format_exception(exc))
        record["seconds"] = time.monotonic() - started
        record["state"] = str(self.RE.state)
        record["last_command"] = self.commands[-1] if self.commands else None
        record["events"] = sum(1 for name, _ in self.docs if name == "event")
        record["handler_restored"] = signal.getsignal(signal.SIGINT) is self.original_handler
        if record["outcome"] == "interrupted":
            self.say(f"CHILD PAUSED {n}")
        return record["outcome"]

    def until_armed(self) -> Any:
        """A plan prefix: short sleeps until the RunEngine's handler is in.

        It does not announce: the plan after it may start with checkpoints,
        where a deferred pause would fire at once.
        """
        while not self.armed():
            yield Msg("sleep", None, 0.01)

    def armed_count(self, num: int, delay: float) -> Any:
        yield from self.until_armed()
        return (yield from count([det], num, delay=delay))

    def install_custom_handler(self) -> None:
        def custom(signum: int, frame: Any) -> None:
            self.custom_calls += 1

        signal.signal(signal.SIGINT, custom)
        self.original_handler = custom

    def wait_for_line(self) -> str:
        self.say("CHILD WAITING")
        return sys.stdin.readline().strip()

    def finish(self, path: str, **extra: Any) -> None:
        result = {
            "docs": self.docs,
            "states": self.states,
            "rounds": self.rounds,
            "final_state": str(self.RE.state),
            "custom_calls": self.custom_calls,
            "handler_restored": signal.getsignal(signal.SIGINT) is self.original_handler,
            **extra,
        }
        with open(path, "w", encoding="utf-8") as f:
            json.dump(result, f, default=repr)
        self.say("CHILD DONE")


def held_plan(child: Child, released: threading.Event) -> Any:
    """Two readings with a long 'hold' (a wait the test interrupts) between them."""

    async def hold(msg: Msg) -> None:
        deadline = time.monotonic() + 60
        while not released.is_set() and time.monotonic() < deadline:
            child.announce()
            await asyncio.sleep(0.01)

    child.RE.register_command("hold", hold)

    def inner() -> Any:
        yield from checkpoint()
        yield from trigger_and_read([det])
        yield from checkpoint()
        yield Msg("hold")
        yield from trigger_and_read([det])

    return run_wrapper(inner(), md={"plan_name": "held"})


# -- scenarios: each runs its rounds and returns extra facts for the result file ------


def deferred(child: Child) -> dict:
    """Ctrl+C -> deferred pause -> resume, twice; the third round runs to the end."""
    outcome = child.call(child.RE, child.armed_count(25, 0.1))
    while outcome == "interrupted" and child.round < 5:
        outcome = child.call(child.RE.resume)
    return {}


def immediate_abort(child: Child) -> dict:
    """Two Ctrl+C during a 60 s sleep -> immediate pause -> abort."""
    child.announce_at = "sleep"
    if child.call(child.RE, child.armed_count(3, 60)) == "interrupted":
        child.call(child.RE.abort)
    return {}


def loop_thread_sigint(child: Child) -> dict:
    """As immediate_abort, but the first SIGINT is delivered to the loop thread."""
    child.sigint_loop_thread = True
    return immediate_abort(child)


def immediate_resume(child: Child) -> dict:
    """Two Ctrl+C during a 'hold' -> immediate pause -> resume re-takes the hold."""
    child.announce_at = "hold"  # the 'hold' command announces while it waits
    released = threading.Event()
    if child.call(child.RE, held_plan(child, released)) == "interrupted":
        released.set()
        child.call(child.RE.resume)
    return {}


def mash(child: Child, then: str) -> dict:
    """Many Ctrl+C; after the pause, wait for the test's line, then resume or abort."""
    child.install_custom_handler()
    extra: dict = {}
    if child.call(child.RE, child.armed_count(30, 0.1)) == "interrupted":
        child.wait_for_line()
        extra["state_after_mash"] = str(child.RE.state)
        child.call(getattr(child.RE, then))
    return extra


def outside(child: Child) -> dict:
    """A plan, then Ctrl+C at no plan: Python's default KeyboardInterrupt."""
    extra = {"handler_before_is_default": signal.getsignal(signal.SIGINT) is signal.default_int_handler}
    child.call(child.RE, count([det], 3))
    extra["handler_after_is_default"] = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    child.say("CHILD IDLE")
    extra["outside"] = "no signal"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            time.sleep(0.05)
    except KeyboardInterrupt:
        extra["outside"] = "KeyboardInterrupt"
    return extra


def custom(child: Child) -> dict:
    """The script's own SIGINT handler is back after a pause and after the resume."""
    child.install_custom_handler()
    handler = child.original_handler
    extra: dict = {}
    outcome = child.call(child.RE, child.armed_count(25, 0.1))
    extra["custom_after_pause"] = signal.getsignal(signal.SIGINT) is handler
    if outcome == "interrupted":
        child.call(child.RE.resume)
    extra["custom_after_resume"] = signal.getsignal(signal.SIGINT) is handler
    calls_before = child.custom_calls
    child.say("CHILD IDLE")
    deadline = time.monotonic() + 30
    while child.custom_calls == calls_before and time.monotonic() < deadline:
        time.sleep(0.01)
    extra["custom_calls_while_idle"] = child.custom_calls - calls_before
    return extra


def exit_paused(child: Child, path: str) -> None:
    """As a script that does not catch RunEngineInterrupted: it ends with the plan paused.

    The documents go to ``path + 'l'`` as JSON lines as they come.
    """
    lines = open(path + "l", "w", encoding="utf-8")  # noqa: SIM115 - open until the end

    def write(name: str, doc: dict) -> None:
        lines.write(json.dumps([name, doc], default=repr) + "\n")
        lines.flush()

    child.RE.subscribe(write)
    child.round = 1
    child.RE(child.armed_count(40, 0.1))


SCENARIOS = {
    "deferred": deferred,
    "immediate_abort": immediate_abort,
    "loop_thread_sigint": loop_thread_sigint,
    "immediate_resume": immediate_resume,
    "mash_resume": lambda child: mash(child, "resume"),
    "mash_abort": lambda child: mash(child, "abort"),
    "outside": outside,
    "custom": custom,
}


def main(scenario: str, path: str) -> None:
    # the test sends SIGUSR1 to see where a child that does not answer is stuck
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    child = Child()
    if scenario == "exit_paused":
        exit_paused(child, path)
        return
    if scenario not in SCENARIOS:
        raise SystemExit(f"unknown scenario {scenario!r}; known: exit_paused, {', '.join(SCENARIOS)}")
    child.finish(path, **SCENARIOS[scenario](child))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
