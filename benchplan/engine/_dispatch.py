"""Subscriptions: who receives which documents."""

from __future__ import annotations

import itertools
import logging
from typing import Any, Callable, Iterable

__all__ = ["Dispatcher", "DOCUMENT_NAMES"]

logger = logging.getLogger("benchplan.engine")

DOCUMENT_NAMES = (
    "start",
    "descriptor",
    "event",
    "event_page",
    "stop",
    "resource",
    "datum",
    "datum_page",
    "stream_resource",
    "stream_datum",
)

Callback = Callable[[str, dict[str, Any]], Any]


class Dispatcher:
    """Holds the subscribed callbacks and sends each document to them.

    A callback subscribed to ``'all'`` gets every document. A callback that
    raises fails the run, unless ``ignore_exceptions`` is true: then the
    exception is logged and the other callbacks still get the document.
    """

    def __init__(self) -> None:
        self._subs: dict[int, tuple[str, Callback]] = {}
        self._tokens = itertools.count(1)
        self._by_name: dict[str, tuple[Callback, ...]] = {n: () for n in DOCUMENT_NAMES}
        self.ignore_exceptions = False

    def subscribe(self, func: Callback, name: str = "all") -> int:
        if not callable(func):
            raise TypeError(
                f"Cannot subscribe {func!r}: it is not callable. Subscribe a function "
                "taking (name, doc)."
            )
        if name != "all" and name not in DOCUMENT_NAMES:
            raise ValueError(
                f"Cannot subscribe to documents named {name!r}: the names are 'all' or "
                f"one of {', '.join(DOCUMENT_NAMES)}."
            )
        token = next(self._tokens)
        self._subs[token] = (name, func)
        self._rebuild()
        return token

    def subscribe_many(self, subs: Any) -> list[int]:
        """Subscribe a callable, a list of them, or a {name: callable(s)} dict; all or none."""
        tokens: list[int] = []
        try:
            self._subscribe_many(subs, tokens)
        except BaseException:
            self.unsubscribe_all(tokens)
            raise
        return tokens

    def _subscribe_many(self, subs: Any, tokens: list[int]) -> None:
        if subs is None:
            return
        if callable(subs):
            tokens.append(self.subscribe(subs))
            return
        if isinstance(subs, dict):
            for name, funcs in subs.items():
                funcs = funcs if isinstance(funcs, (list, tuple)) else [funcs]
                for func in funcs:
                    tokens.append(self.subscribe(func, name))
            return
        if isinstance(subs, Iterable) and not isinstance(subs, (str, bytes)):
            for func in subs:
                tokens.append(self.subscribe(func))
            return
        raise TypeError(
            f"subs must be a callable, a list of callables or a dict of document name to "
            f"callables, not {type(subs).__name__}."
        )

    def unsubscribe(self, token: int) -> None:
        if self._subs.pop(token, None) is not None:
            self._rebuild()

    def unsubscribe_all(self, tokens: Iterable[int]) -> None:
        for token in tokens:
            self._subs.pop(token, None)
        self._rebuild()

    def _rebuild(self) -> None:
        by_name: dict[str, list[Callback]] = {n: [] for n in DOCUMENT_NAMES}
        for name, func in self._subs.values():
            targets: Iterable[str] = DOCUMENT_NAMES if name == "all" else (name,)
            for n in targets:
                by_name[n].append(func)
        self._by_name = {n: tuple(fs) for n, fs in by_name.items()}

    def emit(self, name: str, doc: dict[str, Any]) -> None:
        """Send ``doc`` to every subscriber of ``name``; raise the first failure."""
        error = None
        for func in self._by_name[name]:
            try:
                func(name, doc)
            except Exception as exc:
                if self.ignore_exceptions:
                    logger.exception("A callback failed on a %r document; ignoring it", name)
                elif error is None:
                    error = exc
        if error is not None:
            raise error
