"""Preprocessors that add runs, staging, baselines, monitors, flyers and subscriptions."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from benchplan._report import report
from benchplan.engine import Msg
from benchplan.errors import RequestAbort, RequestStop

from ._mutators import finalize_wrapper, msg_mutator, pchain, plan_mutator, set_run_key_wrapper
from ._stubs import mv, stage_all, unstage_all
from ._stubs_control import close_run, declare_stream, open_run
from ._stubs_steps import trigger_and_read
from ._utils import (
    MsgGenerator,
    ensure_generator,
    is_status,
    make_decorator,
    root_ancestor,
    separate_devices,
    short_uid,
    single_gen,
)

__all__ = [
    "baseline_decorator",
    "baseline_wrapper",
    "configure_count_time_decorator",
    "configure_count_time_wrapper",
    "fly_during_decorator",
    "fly_during_wrapper",
    "lazily_stage_decorator",
    "lazily_stage_wrapper",
    "monitor_during_decorator",
    "monitor_during_wrapper",
    "print_summary_wrapper",
    "run_decorator",
    "run_wrapper",
    "stage_decorator",
    "stage_wrapper",
    "subs_decorator",
    "subs_wrapper",
    "suspend_decorator",
    "suspend_wrapper",
]

_DOC_NAMES = ("all", "start", "stop", "event", "descriptor", "resource", "datum",
              "event_page", "datum_page", "stream_resource", "stream_datum")


def _exit_status(exc: BaseException) -> tuple[str, str | None]:
    """Return the stop document's exit status and reason for an exception."""
    if isinstance(exc, RequestAbort):
        return "abort", str(exc) or None
    if isinstance(exc, RequestStop):
        return "success", None
    status = getattr(exc, "exit_status", None)  # bluesky's control exceptions
    if status is not None:
        return status, None
    return "fail", str(exc) or repr(exc)


def run_wrapper(plan: Iterable[Any], *, md: Mapping[str, Any] | None = None) -> MsgGenerator:
    """Enclose a plan in ``open_run``/``close_run``; return the run's uid.

    If the plan raises, the run is closed with exit status ``'fail'`` and the
    error as its reason (``'abort'`` or ``'success'`` for the RunEngine's
    abort and stop), and the error is re-raised.

    Parameters
    ----------
    plan : iterable of Msg
    md : dict, optional
        Metadata for the start document.

    Examples
    --------
    >>> from benchplan import Msg
    >>> [m.command for m in run_wrapper([Msg('null')], md={'sample': 'A1'})]
    ['open_run', 'null', 'close_run']
    """
    uid = yield from open_run(md)
    try:
        yield from ensure_generator(plan)
    except GeneratorExit:
        raise
    except Exception as exc:
        exit_status, reason = _exit_status(exc)
        yield from close_run(exit_status=exit_status, reason=reason)
        raise
    yield from close_run()
    return uid


def stage_wrapper(plan: Iterable[Any], devices: Iterable[Any]) -> MsgGenerator:
    """Stage devices before a plan and unstage them (in reverse) after it, whatever happens.

    The top-level parent of each device is what gets staged.

    Examples
    --------
    >>> from benchplan import Msg
    >>> [m.command for m in stage_wrapper([Msg('null')], ['det'])]
    ['stage', 'null', 'unstage']
    """
    roots = separate_devices(root_ancestor(device) for device in devices)

    def staged() -> MsgGenerator:
        yield from stage_all(*roots)
        return (yield from ensure_generator(plan))

    return (yield from finalize_wrapper(staged(), unstage_all(*reversed(roots))))


def lazily_stage_wrapper(plan: Iterable[Any]) -> MsgGenerator:
    """Stage each device just before it is first used; unstage all at the end.

    A device is used when it is read, set, triggered or kicked off.

    Examples
    --------
    >>> from benchplan import Msg
    >>> [m.command for m in lazily_stage_wrapper([Msg('read', 'det')])]
    ['stage', 'read', 'unstage']
    """
    staged: list[Any] = []

    def stage_first(msg: Any) -> tuple[Any, Any]:
        if msg.command not in ("read", "set", "trigger", "kickoff") or msg.obj in staged:
            return None, None
        root = root_ancestor(msg.obj)
        if root in staged:
            return None, None

        def stage_then_send() -> MsgGenerator:
            ret = yield Msg("stage", root)
            staged.extend([root] if ret is None or is_status(ret) else ret)
            return (yield msg)

        return stage_then_send(), None

    def unstage() -> MsgGenerator:
        yield from unstage_all(*reversed(staged))

    return (yield from finalize_wrapper(plan_mutator(plan, stage_first), unstage))


def baseline_wrapper(plan: Iterable[Any], devices: Iterable[Any], name: str = "baseline") -> MsgGenerator:
    """Read devices into the ``baseline`` stream right after each run opens and before it closes.

    Examples
    --------
    >>> RE(baseline_wrapper(count([det]), [psu.voltage]))  # doctest: +SKIP
    """
    devices = list(devices)
    if not devices:
        return (yield from ensure_generator(plan))

    def head(run: Any) -> MsgGenerator:
        def readings() -> MsgGenerator:
            yield from declare_stream(*devices, name=name)
            yield from trigger_and_read(devices, name=name)

        return set_run_key_wrapper(readings(), run) if run is not None else readings()

    def read_then_close(msg: Any) -> MsgGenerator:
        final = trigger_and_read(devices, name=name)
        yield from (set_run_key_wrapper(final, msg.run) if msg.run is not None else final)
        return (yield msg)

    def insert(msg: Any) -> tuple[Any, Any]:
        if msg.command == "open_run":
            return None, head(msg.run)
        if msg.command == "close_run":
            return read_then_close(msg), None
        return None, None

    return (yield from plan_mutator(plan, insert))


def suspend_wrapper(plan: Iterable[Any], suspenders: Any) -> MsgGenerator:
    """Install suspenders for the duration of a plan and remove them after it.

    Examples
    --------
    >>> RE(suspend_wrapper(count([det], 10), SuspendFloor(psu.current, 0.1)))  # doctest: +SKIP
    """
    if not isinstance(suspenders, Iterable):
        suspenders = [suspenders]
    suspenders = list(suspenders)

    def installed() -> MsgGenerator:
        for suspender in suspenders:
            yield Msg("install_suspender", None, suspender)
        return (yield from ensure_generator(plan))

    def remove() -> MsgGenerator:
        for suspender in suspenders:
            yield Msg("remove_suspender", None, suspender)

    return (yield from finalize_wrapper(installed(), remove))


def _normalize_subs(subs: Any) -> dict[str, list[Callable[..., Any]]]:
    normalized: dict[str, list[Callable[..., Any]]] = {name: [] for name in _DOC_NAMES}
    if subs is None:
        pass
    elif callable(subs):
        normalized["all"].append(subs)
    elif isinstance(subs, Mapping):
        for key, funcs in subs.items():
            if key not in normalized:
                raise ValueError(
                    f"Cannot subscribe to {key!r}: not a document name; use one of {list(_DOC_NAMES)}."
                )
            normalized[key].extend([funcs] if callable(funcs) else funcs)
    elif isinstance(subs, Iterable):
        normalized["all"].extend(subs)
    else:
        raise ValueError(
            f"Cannot subscribe {subs!r}: give a callable, a list of callables, or a dict "
            "mapping document names to callables."
        )
    for funcs in normalized.values():
        for func in funcs:
            if not callable(func):
                raise ValueError(f"Cannot subscribe {func!r}: it is not callable; pass functions.")
    return normalized


def subs_wrapper(plan: Iterable[Any], subs: Any) -> MsgGenerator:
    """Subscribe callbacks to documents while a plan runs.

    Parameters
    ----------
    plan : iterable of Msg
    subs : callable, list of callables, or dict
        A dict maps document names (``'all'``, ``'start'``, ``'event'``...)
        to callables or lists of them; others subscribe to ``'all'``.

    Examples
    --------
    >>> from benchplan import Msg
    >>> [m.command for m in subs_wrapper([Msg('null')], print)]
    ['subscribe', 'null', 'unsubscribe']
    """
    normalized = _normalize_subs(subs)
    tokens: list[Any] = []

    def subscribed() -> MsgGenerator:
        for name, funcs in normalized.items():
            for func in funcs:
                tokens.append((yield Msg("subscribe", None, func, name)))
        return (yield from ensure_generator(plan))

    def unsubscribe() -> MsgGenerator:
        for token in tokens:
            yield Msg("unsubscribe", None, token=token)

    return (yield from finalize_wrapper(subscribed(), unsubscribe))


def _around_runs(plan: Iterable[Any], after_open: list[Any], before_close: list[Any]) -> MsgGenerator:
    def insert_after_open(msg: Any) -> tuple[Any, Any]:
        if msg.command == "open_run":
            return single_gen(msg), iter(after_open)
        return None, None

    def insert_before_close(msg: Any) -> tuple[Any, Any]:
        if msg.command == "close_run":
            return pchain(iter(before_close), single_gen(msg)), None
        return None, None

    return plan_mutator(plan_mutator(plan, insert_after_open), insert_before_close)


def monitor_during_wrapper(plan: Iterable[Any], signals: Iterable[Any]) -> MsgGenerator:
    """Monitor signals (each in a stream ``<name>_monitor``) while each run is open.

    Examples
    --------
    >>> RE(monitor_during_wrapper(count([det], 5), [psu.current]))  # doctest: +SKIP
    """
    signals = list(signals)
    monitors = [Msg("monitor", sig, name=sig.name + "_monitor") for sig in signals]
    unmonitors = [Msg("unmonitor", sig) for sig in signals]
    return (yield from _around_runs(plan, monitors, unmonitors))


def fly_during_wrapper(plan: Iterable[Any], flyers: Iterable[Any]) -> MsgGenerator:
    """Kick off flyers after each run opens; complete and collect them before it closes.

    Examples
    --------
    >>> RE(fly_during_wrapper(count([det], 5), [flyer]))  # doctest: +SKIP
    """
    flyers = list(flyers)
    kickoff_group = short_uid("flyers-kickoff")
    complete_group = short_uid("flyers-complete")
    after_open = [Msg("kickoff", flyer, group=kickoff_group) for flyer in flyers]
    before_close = [Msg("complete", flyer, group=complete_group) for flyer in flyers]
    if flyers:
        after_open.append(Msg("wait", None, group=kickoff_group))
        before_close.append(Msg("wait", None, group=complete_group))
    before_close.extend(Msg("collect", flyer) for flyer in flyers)
    return (yield from _around_runs(plan, after_open, before_close))


def configure_count_time_wrapper(plan: Iterable[Any], time: float | None) -> MsgGenerator:
    """Set the ``count_time`` of every device that has one, and restore it afterwards.

    ``time=None`` leaves the plan alone.

    Examples
    --------
    >>> RE(configure_count_time_wrapper(count([det]), 0.5))  # doctest: +SKIP
    """
    if time is None:
        return (yield from ensure_generator(plan))
    seen: set[int] = set()
    originals: dict[Any, Any] = {}

    def set_first(msg: Any) -> tuple[Any, Any]:
        obj = msg.obj
        if obj is None or id(obj) in seen:
            return None, None
        seen.add(id(obj))
        if not hasattr(obj, "count_time"):
            return None, None
        originals[obj] = obj.count_time.get()
        return pchain(mv(obj.count_time, time), single_gen(msg)), None

    def restore() -> MsgGenerator:
        for obj, original in originals.items():
            yield from mv(obj.count_time, original)

    return (yield from finalize_wrapper(plan_mutator(plan, set_first), restore))


def print_summary_wrapper(plan: Iterable[Any]) -> MsgGenerator:
    """Print what a plan does (runs, moves, readings) as its messages go by.

    Examples
    --------
    >>> RE(print_summary_wrapper(scan([det], motor, 0, 1, 3)))  # doctest: +SKIP
    """
    reads: list[str] = []

    def spy(msg: Any) -> Any:
        command = msg.command
        if command == "open_run":
            report(f"{' Open Run ':=^80}")
        elif command == "close_run":
            report(f"{' Close Run ':=^80}")
        elif command == "set":
            report(f"{msg.obj.name} -> {msg.args[0]}")
        elif command == "create":
            reads.clear()
        elif command == "read":
            reads.append(msg.obj.name)
        elif command == "save":
            report(f"  Read {reads}")
        return msg

    return (yield from msg_mutator(plan, spy))


baseline_decorator = make_decorator(baseline_wrapper)
configure_count_time_decorator = make_decorator(configure_count_time_wrapper)
fly_during_decorator = make_decorator(fly_during_wrapper)
lazily_stage_decorator = make_decorator(lazily_stage_wrapper)
monitor_during_decorator = make_decorator(monitor_during_wrapper)
run_decorator = make_decorator(run_wrapper)
stage_decorator = make_decorator(stage_wrapper)
subs_decorator = make_decorator(subs_wrapper)
suspend_decorator = make_decorator(suspend_wrapper)
