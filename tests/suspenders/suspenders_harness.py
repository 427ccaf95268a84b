"""Helpers for the suspender tests: a fake RunEngine, and a real one run in a worker thread."""

from __future__ import annotations

import concurrent.futures
import threading
from typing import Any, Callable

from benchplan import RunEngine
from benchplan.callbacks import DocumentCollector

WAIT = 10.0  # seconds: generous upper bounds on waits that normally take milliseconds


class FakeRE:
    """Records ``request_suspend`` calls; has the public attributes a suspender uses."""

    def __init__(self, state: str = "running") -> None:
        self.state = state
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    @property
    def loop(self) -> Any:
        raise AssertionError("these tests give the suspender a ManualClock; RE.loop is not needed")

    def request_suspend(self, fut: Any, *, pre_plan: Any = None, post_plan: Any = None,
                        justification: Any = None) -> None:
        with self.lock:
            self.requests.append(
                {"fut": fut, "pre_plan": pre_plan, "post_plan": post_plan,
                 "justification": justification}
            )

    @property
    def holds(self) -> list[Any]:
        return [r["fut"] for r in self.requests]


class Bench:
    """A real RunEngine whose plans run in a worker thread, so the test can act meanwhile.

    ``states`` lists every state the engine went through; :meth:`wait_for` waits
    until a state has been entered a number of times.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("context_managers", [])
        self.RE = RunEngine(**kwargs)
        self.states: list[str] = []
        self._cond = threading.Condition()
        self.RE.state_hook = self._on_state
        self.docs = DocumentCollector()
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)

    def _on_state(self, new: Any, old: Any) -> None:
        with self._cond:
            self.states.append(str(new))
            self._cond.notify_all()

    def start(self, plan: Any) -> concurrent.futures.Future:
        """Run ``RE(plan, docs)`` in a worker thread; return its future."""
        return self._pool.submit(self.RE, plan, self.docs)

    def resume(self) -> concurrent.futures.Future:
        return self._pool.submit(self.RE.resume)

    def wait_for(self, state: str, times: int = 1) -> None:
        """Wait until the engine has entered ``state`` ``times`` times in all."""
        with self._cond:
            ok = self._cond.wait_for(lambda: self.states.count(state) >= times, WAIT)
        assert ok, f"the RunEngine never entered {state!r} {times} time(s); states: {self.states}"

    def close(self) -> None:
        if self.RE.state == "paused":
            self.RE.halt()
        elif self.RE.state not in ("idle", "panicked"):
            self.RE.halt()
        self._pool.shutdown(wait=True, cancel_futures=True)


def on_nth(command: str, n: int, action: Callable[[], Any]) -> Callable[[Any], None]:
    """A msg_hook calling ``action()`` (on the loop thread) at the n-th ``command`` message."""
    seen = [0]

    def hook(msg: Any) -> None:
        if msg.command == command:
            seen[0] += 1
            if seen[0] == n:
                action()

    return hook


def in_thread(func: Callable[[], Any]) -> None:
    """Run ``func`` in a new thread and wait for it (a signal update from another thread)."""
    thread = threading.Thread(target=func)
    thread.start()
    thread.join(WAIT)
    assert not thread.is_alive()
