"""Plan stubs that steer the RunEngine: runs, events, checkpoints, waiting, pausing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any

from benchplan.engine import Msg

from ._utils import MsgGenerator, separate_devices

__all__ = [
    "breakpoint",
    "broadcast_msg",
    "checkpoint",
    "clear_checkpoint",
    "close_run",
    "create",
    "declare_stream",
    "deferred_pause",
    "drop",
    "input_plan",
    "install_suspender",
    "null",
    "open_run",
    "pause",
    "remove_suspender",
    "save",
    "sleep",
    "subscribe",
    "unsubscribe",
    "wait",
    "wait_for",
]


def open_run(md: Mapping[str, Any] | None = None) -> MsgGenerator:
    """Open a run (emit a start document with ``md``); return its uid.

    Examples
    --------
    >>> [m.kwargs for m in open_run({'sample': 'A1'})]
    [{'sample': 'A1'}]
    """
    return (yield Msg("open_run", **(md or {})))


def close_run(exit_status: str | None = None, reason: str | None = None) -> MsgGenerator:
    """Close the run (emit its stop document); return its uid.

    Parameters
    ----------
    exit_status : {'success', 'abort', 'fail'}, optional
        Default 'success'.
    reason : str, optional
        Why the run ended, for a failure.

    Examples
    --------
    >>> list(close_run())[0].kwargs
    {'exit_status': None, 'reason': None}
    """
    return (yield Msg("close_run", exit_status=exit_status, reason=reason))


def declare_stream(*objs: Any, name: str, collect: bool = False) -> MsgGenerator:
    """Declare an event stream and its devices up front (emit its descriptor).

    Examples
    --------
    >>> RE(declare_stream(det, motor, name='primary'))  # doctest: +SKIP
    """
    return (yield Msg("declare_stream", None, *separate_devices(objs), name=name, collect=collect))


def create(name: str = "primary") -> MsgGenerator:
    """Start collecting readings into one event of the stream ``name``.

    Examples
    --------
    >>> list(create())[0].kwargs
    {'name': 'primary'}
    """
    return (yield Msg("create", name=name))


def save() -> MsgGenerator:
    """Emit the event collected since ``create``.

    Examples
    --------
    >>> [m.command for m in save()]
    ['save']
    """
    return (yield Msg("save"))


def drop() -> MsgGenerator:
    """Throw away the event collected since ``create``.

    Examples
    --------
    >>> [m.command for m in drop()]
    ['drop']
    """
    return (yield Msg("drop"))


def null() -> MsgGenerator:
    """Do nothing (a message the RunEngine answers with None).

    Examples
    --------
    >>> [m.command for m in null()]
    ['null']
    """
    return (yield Msg("null"))


def sleep(time: float) -> MsgGenerator:
    """Wait ``time`` seconds without blocking the RunEngine (pauses still work).

    Examples
    --------
    >>> list(sleep(0.5))[0].args
    (0.5,)
    """
    return (yield Msg("sleep", None, time))


def wait(group: Hashable | None = None, *, timeout: float | None = None,
         error_on_timeout: bool = True, watch: Sequence[str] = ()) -> MsgGenerator:
    """Wait until every status of ``group`` (sets, triggers, ...) is done.

    Parameters
    ----------
    group : hashable, optional
        The group given to the ``set``/``trigger`` messages.
    timeout : float, optional
        Seconds to wait; default forever.
    error_on_timeout : bool, optional
        Raise :class:`~benchplan.errors.WaitForTimeoutError` on timeout
        (default); with False, return False instead.
    watch : sequence of str, optional
        Groups whose progress is reported while waiting.

    Returns
    -------
    bool
        True once all are done.

    Examples
    --------
    >>> list(wait('A', timeout=2))[0].kwargs['timeout']
    2
    """
    return (yield Msg("wait", None, group=group, error_on_timeout=error_on_timeout,
                      timeout=timeout, watch=watch))


def wait_for(futures: Iterable[Callable[[], Awaitable[Any]]], **kwargs: Any) -> MsgGenerator:
    """Wait for asyncio awaitables, given as callables that create them.

    Examples
    --------
    >>> RE(wait_for([lambda: asyncio.sleep(0.1)]))  # doctest: +SKIP
    """
    return (yield Msg("wait_for", None, futures, **kwargs))


def checkpoint() -> MsgGenerator:
    """Mark a place where the plan may safely pause and later resume.

    Examples
    --------
    >>> [m.command for m in checkpoint()]
    ['checkpoint']
    """
    return (yield Msg("checkpoint"))


def clear_checkpoint() -> MsgGenerator:
    """Make the plan un-resumable until the next checkpoint.

    Examples
    --------
    >>> [m.command for m in clear_checkpoint()]
    ['clear_checkpoint']
    """
    return (yield Msg("clear_checkpoint"))


def pause() -> MsgGenerator:
    """Pause the plan now; ``RE.resume()`` goes on from the last checkpoint.

    Examples
    --------
    >>> list(pause())[0].kwargs
    {'defer': False}
    """
    return (yield Msg("pause", None, defer=False))


def deferred_pause() -> MsgGenerator:
    """Pause at the next checkpoint.

    Examples
    --------
    >>> list(deferred_pause())[0].kwargs
    {'defer': True}
    """
    return (yield Msg("pause", None, defer=True))


def breakpoint(label: str | None = None, *, timeout: float | None = None,
               interactive: bool = False) -> MsgGenerator:
    """Stop at this point until someone says to go on.

    A checkpoint is placed first, so the plan can resume here. The
    RunEngine shows a banner with an id; the plan goes on on Enter, on
    ``benchplan continue ID`` from any terminal, or after ``timeout``
    seconds (default ``BENCHPLAN_BREAKPOINT_TIMEOUT``, else 300; 0 waits
    forever). With ``BENCHPLAN_BREAKPOINTS=off`` it does nothing.

    The ``'breakpoint'`` command is handled by the RunEngine's breakpoint
    support; a RunEngine without it raises InvalidCommand into the plan.

    Parameters
    ----------
    label : str, optional
        Shown in the banner and by ``benchplan ps``.
    timeout : float, optional
        Seconds before going on by itself.
    interactive : bool, optional
        Offer an interactive console at the breakpoint.

    Examples
    --------
    >>> [m.command for m in breakpoint('check wiring')]
    ['checkpoint', 'breakpoint']
    """
    yield Msg("checkpoint")
    return (yield Msg("breakpoint", None, label=label, timeout=timeout, interactive=interactive))


def input_plan(prompt: str = "") -> MsgGenerator:
    """Ask the user for a line of input; return it.

    Examples
    --------
    >>> list(input_plan('Sample? '))[0].kwargs
    {'prompt': 'Sample? '}
    """
    return (yield Msg("input", prompt=prompt))


def subscribe(name: str, func: Callable[[str, Mapping[str, Any]], Any]) -> MsgGenerator:
    """Subscribe ``func(name, doc)`` to documents while the plan runs; return a token.

    Examples
    --------
    >>> RE(subscribe('event', print))  # doctest: +SKIP
    """
    return (yield Msg("subscribe", None, func, name))


def unsubscribe(token: int) -> MsgGenerator:
    """Remove a subscription made by :func:`subscribe`.

    Examples
    --------
    >>> list(unsubscribe(3))[0].kwargs
    {'token': 3}
    """
    return (yield Msg("unsubscribe", token=token))


def install_suspender(suspender: Any) -> MsgGenerator:
    """Install a suspender for the rest of the plan.

    Examples
    --------
    >>> RE(install_suspender(SuspendFloor(psu.current, 0.1)))  # doctest: +SKIP
    """
    return (yield Msg("install_suspender", None, suspender))


def remove_suspender(suspender: Any) -> MsgGenerator:
    """Remove a suspender installed with :func:`install_suspender`.

    Examples
    --------
    >>> RE(remove_suspender(my_suspender))  # doctest: +SKIP
    """
    return (yield Msg("remove_suspender", None, suspender))


def broadcast_msg(command: str, objs: Iterable[Any], *args: Any, **kwargs: Any) -> MsgGenerator:
    """Send the same command to several devices; return the list of results.

    Examples
    --------
    >>> [m.obj for m in broadcast_msg('stop', ['m1', 'm2'])]
    ['m1', 'm2']
    """
    results = []
    for obj in objs:
        results.append((yield Msg(command, obj, *args, **kwargs)))
    return results
