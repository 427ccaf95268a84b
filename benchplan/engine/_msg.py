"""The message a plan yields to the RunEngine."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

__all__ = ["Msg"]


class Msg(namedtuple("Msg", ["command", "obj", "args", "kwargs", "run"])):
    """One instruction from a plan to the RunEngine.

    The engine reads messages by field name only, so any namedtuple with the
    fields ``command, obj, args, kwargs, run`` (bluesky's ``Msg``) works too.

    Parameters
    ----------
    command : str
        The name of the command, e.g. ``'set'``, ``'trigger'``, ``'checkpoint'``.
    obj : object, optional
        The device the command acts on, or None.
    *args
        Positional arguments for the command.
    run : hashable, optional
        The key of the run this message belongs to, for plans that keep
        several runs open at once.
    **kwargs
        Keyword arguments for the command.

    Examples
    --------
    >>> Msg('set', None, 5.0, group='A')
    Msg('set', obj=None, args=(5.0,), kwargs={'group': 'A'}, run=None)
    """

    __slots__ = ()
    command: str
    obj: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    run: Any

    def __new__(
        cls, command: str, obj: Any = None, *args: Any, run: Any = None, **kwargs: Any
    ) -> "Msg":
        return tuple.__new__(cls, (command, obj, args, kwargs, run))

    def __repr__(self) -> str:
        return (
            f"Msg({self.command!r}, obj={self.obj!r}, args={self.args!r}, "
            f"kwargs={self.kwargs!r}, run={self.run!r})"
        )
