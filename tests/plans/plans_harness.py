"""A small fake RunEngine for stepping plans in tests, and helpers to compare message streams.

The fake answers each message the way a RunEngine would (readings for
'read', statuses for 'set'/'trigger', a uid for 'open_run'...), calling the
devices for real, so plans that use the answers behave as they would on an
engine. It does not emit documents.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np


class FakeEngine:
    """Step a plan, answering its messages; record what it yielded.

    Parameters
    ----------
    fail : callable, optional
        ``fail(msg)`` returns an exception to throw into the plan instead of
        answering ``msg``, or None.
    """

    def __init__(self, fail: Callable[[Any], BaseException | None] | None = None) -> None:
        self.fail = fail
        self.msgs: list[Any] = []
        self.rewindable = True
        self._uids = itertools.count(1)
        self._tokens = itertools.count(1)
        self.return_value: Any = None

    def respond(self, msg: Any) -> Any:
        cmd, obj = msg.command, msg.obj
        if cmd == "read":
            return obj.read()
        if cmd == "set":
            return obj.set(*msg.args)
        if cmd in ("trigger", "kickoff", "complete", "stage", "unstage", "stop"):
            return getattr(obj, cmd)()
        if cmd == "locate":
            locations = [_locate(o) for o in (obj, *msg.args)]
            return locations[0] if msg.kwargs.get("squeeze", True) and len(locations) == 1 else locations
        if cmd == "open_run":
            return f"uid-{next(self._uids)}"
        if cmd == "close_run":
            return "closed"
        if cmd == "rewindable":
            if msg.args[0] is not None:
                self.rewindable = msg.args[0]
            return self.rewindable
        if cmd == "wait":
            return True
        if cmd == "subscribe":
            return next(self._tokens)
        if cmd == "input":
            return ""
        return None

    def run(self, plan: Iterable[Any]) -> list[Any]:
        """Run ``plan`` to the end; return its messages (the plan's return value is in
        ``return_value``). Exceptions the plan raises propagate."""
        gen = iter(plan)
        send: Any = None
        error: BaseException | None = None
        while True:
            try:
                msg = gen.throw(error) if error is not None else gen.send(send)
            except StopIteration as stop:
                self.return_value = stop.value
                return self.msgs
            error = None
            self.msgs.append(msg)
            exc = self.fail(msg) if self.fail else None
            if exc is not None:
                error = exc
                continue
            send = self.respond(msg)


def _locate(obj: Any) -> Any:
    if hasattr(obj, "locate"):
        return obj.locate()
    return {"setpoint": obj.position, "readback": obj.position}


def run_plan(plan: Iterable[Any], **kwargs: Any) -> list[Any]:
    """Run a plan on a fresh FakeEngine; return its messages."""
    return FakeEngine(**kwargs).run(plan)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, tuple):  # a namedtuple, e.g. a pseudo positioner's position
        return tuple(_plain(v) for v in value)
    return value


def normalize(msgs: Iterable[Any], *, keep_start: bool = False) -> list[tuple]:
    """Make messages comparable: group names and sleep times blanked, objects by name.

    A positional group of 'wait' becomes the keyword. The start metadata
    (open_run kwargs) is dropped unless ``keep_start``; compare it apart.
    """
    out = []
    for msg in msgs:
        args = tuple(msg.args)
        kwargs = dict(msg.kwargs)
        if msg.command == "wait" and args:
            kwargs["group"], args = args[0], ()
        if kwargs.get("group") is not None:
            kwargs["group"] = "<group>"
        if msg.command == "sleep":
            args = ("<time>",)
        if msg.command == "open_run" and not keep_start:
            kwargs = {}
        name = getattr(msg.obj, "name", msg.obj)
        out.append((msg.command, name, _plain(args), _plain(kwargs)))
    return _sort_staging(out)


def _sort_staging(out: list[tuple]) -> list[tuple]:
    # bluesky stages a cycler's motors in set order, which varies from run to
    # run; compare each block of consecutive stage (or unstage) messages as a set.
    result: list[tuple] = []
    for cmd, block in itertools.groupby(out, key=lambda item: item[0]):
        items = list(block)
        result.extend(sorted(items, key=repr) if cmd in ("stage", "unstage") else items)
    return result


def _diff(ours: list, theirs: list) -> str:
    import difflib

    lines = difflib.unified_diff([repr(x) for x in theirs], [repr(x) for x in ours],
                                 "bluesky", "benchplan", lineterm="")
    return "\n".join(lines)


def start_md(msgs: Iterable[Any]) -> dict:
    """Return the metadata of the first open_run message."""
    return next(dict(m.kwargs) for m in msgs if m.command == "open_run")


def commands(msgs: Iterable[Any]) -> list[str]:
    return [m.command for m in msgs]


def reset_sim_devices() -> None:
    """Put the ophyd.sim motors back at 0 (det's value depends on motor)."""
    from ophyd.sim import motor, motor1, motor2, motor3, motor_no_pos, pseudo3x3

    for m in (motor, motor1, motor2, motor3, motor_no_pos):
        m.set(0)
    pseudo3x3.set(0, 0, 0)


def assert_same_stream(ours: Callable[[], Any], theirs: Callable[[], Any]) -> tuple[list, list]:
    """Run both plans (devices reset before each) and check their messages match.

    Returns the two message lists for further checks.
    """
    reset_sim_devices()
    their_msgs = run_plan(theirs())
    reset_sim_devices()
    our_msgs = run_plan(ours())
    ours_n, theirs_n = normalize(our_msgs), normalize(their_msgs)
    assert ours_n == theirs_n, _diff(ours_n, theirs_n)
    return our_msgs, their_msgs


def assert_same_start(our_msgs: list, their_msgs: list, *, unordered_motors: bool = False) -> None:
    """Check the start metadata matches, apart from where the pattern functions live.

    With ``unordered_motors`` the motor lists are compared as sets (bluesky's
    scan_nd takes them from a set).
    """
    ours, theirs = start_md(our_msgs), start_md(their_msgs)
    if unordered_motors:
        for md in (ours, theirs):
            md["motors"] = sorted(md["motors"])
            md["hints"]["dimensions"] = sorted(md["hints"]["dimensions"])
    if "plan_pattern_module" in theirs:
        expected = "numpy" if theirs["plan_pattern_module"] == "numpy" else "benchplan.plans.patterns"
        assert ours.pop("plan_pattern_module") == expected
        theirs.pop("plan_pattern_module")
    assert _plain(ours) == _plain(theirs), f"ours: {ours}\nbluesky: {theirs}"
