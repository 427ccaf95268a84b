"""The building blocks of preprocessors: rewriting and wrapping message streams."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from benchplan.engine import Msg
from benchplan.errors import RequestAbort, RequestStop

from ._utils import MsgGenerator, ensure_generator, make_decorator, single_gen

__all__ = [
    "contingency_decorator",
    "contingency_wrapper",
    "finalize_decorator",
    "finalize_wrapper",
    "inject_md_decorator",
    "inject_md_wrapper",
    "msg_mutator",
    "pchain",
    "plan_mutator",
    "rewindable_wrapper",
    "set_run_key_decorator",
    "set_run_key_wrapper",
    "stub_decorator",
    "stub_wrapper",
]

logger = logging.getLogger(__name__)

MsgProc = Callable[[Any], tuple[Any, Any]]


class _Frame:
    """One generator on plan_mutator's stack."""

    __slots__ = ("gen", "tail", "msg", "is_head", "result")

    def __init__(self, gen: Any, *, tail: Any = None, msg: Any = None, is_head: bool = False,
                 result: Any = None) -> None:
        self.gen = gen
        self.tail = tail  # run after gen ends (heads only)
        self.msg = msg  # the message a head stands in for
        self.is_head = is_head
        self.result = result  # what a tail hands down when it ends


def plan_mutator(plan: Iterable[Any], msg_proc: MsgProc) -> MsgGenerator:
    """Insert plans around, or in place of, chosen messages of a plan.

    ``msg_proc(msg)`` returns ``(head, tail)``. ``head`` is a plan run in
    place of ``msg`` (it may yield ``msg`` itself), ``tail`` a plan run after
    it; either may be None. With only a tail, ``msg`` is sent first. The
    response to the head's last message is what the original plan receives
    for ``msg``. Messages the inserted plans yield go through ``msg_proc``
    too, except ``msg`` itself while its head runs.

    Parameters
    ----------
    plan : iterable of Msg
        The plan to rewrite.
    msg_proc : callable
        ``msg -> (head, tail)``, each a generator or None.

    Returns
    -------
    generator
        The rewritten plan; it returns what ``plan`` returns.

    Examples
    --------
    Read ``det`` right after every ``set``:

    >>> from benchplan import Msg
    >>> def read_after_set(msg):
    ...     if msg.command == 'set':
    ...         return None, iter([Msg('read', 'det')])
    ...     return None, None
    >>> [m.command for m in plan_mutator([Msg('set', 'motor', 1)], read_after_set)]
    ['set', 'read']
    """
    stack = [_Frame(ensure_generator(plan))]
    in_flight: dict[int, Any] = {}  # messages whose head is running, by id
    value: Any = None
    error: BaseException | None = None
    while True:
        frame = stack[-1]
        try:
            if error is not None:
                thrown, error = error, None
                msg = frame.gen.throw(thrown)
            else:
                msg = frame.gen.send(value)
        except StopIteration as stop:
            stack.pop()
            if frame.msg is not None:
                in_flight.pop(id(frame.msg), None)
            if not stack:
                return stop.value
            result = value if frame.is_head else frame.result
            if frame.tail is not None:
                stack.append(_Frame(ensure_generator(frame.tail), result=result))
                value = None
            else:
                value = result
            continue
        except BaseException as exc:
            stack.pop()
            if frame.msg is not None:
                in_flight.pop(id(frame.msg), None)
            if frame.tail is not None:
                frame.tail.close()
            if not stack:
                raise
            error = exc
            continue
        if id(msg) not in in_flight:
            head, tail = msg_proc(msg)
            if head is None and tail is not None:
                head = single_gen(msg)
            if head is not None:
                in_flight[id(msg)] = msg
                stack.append(_Frame(ensure_generator(head), tail=tail, msg=msg, is_head=True))
                value = None
                continue
        try:
            value = yield msg
        except GeneratorExit:
            for open_frame in reversed(stack):
                open_frame.gen.close()
            raise
        except BaseException as exc:
            error = exc


def msg_mutator(plan: Iterable[Any], msg_proc: Callable[[Any], Any]) -> MsgGenerator:
    """Replace each message of a plan by ``msg_proc(msg)``.

    When ``msg_proc`` returns None the message is dropped and the plan gets
    None back for it. An exception raised by ``msg_proc`` is thrown into the
    plan.

    Examples
    --------
    >>> from benchplan import Msg
    >>> slow = lambda m: m._replace(args=(2 * m.args[0],)) if m.command == 'sleep' else m
    >>> list(msg_mutator([Msg('sleep', None, 1)], slow))[0].args
    (2,)
    """
    gen = ensure_generator(plan)
    try:
        msg = gen.send(None)
    except StopIteration as stop:
        return stop.value
    while True:
        error: BaseException | None = None
        response = None
        try:
            new_msg = msg_proc(msg)
            if new_msg is not None:
                response = yield new_msg
        except GeneratorExit:
            gen.close()
            raise
        except BaseException as exc:
            error = exc
        try:
            msg = gen.send(response) if error is None else gen.throw(error)
        except StopIteration as stop:
            return stop.value


def pchain(*args: Iterable[Any]) -> MsgGenerator:
    """Run plans one after the other; return a tuple of their return values.

    If the RunEngine aborts or stops the chain, every plan in it is closed.

    Examples
    --------
    >>> from benchplan import Msg
    >>> [m.command for m in pchain([Msg('null')], [Msg('checkpoint')])]
    ['null', 'checkpoint']
    """
    results = []
    try:
        for plan in args:
            results.append((yield from ensure_generator(plan)))
    except (RequestAbort, RequestStop) as exc:
        _close_all(args)
        raise exc
    except Exception as exc:
        if getattr(exc, "exit_status", None) is None:
            raise
        _close_all(args)  # a control exception from bluesky's RunEngine
        raise
    return tuple(results)


def _close_all(plans: Iterable[Any]) -> None:
    for plan in plans:
        close = getattr(plan, "close", None)
        if close is not None:
            close()


def finalize_wrapper(plan: Iterable[Any], final_plan: Any, *,
                     pause_for_debug: bool = False) -> MsgGenerator:
    """Run ``final_plan`` after ``plan``, whether it succeeds or raises.

    This is the ``try/finally`` of plans. The cleanup runs after success and
    after any exception thrown into or raised by ``plan`` (including the
    RunEngine's abort and stop). It cannot run when the plan is closed
    (``GeneratorExit``, e.g. ``RE.halt()``), because a closing generator may
    not yield any more messages.

    Parameters
    ----------
    plan : iterable of Msg
    final_plan : generator, iterable or callable returning one
        The cleanup; a callable is called once, when the wrapper starts.
    pause_for_debug : bool, optional
        On an exception, pause before the cleanup so the state can be
        inspected.

    Examples
    --------
    >>> from benchplan import Msg
    >>> [m.command for m in finalize_wrapper([Msg('set', 'motor', 1)], [Msg('unstage', 'det')])]
    ['set', 'unstage']
    """
    cleanup = final_plan() if callable(final_plan) else final_plan
    try:
        ret = yield from ensure_generator(plan)
    except GeneratorExit:
        logger.debug("plan closed; finalize_wrapper cannot run its cleanup")
        getattr(cleanup, "close", lambda: None)()
        raise
    except BaseException:
        if pause_for_debug:
            yield Msg("pause", None, defer=False)
        yield from ensure_generator(cleanup)
        raise
    yield from ensure_generator(cleanup)
    return ret


def finalize_decorator(final_plan: Callable[[], Any]) -> Callable[..., Any]:
    """Decorate a generator function so ``final_plan()`` runs after it, as finalize_wrapper.

    ``final_plan`` must be callable (a generator function), since each call
    of the decorated function needs a fresh cleanup plan.

    Examples
    --------
    >>> from benchplan import Msg
    >>> @finalize_decorator(lambda: iter([Msg('unstage', 'det')]))
    ... def my_plan():
    ...     yield Msg('stage', 'det')
    >>> [m.command for m in my_plan()]
    ['stage', 'unstage']
    """
    if not callable(final_plan):
        raise TypeError(
            "finalize_decorator needs a callable that returns the cleanup plan (e.g. a "
            f"generator function), not {type(final_plan).__name__}; a generator instance "
            "could only be used once."
        )

    def decorator(gen_func: Callable[..., Any]) -> Callable[..., MsgGenerator]:
        import functools

        @functools.wraps(gen_func)
        def wrapped(*args: Any, **kwargs: Any) -> MsgGenerator:
            return (yield from finalize_wrapper(gen_func(*args, **kwargs), final_plan))

        return wrapped

    return decorator


def contingency_wrapper(
    plan: Iterable[Any],
    *,
    except_plan: Callable[[Exception], Any] | None = None,
    else_plan: Callable[[], Any] | None = None,
    final_plan: Callable[[], Any] | None = None,
    pause_for_debug: bool = False,
    auto_raise: bool = True,
) -> MsgGenerator:
    """The ``try/except/else/finally`` of plans.

    Parameters
    ----------
    plan : iterable of Msg
    except_plan : callable, optional
        ``except_plan(exc)`` returns a plan run when ``plan`` raises an
        Exception; the exception is re-raised afterwards unless
        ``auto_raise`` is False, in which case its return value is returned.
    else_plan : callable, optional
        Returns a plan run when ``plan`` succeeds.
    final_plan : callable, optional
        Returns a plan run last in any case (not when the plan is closed).
    pause_for_debug : bool, optional
        Pause before ``except_plan`` runs.
    auto_raise : bool, optional
        Re-raise the exception after ``except_plan``; default True.

    Examples
    --------
    >>> from benchplan import Msg
    >>> plan = contingency_wrapper([Msg('set', 'm', 1)], else_plan=lambda: iter([Msg('null')]))
    >>> [m.command for m in plan]
    ['set', 'null']
    """
    cleanup = True
    try:
        try:
            ret = yield from ensure_generator(plan)
        except Exception as exc:
            if pause_for_debug:
                yield Msg("pause", None, defer=False)
            if except_plan is None:
                raise
            ret = yield from ensure_generator(except_plan(exc))
            if auto_raise:
                raise
            return ret
        if else_plan is not None:
            yield from ensure_generator(else_plan())
    except GeneratorExit:
        cleanup = False  # a closing generator cannot yield
        raise
    finally:
        if cleanup and final_plan is not None:
            yield from ensure_generator(final_plan())
    return ret


def rewindable_wrapper(plan: Iterable[Any], rewindable: bool) -> MsgGenerator:
    """Run ``plan`` with the RunEngine's rewinding turned off if ``rewindable`` is False.

    The RunEngine's current setting is asked with ``Msg('rewindable', None,
    None)``, set to False for the plan and restored afterwards (also on
    error). With ``rewindable=True`` the plan runs untouched.

    Examples
    --------
    >>> from benchplan import Msg
    >>> [m.args for m in rewindable_wrapper([Msg('null')], False)]
    [(None,), (False,), (), (True,)]
    """
    if rewindable:
        return (yield from ensure_generator(plan))
    initial = yield Msg("rewindable", None, None)
    if initial is None:
        initial = True  # no engine answer (e.g. the plan is being listed)
    if initial == rewindable:
        return (yield from ensure_generator(plan))
    yield Msg("rewindable", None, rewindable)
    return (yield from finalize_wrapper(plan, single_gen(Msg("rewindable", None, initial))))


def inject_md_wrapper(plan: Iterable[Any], md: Mapping[str, Any]) -> MsgGenerator:
    """Add ``md`` to the metadata of every run the plan opens (``md`` wins on clashes).

    Examples
    --------
    >>> from benchplan import Msg
    >>> [m.kwargs for m in inject_md_wrapper([Msg('open_run', a=1)], {'b': 2})]
    [{'a': 1, 'b': 2}]
    """

    def inject(msg: Any) -> Any:
        if msg.command == "open_run":
            return msg._replace(kwargs={**msg.kwargs, **md})
        return msg

    return (yield from msg_mutator(plan, inject))


def set_run_key_wrapper(plan: Iterable[Any], run: Any) -> MsgGenerator:
    """Tag every message of ``plan`` that has no run key with ``run``.

    Examples
    --------
    >>> from benchplan import Msg
    >>> [m.run for m in set_run_key_wrapper([Msg('open_run')], 'A')]
    ['A']
    """
    if run is None:
        raise ValueError(
            "set_run_key_wrapper needs a run key to set, got None; pass the key that "
            "identifies the run, e.g. run='A'."
        )

    def tag(msg: Any) -> Any:
        return msg._replace(run=run) if msg.run is None else msg

    return (yield from msg_mutator(plan, tag))


def stub_wrapper(plan: Iterable[Any]) -> MsgGenerator:
    """Strip ``open_run``, ``close_run``, ``stage`` and ``unstage`` from a plan.

    Lets a complete scan be used as a part of a bigger run. Returns the
    metadata the stripped ``open_run`` carried.

    Examples
    --------
    >>> from benchplan import Msg
    >>> [m.command for m in stub_wrapper([Msg('open_run'), Msg('null'), Msg('close_run')])]
    ['null']
    """
    md: dict[str, Any] = {}

    def strip(msg: Any) -> Any:
        if msg.command == "open_run":
            md.update(msg.kwargs)
            return None
        if msg.command in ("close_run", "stage", "unstage"):
            return None
        return msg

    yield from msg_mutator(plan, strip)
    return md


contingency_decorator = make_decorator(contingency_wrapper)
inject_md_decorator = make_decorator(inject_md_wrapper)
set_run_key_decorator = make_decorator(set_run_key_wrapper)
stub_decorator = make_decorator(stub_wrapper)
