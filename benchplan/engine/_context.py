"""What one ``RE(...)`` call has done that the engine must track, finish or undo."""

from __future__ import annotations

import threading
from typing import Any, Optional

from ..errors import IllegalMessageSequence
from ._bundler import RunBundler
from ._requests import Requests
from ._rewind import RewindCache
from ._status_wait import status_exception, status_succeeded

__all__ = ["PlanContext"]


class PlanContext:
    """The state of the plan being run.

    It is made at the start of ``RE(...)`` and dropped when the plan ends, so
    nothing leaks from one plan into the next.
    """

    def __init__(
        self,
        plan_name: str,
        call_md: dict[str, Any],
        requests: Requests,
        plan_md: Optional[dict[str, Any]] = None,
    ) -> None:
        self.plan_name = plan_name
        #: defaults for the start document from the plan object (plan_type, plan_name)
        self.plan_md = plan_md or {}
        self._requests = requests
        self.call_md = call_md
        self.runs: dict[Any, RunBundler] = {}
        self.run_uids: list[str] = []
        self.groups: dict[Any, list[Any]] = {}
        self.staged: dict[int, Any] = {}
        self.moved: dict[int, Any] = {}
        self.seen: dict[int, Any] = {}
        self.sub_tokens: list[int] = []
        self.suspenders: list[Any] = []
        self.cache = RewindCache()
        self.deferred_pause = False
        # statuses that failed while nobody waited on them: thrown into the plan
        self.failed: list[tuple[Any, Optional[BaseException]]] = []
        self.failed_lock = threading.Lock()
        self.generation = 0

    # -- runs ----------------------------------------------------------------------
    def run(self, key: Any, command: str) -> RunBundler:
        """The open run with ``key``, or IllegalMessageSequence naming ``command``."""
        try:
            return self.runs[key]
        except KeyError:
            which = "" if key is None else f" with run key {key!r}"
            open_keys = ", ".join(repr(k) for k in self.runs) or "none"
            raise IllegalMessageSequence(
                f"Cannot {command!r}: no run{which} is open (open run keys: {open_keys}). "
                f"Yield Msg('open_run'{'' if key is None else f', run={key!r}'}) first."
            ) from None

    def open_bundles(self) -> list[RunBundler]:
        return [r for r in self.runs.values() if r.bundle_open]

    # -- objects -------------------------------------------------------------------
    def see(self, obj: Any) -> None:
        self.seen.setdefault(id(obj), obj)

    def move(self, obj: Any) -> None:
        self.moved.setdefault(id(obj), obj)
        self.seen.setdefault(id(obj), obj)

    # -- statuses ------------------------------------------------------------------
    def track(self, status: Any, group: Any) -> None:
        """Remember ``status`` under ``group``; a failure nobody waits for is recorded."""
        statuses = self.groups.get(group)
        if statuses is None:
            self.groups[group] = [status]
        else:
            statuses.append(status)
        if getattr(status, "done", False) is True:  # finished already: no callback needed
            if not status_succeeded(status):
                self._record_failure(status)
            return
        generation = self.generation

        def on_done(st: Any, generation: int = generation) -> None:
            if generation != self.generation or status_succeeded(st):
                return
            self._record_failure(st)

        status.add_callback(on_done)

    def _record_failure(self, status: Any) -> None:
        with self.failed_lock:
            self.failed.append((status, status_exception(status)))
        requests = self._requests
        with requests.lock:
            requests.status_failed = True
            requests.attn = True

    def pardon_statuses(self, *, keep_groups: bool = False) -> None:
        """Forget the failures of every status so far (a pause stops devices, so they are
        expected) and, unless ``keep_groups``, the statuses themselves (the step is re-taken)."""
        self.generation += 1
        if not keep_groups:
            self.groups.clear()
        with self.failed_lock:
            self.failed = [f for f in self.failed if f[0] is None]

    def fail_later(self, exc: BaseException) -> None:
        """Throw ``exc`` into the plan at its next message (an error raised on the loop)."""
        with self.failed_lock:
            self.failed.append((None, exc))
        requests = self._requests
        with requests.lock:
            requests.status_failed = True
            requests.attn = True

    def take_failures(
        self, statuses: Optional[list[Any]] = None
    ) -> list[tuple[Any, Optional[BaseException]]]:
        """Remove and return recorded failures (of ``statuses`` only, if given)."""
        with self.failed_lock:
            if statuses is None:
                taken, self.failed = self.failed, []
                self._requests.status_failed = False
                return taken
            ids = {id(s) for s in statuses}
            taken = [f for f in self.failed if id(f[0]) in ids]
            self.failed = [f for f in self.failed if id(f[0]) not in ids]
            if not self.failed:
                self._requests.status_failed = False
            return taken
