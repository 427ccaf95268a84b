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
        self._run: concurrent.futures.Future | None = None

    def _on_state(self, new: Any, old: Any) -> None:
        with self._cond:
            self.states.append(str(new))
            self._cond.notify_all()

    def clear_states(self) -> None:
        with self._cond:
            self.states.clear()

    def start(self, plan: Any) -> concurrent.futures.Future:
        """Run ``RE(plan, docs)`` in a worker thread; return its future."""
        return self._submit(self.RE, plan, self.docs)

    def resume(self) -> concurrent.futures.Future:
        """Run ``RE.resume()`` in a worker thread; return its future."""
        return self._submit(self.RE.resume)

    def _submit(self, func: Callable[..., Any], *args: Any) -> concurrent.futures.Future:
        run = self._pool.submit(func, *args)
        with self._cond:
            self._run = run
        run.add_done_callback(self._on_done)
        return run

    def _on_done(self, run: concurrent.futures.Future) -> None:
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, state: str, times: int = 1) -> None:
        """Wait until the engine has entered ``state`` ``times`` times in all.

        Fails at once if the last ``start``/``resume`` call ends first.
        """

        def reached() -> bool:
            return self.states.count(state) >= times

        def ended() -> bool:
            return self._run is not None and self._run.done()

        with self._cond:
            self._cond.wait_for(lambda: reached() or ended(), WAIT)
            ok = reached()
        if not ok and ended():
            assert self._run is not None
            raise AssertionError(
                f"the plan ended ({self._run.exception()!r}) before the RunEngine entered "
                f"{state!r} {times} time(s); states: {self.states}"
            )
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
