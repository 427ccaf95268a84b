"""Test devices and helpers shared by the RunEngine tests (tests/engine/)."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Optional

import event_model

from benchplan.devices import Status

# -- documents -------------------------------------------------------------------------


def validate_all(docs: Any) -> int:
    """Validate every ``(name, doc)`` against event-model's schema; return how many."""
    count = 0
    for name, doc in docs:
        event_model.schema_validators[event_model.DocumentNames[name]].validate(doc)
        count += 1
    return count


def seq_nums(collector: Any, stream: str = "primary") -> list[int]:
    return [e["seq_num"] for e in collector.events(stream)]


def assert_runs_closed(collector: Any) -> None:
    """Every start has exactly one stop, and every stop a start."""
    starts = [d["uid"] for d in collector.starts]
    stops = [d["run_start"] for d in collector.stops]
    assert sorted(starts) == sorted(stops), (starts, stops)
    assert len(set(stops)) == len(stops)


# -- threads -----------------------------------------------------------------------------


class Background:
    """Run ``func(*args)`` in a thread; keep its result or exception."""

    def __init__(self, func: Callable[..., Any], *args: Any) -> None:
        self.result: Any = None
        self.exception: Optional[BaseException] = None
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(func, args), daemon=True)
        self._thread.start()

    def _run(self, func: Callable[..., Any], args: tuple) -> None:
        try:
            self.result = func(*args)
        except BaseException as exc:  # noqa: BLE001 - kept for the test to look at
            self.exception = exc
        finally:
            self.done.set()

    def join(self, timeout: float = 5.0) -> "Background":
        assert self.done.wait(timeout), "the background call did not finish"
        return self


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0, what: str = "") -> None:
    """Poll ``predicate`` every millisecond until it is true; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.001)


def wait_for_state(RE: Any, state: str, timeout: float = 5.0) -> None:
    wait_until(lambda: RE.state == state, timeout, f"RE.state == {state!r} (is {RE.state!r})")


def reached(RE: Any, command: str) -> threading.Event:
    """Set RE.msg_hook to one that sets the returned event when ``command`` is first seen."""
    event = threading.Event()

    def hook(msg: Any) -> None:
        if msg.command == command:
            event.set()

    RE.msg_hook = hook
    return event


def on_message(command: str, action: Callable[[], Any], *, nth: int = 1, thread: bool = True):
    """A msg_hook that calls ``action`` when the ``nth`` message ``command`` is seen.

    With ``thread=True`` the action runs in a new thread (as a user at another
    prompt would), and the hook returns at once.
    """
    seen = [0]

    def hook(msg: Any) -> None:
        if msg.command != command:
            return
        seen[0] += 1
        if seen[0] != nth:
            return
        if thread:
            threading.Thread(target=action, daemon=True).start()
        else:
            action()

    return hook


# -- devices -----------------------------------------------------------------------------


class Recorder:
    """A readable, settable, triggerable, pausable device that records every call.

    ``value`` is what it reads; each trigger adds one to it. Set ``fail_on``
    to a method name to make that method raise.
    """

    def __init__(self, name: str = "rec", *, pausable: bool = True) -> None:
        self.name = name
        self.parent = None
        self.calls: list[str] = []
        self.value = 0.0
        self.fail_on: set[str] = set()
        self.pause_error: Optional[BaseException] = None
        if not pausable:
            self.pause = None  # type: ignore[assignment]
            self.resume = None  # type: ignore[assignment]

    def _call(self, what: str) -> None:
        self.calls.append(what)
        if what in self.fail_on:
            raise RuntimeError(f"{self.name}.{what}() failed on purpose")

    def read(self) -> dict:
        self._call("read")
        return {self.name: {"value": self.value, "timestamp": time.time()}}

    def describe(self) -> dict:
        return {self.name: {"dtype": "number", "shape": [], "source": f"test:{self.name}"}}

    def trigger(self) -> Status:
        self._call("trigger")
        self.value += 1
        return Status.finished(self)

    def set(self, value: Any) -> Status:
        self._call("set")
        self.value = value
        return Status.finished(self)

    def stop(self, *, success: bool = False) -> None:
        self._call("stop")

    def pause(self) -> None:
        self.calls.append("pause")
        if self.pause_error is not None:
            raise self.pause_error

    def resume(self) -> None:
        self.calls.append("resume")

    def stage(self) -> list:
        self._call("stage")
        return [self]

    def unstage(self) -> list:
        self._call("unstage")
        return [self]

    def count(self, what: str) -> int:
        return self.calls.count(what)


class Counter:
    """A detector reading 1, 2, 3... one more on each trigger (a trigger is a new point)."""

    def __init__(self, name: str = "ctr") -> None:
        self.name = name
        self.parent = None
        self.n = 0
        self.triggers = 0

    def trigger(self) -> Status:
        self.n += 1
        self.triggers += 1
        return Status.finished(self)

    def read(self) -> dict:
        return {self.name: {"value": self.n, "timestamp": time.time()}}

    def describe(self) -> dict:
        return {self.name: {"dtype": "integer", "shape": [], "source": f"test:{self.name}"}}


class PendingMover:
    """A movable whose ``set`` returns a status that finishes only when told (or on stop)."""

    def __init__(self, name: str = "slow") -> None:
        self.name = name
        self.parent = None
        self.statuses: list[Status] = []
        self.stops = 0
        self.position = 0.0

    def set(self, value: Any) -> Status:
        status = Status(self)
        self.statuses.append(status)
        self.position = value
        return status

    def read(self) -> dict:
        return {self.name: {"value": self.position, "timestamp": time.time()}}

    def describe(self) -> dict:
        return {self.name: {"dtype": "number", "shape": [], "source": f"test:{self.name}"}}

    def stop(self, *, success: bool = False) -> None:
        self.stops += 1
        for status in self.statuses:
            if not status.done:
                if success:
                    status.set_finished()
                else:
                    status.set_exception(RuntimeError(f"{self.name} was stopped"))


class FakeSuspender:
    """The smallest suspender: records install and remove."""

    def __init__(self) -> None:
        self.RE: Any = None
        self.installs = 0
        self.removes = 0

    def install(self, RE: Any) -> None:
        self.RE = RE
        self.installs += 1

    def remove(self) -> None:
        self.RE = None
        self.removes += 1


class Flyer:
    """A small flyer: kickoff and complete return finished statuses; collect gives ``n`` events."""

    def __init__(self, name: str = "flyer", n: int = 3) -> None:
        self.name = name
        self.parent = None
        self.n = n
        self.calls: list[str] = []

    def kickoff(self) -> Status:
        self.calls.append("kickoff")
        return Status.finished(self)

    def complete(self) -> Status:
        self.calls.append("complete")
        return Status.finished(self)

    def prepare(self, value: Any) -> Status:
        self.calls.append(f"prepare {value}")
        return Status.finished(self)

    def describe_collect(self) -> dict:
        return {f"{self.name}_stream": {
            f"{self.name}_x": {"dtype": "number", "shape": [], "source": "test:fly"}}}

    def collect(self):
        self.calls.append("collect")
        now = time.time()
        for i in range(self.n):
            yield {"data": {f"{self.name}_x": float(i)},
                   "timestamps": {f"{self.name}_x": now}, "time": now}
