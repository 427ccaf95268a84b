"""The RunEngine: the public face over the kernel's collaborators."""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import logging
import sys
import threading
import time
import weakref
from collections.abc import MutableMapping
from typing import Any, Callable, Optional

from ..errors import RunEngineInterrupted, TransitionError
from ._commands_control import ControlCommands
from ._commands_device import DeviceCommands
from ._commands_run import RunCommands
from ._commands_wait import WaitCommands
from ._context import PlanContext
from ._control import EngineControl
from ._driver import PlanDriver
from ._during import default_during_task
from ._execution import execute
from ._kernel import Kernel
from ._plan_input import (
    default_md_validator,
    default_scan_id_source,
    ensure_generator,
    plan_name,
)
from ._requests import EndRequest
from ._result import Outcome, RunEngineResult
from ._sigint import SigintHandler
from ._state import State
from ._suspension import Suspensions

__all__ = ["RunEngine", "PAUSE_MESSAGE"]

logger = logging.getLogger("benchplan.engine")

PAUSE_MESSAGE = """The RunEngine is paused. What next?

    RE.resume()    Resume: re-take the interrupted step from its last checkpoint.
    RE.abort()     Run the plan's cleanup, then end it (exit_status='abort').
    RE.stop()      Run the plan's cleanup, then end it (exit_status='success').
    RE.halt()      Emergency stop: skip the plan's cleanup (exit_status='abort')."""


def _end_at_exit(ref: "weakref.ref[RunEngine]") -> None:
    """At interpreter exit, end a plan left paused or running, so its runs are closed."""
    engine = ref()
    if engine is None or engine.state in (State.IDLE, State.PANICKED):
        return
    try:
        # from 'paused' abort() returns once the plan has ended; while running it only
        # asks, so wait (up to 5 s) for the plan's cleanup and stop documents
        engine.abort("the Python interpreter is exiting")
        deadline = time.monotonic() + 5.0
        # engine.state is a property the loop thread changes between reads
        while engine.state is not State.IDLE and time.monotonic() < deadline:  # type: ignore[comparison-overlap]
            time.sleep(0.05)
    except Exception:
        logger.exception("Could not end the plan at exit")


def _shut_down(loop_thread: Any, control: Any) -> None:
    control.close()
    loop_thread.stop(control.stop_server)


class RunEngine:
    """Executes plans: generators of :class:`~benchplan.Msg` messages.

    Parameters
    ----------
    md : mapping, optional
        Metadata for every run. Any mutable mapping. By default, while the default
        document store is on, a :class:`benchplan.store.PersistentMetadata` kept in
        the store's file, so ``scan_id`` keeps counting across sessions and processes;
        otherwise a plain dict.
    loop : asyncio.AbstractEventLoop, optional
        A loop that is not running; the RunEngine runs it in a thread of its own.
    preprocessors : list of callables, optional
        Functions ``plan -> plan`` applied to each plan.
    context_managers : list of classes, optional
        Context managers, each made as ``cls(RE)``, entered around every blocking
        call. Default: the Ctrl+C handler.
    md_validator : callable, optional
        Called with the run's metadata; raises to refuse it.
    md_normalizer : callable, optional
        Called with the metadata of each ``RE(...)`` call; returns it normalized.
    scan_id_source : callable, optional
        ``f(md) -> int`` (or a coroutine function); default counts up from ``md['scan_id']``.
    max_depth : int, optional
        Refuse ``RE(...)`` called from deeper than this many stack frames.
    call_returns_result : bool
        Return a :class:`RunEngineResult` instead of the tuple of run uids.
    record_interruptions : bool
        Add the ``interruptions`` stream (pauses, suspensions, resumes) to each run.
    verbose : bool
        Log every message at INFO level.
    during_task : callable, optional
        ``during_task(done)`` runs on the thread blocked in ``RE(...)`` and must return
        once the ``threading.Event`` ``done`` is set; by default it waits, running the
        hooks registered with :func:`benchplan.engine.add_main_thread_hook` (GUI drawing).
    store : DocumentStore, None or 'default'
        Where every document is kept. 'default' subscribes the process-wide
        :func:`benchplan.store.default_store` (off when ``BENCHPLAN_STORE=off``);
        None keeps nothing.
    control : bool
        Serve a control endpoint (a Unix-domain socket readable only by this
        user) from the first plan on, so ``benchplan ps/pause/continue/abort``
        work from other terminals. ``BENCHPLAN_CONTROL=off`` turns it off too.

    Examples
    --------
    >>> from benchplan import RunEngine, Msg
    >>> RE = RunEngine()
    >>> uids = RE([Msg('open_run'), Msg('close_run')])
    >>> len(uids)
    1
    """

    def __init__(
        self,
        md: Optional[MutableMapping[str, Any]] = None,
        *,
        loop: Optional[asyncio.AbstractEventLoop] = None,
        preprocessors: Optional[list[Callable[[Any], Any]]] = None,
        context_managers: Optional[list[Any]] = None,
        md_validator: Optional[Callable[[MutableMapping[str, Any]], Any]] = None,
        md_normalizer: Optional[
            Callable[[MutableMapping[str, Any]], MutableMapping[str, Any]]
        ] = None,
        scan_id_source: Optional[Callable[[MutableMapping[str, Any]], Any]] = None,
        max_depth: Optional[int] = None,
        call_returns_result: bool = False,
        record_interruptions: bool = False,
        verbose: bool = False,
        during_task: Optional[Callable[[threading.Event], Any]] = None,
        store: Any = "default",
        control: bool = True,
    ) -> None:
        if isinstance(store, str) and store == "default":
            from ..store import default_store

            store = default_store()
        #: the document store subscribed to this RunEngine, or None
        self.store = store
        if md is None:
            md = {}
            if store is not None and getattr(store, "path", None) is not None:
                from ..store import PersistentMetadata

                md = PersistentMetadata(store.path)
        self.md: MutableMapping[str, Any] = md
        self.preprocessors: list[Callable[[Any], Any]] = list(preprocessors or [])
        self.context_managers: list[Any] = (
            [SigintHandler] if context_managers is None else list(context_managers)
        )
        self.md_validator = md_validator or default_md_validator
        self.md_normalizer = md_normalizer
        self.scan_id_source = scan_id_source or default_scan_id_source
        self.max_depth = max_depth
        self.call_returns_result = call_returns_result
        self.record_interruptions = record_interruptions
        self.state_hook: Optional[Callable[[State, State], Any]] = None
        self.waiting_hook: Optional[Callable[[Any], Any]] = None
        self.during_task = during_task or default_during_task
        self._k = Kernel(self, loop)
        self._suspensions = Suspensions(self._k)
        for group in (RunCommands, DeviceCommands, WaitCommands, ControlCommands):
            group(self._k).register()
        self._suspensions.register()
        self._control = EngineControl(self._k, control)
        self._control.register()
        self._finalizer = weakref.finalize(self, _shut_down, self._k.loop_thread, self._control)
        atexit.register(_end_at_exit, weakref.ref(self))
        self._verbose = False
        self._user_msg_hook: Optional[Callable[[Any], Any]] = None
        self.verbose = verbose
        if store is not None:
            self.subscribe(store)

    # -- properties ---------------------------------------------------------------
    @property
    def state(self) -> State:
        """The current state (read-only); compares equal to its name, e.g. ``'idle'``."""
        return self._k.state.state

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The running asyncio loop plans run on (started on first use)."""
        return self._k.loop

    @property
    def msg_hook(self) -> Optional[Callable[[Any], Any]]:
        """Called with every message before it is handled (for debugging)."""
        return self._user_msg_hook

    @msg_hook.setter
    def msg_hook(self, hook: Optional[Callable[[Any], Any]]) -> None:
        self._user_msg_hook = hook
        self._update_msg_hook()

    @property
    def verbose(self) -> bool:
        """Log every message at INFO level on the ``benchplan.engine`` logger."""
        return self._verbose

    @verbose.setter
    def verbose(self, value: bool) -> None:
        self._verbose = bool(value)
        self._update_msg_hook()

    def _update_msg_hook(self) -> None:
        user = self._user_msg_hook
        if not self._verbose:
            self._k.msg_hook = user
            return

        def hook(msg: Any) -> None:
            logger.info("%r", msg)
            if user is not None:
                user(msg)

        self._k.msg_hook = hook

    @property
    def ignore_callback_exceptions(self) -> bool:
        """If true, a failing callback is logged and the run goes on; else the run fails."""
        return self._k.dispatcher.ignore_exceptions

    @ignore_callback_exceptions.setter
    def ignore_callback_exceptions(self, value: bool) -> None:
        self._k.dispatcher.ignore_exceptions = bool(value)

    @property
    def commands(self) -> list[str]:
        """The names of the registered commands."""
        return sorted(self._k.commands)

    @property
    def suspenders(self) -> tuple[Any, ...]:
        """The installed suspenders."""
        return tuple(self._suspensions.installed)

    @property
    def control_id(self) -> Optional[str]:
        """The id of this RunEngine's control endpoint (None until the first plan, or if off)."""
        return self._control.id

    def serve_control(self) -> Optional[str]:
        """Start the control endpoint now (it otherwise starts with the first plan);
        return its id, or None when control is off."""
        self._control.ensure_started()
        return self._control.id

    def add_control_operation(self, name: str, handler: Callable[..., Any]) -> None:
        """Serve a new operation on this RunEngine's control endpoint.

        ``handler(request, reader, writer)`` is a coroutine function run on ``RE.loop``;
        it gets the request dict and returns the answer dict (``{'success': bool,
        'msg': str, ...}``), or None after taking the connection over.
        """
        self._control.add_operation(name, handler)

    def status(self) -> dict[str, Any]:
        """State, pending pause, plan, run uid and breakpoint, as the control endpoint reports."""
        return self._control.status()

    @property
    def deferred_pause_requested(self) -> bool:
        ctx = self._k.ctx
        return bool(ctx is not None and ctx.deferred_pause)

    # -- subscriptions and commands --------------------------------------------------
    def subscribe(self, func: Callable[[str, dict[str, Any]], Any], name: str = "all") -> int:
        """Send documents named ``name`` (or all) to ``func(name, doc)``; return a token."""
        return self._k.dispatcher.subscribe(func, name)

    def unsubscribe(self, token: int) -> None:
        """Stop the subscription made under ``token``."""
        self._k.dispatcher.unsubscribe(token)

    def register_command(self, name: str, func: Callable[[Any], Any]) -> None:
        """Handle messages whose command is ``name`` with ``func(msg)`` (sync or async)."""
        if not callable(func):
            raise TypeError(f"Cannot register command {name!r}: {func!r} is not callable.")
        self._k.register(name, func)

    def unregister_command(self, name: str) -> None:
        """Remove the handler of command ``name``."""
        if name not in self._k.commands:
            raise ValueError(f"Cannot unregister {name!r}: no such command is registered.")
        del self._k.commands[name]

    # -- suspenders ------------------------------------------------------------------
    def install_suspender(self, suspender: Any) -> None:
        """Install a suspender (an object with ``install(RE)`` and ``remove()``)."""
        self._suspensions.install(suspender)

    def remove_suspender(self, suspender: Any) -> None:
        """Remove an installed suspender; a suspension it holds is released."""
        self._suspensions.remove(suspender)

    def clear_suspenders(self) -> None:
        """Remove every installed suspender."""
        self._suspensions.clear()

    def request_suspend(
        self,
        fut: Any,
        *,
        pre_plan: Any = None,
        post_plan: Any = None,
        justification: Optional[str] = None,
    ) -> None:
        """Suspend the running plan until ``fut`` is done; safe from any thread.

        ``fut`` is an asyncio future of ``RE.loop``, a ``concurrent.futures.Future``,
        an awaitable, or a callable returning one. The plan rewinds to its last
        checkpoint, runs ``pre_plan``, waits, runs ``post_plan`` and replays.
        A request made while no plan runs applies to the next plan, unless
        ``fut`` is done by then.
        """
        self._suspensions.request(
            fut, pre_plan=pre_plan, post_plan=post_plan, justification=justification
        )

    # -- running plans ---------------------------------------------------------------
    def __call__(self, plan: Any, subs: Any = None, /, **metadata: Any) -> Any:
        """Run ``plan``, blocking until it ends or pauses.

        Returns the tuple of run uids (or a :class:`RunEngineResult`). Raises
        :class:`~benchplan.RunEngineInterrupted` when the plan pauses, and the
        plan's exception when it fails.
        """
        self._check_depth()
        self._refuse_loop_thread("RE(...)")
        segment = self._start(plan, subs, metadata)
        return self._block(segment)

    async def run(self, plan: Any, subs: Any = None, /, **metadata: Any) -> Any:
        """Run ``plan`` from inside a running asyncio loop: ``await RE.run(plan)``."""
        segment = self._start(plan, subs, metadata)
        with contextlib.ExitStack() as stack:
            for manager in self.context_managers:
                stack.enter_context(manager(self))
            outcome = await asyncio.wrap_future(segment)
        return self._conclude(outcome, raise_interrupted=True)

    def _check_depth(self) -> None:
        if self.max_depth is None:
            return
        depth = 0
        frame = sys._getframe(1)
        while frame is not None:
            depth += 1
            frame = frame.f_back  # type: ignore[assignment]
        if depth > self.max_depth:
            raise RuntimeError(
                f"RE(...) was called {depth} frames deep, more than max_depth={self.max_depth}. "
                "Call the RunEngine at the top level (the prompt or a script), or raise max_depth."
            )

    def _start(
        self, plan: Any, subs: Any, metadata: dict[str, Any]
    ) -> concurrent.futures.Future[Outcome]:
        k = self._k
        loop = k.loop  # raises, before anything changes, if the RunEngine was closed
        self._control.ensure_started()
        with k.state.lock:
            state = k.state.state
            if state is not State.IDLE:
                raise TransitionError(self._busy_message(state))
            if self.md_normalizer is not None:
                metadata = dict(self.md_normalizer(metadata))
            self.md_validator({**self.md, **metadata})
            name = plan_name(plan)
            plan_md = {"plan_type": type(plan).__name__}
            if getattr(plan, "__name__", None):
                plan_md["plan_name"] = plan.__name__
            gen = ensure_generator(plan)
            for preprocessor in self.preprocessors:
                gen = ensure_generator(preprocessor(gen))
            tokens = k.dispatcher.subscribe_many(subs)
            k.requests.reset()
            k.ctx = PlanContext(name, metadata, k.requests, plan_md)
            k.driver = PlanDriver(k, name)
            segment: concurrent.futures.Future[Outcome] = concurrent.futures.Future()
            k.segment = segment
            k.state.change(State.RUNNING)
        driver = k.driver

        def start() -> None:
            k.task = loop.create_task(execute(k, driver, gen, tokens))

        loop.call_soon_threadsafe(start)
        return segment

    @staticmethod
    def _busy_message(state: State) -> str:
        if state is State.PAUSED:
            return (
                "Cannot start a plan: the RunEngine is 'paused'; resume(), abort(), stop() or "
                "halt() it first."
            )
        if state is State.PANICKED:
            return "Cannot start a plan: the RunEngine is 'panicked'; halt() it to reset it first."
        return (
            f"Cannot start a plan: the RunEngine is {state.value!r} with another plan; wait for "
            "it to end, or abort(), stop() or halt() it."
        )

    def _segment_done(self) -> None:
        """Called on the loop when the plan pauses: wake the blocked caller."""
        segment = self._k.segment
        outcome = Outcome(paused=True)
        ctx = self._k.ctx
        if ctx is not None:
            outcome.run_uids = tuple(ctx.run_uids)
        if segment is not None and not segment.done():
            segment.set_result(outcome)

    def _refuse_loop_thread(self, what: str) -> None:
        if self._k.loop_thread.in_loop_thread():
            raise RuntimeError(
                f"Cannot call {what} from the RunEngine's own loop thread (a callback, a "
                "handler or a suspender): it would wait for itself. Do it from another thread, "
                "or use the non-blocking requests (request_pause, request_suspend)."
            )

    def _block(
        self, segment: concurrent.futures.Future[Outcome], *, raise_interrupted: bool = True
    ) -> Any:
        with contextlib.ExitStack() as stack:
            for manager in self.context_managers:
                stack.enter_context(manager(self))
            done = threading.Event()
            segment.add_done_callback(lambda _f: done.set())
            while True:
                try:
                    self.during_task(done)
                    outcome = segment.result()
                    break
                except KeyboardInterrupt:
                    try:
                        self.request_pause(defer=False)
                    except TransitionError:
                        pass
        return self._conclude(outcome, raise_interrupted=raise_interrupted)

    def _conclude(self, outcome: Outcome, *, raise_interrupted: bool) -> Any:
        if outcome.paused:
            raise RunEngineInterrupted(PAUSE_MESSAGE)
        if outcome.exception is not None:
            raise outcome.exception
        if outcome.interrupted and raise_interrupted and not self.call_returns_result:
            verb = {"abort": "aborted", "stop": "stopped", "halt": "halted"}[outcome.ending]
            reason = outcome.reason.rstrip(".")
            reason = f": {reason}" if reason and reason != verb else ""
            raise RunEngineInterrupted(
                f"The plan was {verb}{reason}. Its runs were closed with "
                f"exit_status={outcome.exit_status!r}."
            )
        if self.call_returns_result:
            return outcome.result()
        return outcome.run_uids

    # -- interruptions -----------------------------------------------------------------
    def request_pause(self, defer: bool = False) -> None:
        """Pause the running plan: now (rewinding to the last checkpoint) or, with
        ``defer=True``, at the next checkpoint. Safe from any thread."""
        k = self._k
        with k.state.lock:
            state = k.state.state
            if state in (State.PAUSING, State.PAUSED):
                return
            k.state.require("pause", State.RUNNING, State.SUSPENDING)
            if defer and state is State.RUNNING:
                ctx = k.ctx
                if ctx is not None:
                    ctx.deferred_pause = True
                return
            with k.requests.lock:
                k.requests.pause = True
                k.requests.attn = True
            k.state.change(State.PAUSING)
        k.poke_threadsafe()

    def resume(self) -> Any:
        """Resume a paused plan from its last checkpoint; blocks like ``RE(...)``."""
        k = self._k
        self._refuse_loop_thread("RE.resume()")
        with k.state.lock:
            k.state.require("resume", State.PAUSED)
            segment: concurrent.futures.Future[Outcome] = concurrent.futures.Future()
            k.segment = segment
            k.state.change(State.SUSPENDING if k.suspension_depth else State.RUNNING)
        self._decide()
        return self._block(segment)

    def _decide(self) -> None:
        driver = self._k.driver
        if driver is not None:
            self._k.loop.call_soon_threadsafe(driver.interruptions.decide)

    def _end(self, kind: str, reason: str, target: State) -> Any:
        k = self._k
        if self.state is State.PAUSED:
            self._refuse_loop_thread(f"RE.{kind}() of a paused plan")
        allowed: tuple[State, ...] = (State.RUNNING, State.PAUSING, State.PAUSED, State.SUSPENDING)
        if kind == "halt":
            allowed += (State.ABORTING, State.STOPPING, State.PANICKED)
        with k.state.lock:
            state = k.state.require(kind, *allowed)
            if state is State.PANICKED:
                k.state.change(State.IDLE)
                return ()
            with k.requests.lock:
                k.requests.end = EndRequest(kind, reason)
                k.requests.attn = True
            k.state.change(target)
            ctx = k.ctx
            uids = tuple(ctx.run_uids) if ctx is not None else ()
            segment: Optional[concurrent.futures.Future[Outcome]] = None
            if state is State.PAUSED:
                segment = concurrent.futures.Future()
                k.segment = segment
        if segment is None:
            k.poke_threadsafe()
            return uids
        self._decide()
        return self._block(segment, raise_interrupted=False)

    def abort(self, reason: str = "") -> Any:
        """End the plan after running its cleanup; its runs close with exit_status 'abort'."""
        return self._end("abort", reason, State.ABORTING)

    def stop(self) -> Any:
        """End the plan after running its cleanup; its runs close with exit_status 'success'."""
        return self._end("stop", "", State.STOPPING)

    def halt(self) -> Any:
        """End the plan at once, skipping its cleanup; moved devices are still stopped and
        its runs close with exit_status 'abort'."""
        return self._end("halt", "halted", State.HALTING)

    def close(self) -> None:
        """Stop serving the control endpoint and stop the loop thread.

        The RunEngine must be idle; it cannot run plans afterwards. A RunEngine
        that is garbage-collected is closed the same way.
        """
        self._k.state.require("close the RunEngine", State.IDLE)
        self._finalizer()

    def __repr__(self) -> str:
        return f"<RunEngine state={self.state.value!r}>"
