"""SCPI parsing for the simulated bench: headers, command trees, messages, errors.

A command tree is built from header patterns written the way programming
manuals print them::

    [:SOURce#]:VOLTage[:LEVel][:IMMediate][:AMPLitude]

Upper-case letters are the short form, the whole word the long form; either
matches, in any case. ``[...]`` marks an optional node and ``#`` a node that
takes a numeric suffix (``SOUR2``); the suffixes found are handed to the
handler in order, ``None`` where the suffix (or the whole optional node) was
left out.

A program message is split on ``;`` into units. A unit whose header starts
with ``:`` is resolved from the root; otherwise it is resolved relative to the
path of the previous unit (its header minus the last node), so
``SOUR1:VOLT 5;CURR 1`` sets ``SOUR1:CURR``. Common commands (``*IDN?``)
neither use nor change the path. Every message starts at the root.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterator, Optional, Sequence

__all__ = ["Command", "CommandTree", "Handler", "ScpiError", "Suffixes", "split_params", "split_units"]

#: The standard text of each error code the simulated instruments push.
ERROR_MESSAGES: dict[int, str] = {
    -100: "Command error",
    -102: "Syntax error",
    -104: "Data type error",
    -108: "Parameter not allowed",
    -109: "Missing parameter",
    -113: "Undefined header",
    -114: "Header suffix out of range",
    -131: "Invalid suffix",
    -151: "Invalid string data",
    -200: "Execution error",
    -221: "Settings conflict",
    -222: "Data out of range",
    -224: "Illegal parameter value",
    -230: "Data corrupt or stale",
    -350: "Queue overflow",
}

Suffixes = tuple[Optional[int], ...]
Handler = Callable[[Any, Sequence[str], Suffixes], Any]


class ScpiError(Exception):
    """An error a simulated instrument pushes onto its error queue.

    Parameters
    ----------
    code : int
        The SCPI (negative) or instrument-specific (positive) error code.
    message : str, optional
        The queue text; the standard text of ``code`` when omitted.
    detail : str, optional
        Why, for the simulator's debug log only (the queue keeps the
        instrument's own text).
    """

    def __init__(self, code: int, message: str | None = None, detail: str = "") -> None:
        self.code = code
        self.message = message or ERROR_MESSAGES.get(code, "Error")
        self.detail = detail
        super().__init__(f"{code},\"{self.message}\"" + (f" ({detail})" if detail else ""))

    @property
    def is_command_error(self) -> bool:
        """True for -1xx errors, after which the rest of the message is skipped."""
        return -200 < self.code <= -100


class _Node:
    __slots__ = ("short", "long", "optional", "suffix")

    def __init__(self, word: str, optional: bool, suffix: bool) -> None:
        self.long = word.upper()
        self.short = "".join(c for c in word if not c.islower()).upper() or self.long
        self.optional = optional
        self.suffix = suffix


class Command:
    """One header of a command tree and what to do with it.

    ``write(instrument, args, suffixes)`` runs the command form,
    ``query(instrument, args, suffixes)`` returns the reply of the query
    form; either may be ``None``. ``modes``, when given, lists the instrument
    modes the command is permitted in.
    """

    __slots__ = ("pattern", "nodes", "write", "query", "modes", "while_muted")

    def __init__(
        self,
        pattern: str,
        nodes: tuple[_Node, ...],
        write: Handler | None,
        query: Handler | None,
        modes: frozenset[str] | None,
        while_muted: bool,
    ) -> None:
        self.pattern = pattern
        self.nodes = nodes
        self.write = write
        self.query = query
        self.modes = modes
        self.while_muted = while_muted

    def __repr__(self) -> str:
        return f"Command({self.pattern!r})"


_PIECE = re.compile(r"\[:?(\*?[A-Za-z]+)(#?)\]|:?(\*?[A-Za-z]+)(#?)")
_TOKEN = re.compile(r"(\*?[A-Z_]+?)(\d*)")


def _compile(pattern: str) -> tuple[_Node, ...]:
    nodes = []
    pos = 0
    for m in _PIECE.finditer(pattern):
        if m.start() != pos:
            break
        pos = m.end()
        if m.group(1):
            nodes.append(_Node(m.group(1), True, bool(m.group(2))))
        else:
            nodes.append(_Node(m.group(3), False, bool(m.group(4))))
    if pos != len(pattern) or not nodes:
        raise ValueError(f"Cannot compile SCPI pattern {pattern!r}: bad syntax at {pos}.")
    return tuple(nodes)


def _match(
    nodes: tuple[_Node, ...], tokens: list[tuple[str, int | None]], ni: int, ti: int
) -> list[int | None] | None:
    if ni == len(nodes):
        return [] if ti == len(tokens) else None
    node = nodes[ni]
    if ti < len(tokens):
        name, suffix = tokens[ti]
        if (name == node.short or name == node.long) and (suffix is None or node.suffix):
            rest = _match(nodes, tokens, ni + 1, ti + 1)
            if rest is not None:
                return [suffix, *rest] if node.suffix else rest
    if node.optional:
        rest = _match(nodes, tokens, ni + 1, ti)
        if rest is not None:
            return [None, *rest] if node.suffix else rest
    return None


class CommandTree:
    """The headers an instrument understands, with a resolution cache.

    Examples
    --------
    >>> tree = CommandTree()
    >>> tree.add("[:SOURce#]:VOLTage[:LEVel]", query=lambda inst, args, sfx: sfx)
    >>> cmd, sfx, path = tree.resolve("", "SOUR2:VOLT")
    >>> cmd.query(None, (), sfx)
    (2,)
    """

    _CACHE_LIMIT = 4096

    def __init__(self) -> None:
        self._commands: list[Command] = []
        self._common: dict[str, Command] = {}
        self._cache: dict[tuple[str, str], tuple[Command, Suffixes, str]] = {}

    def add(
        self,
        pattern: str,
        *,
        write: Handler | None = None,
        query: Handler | None = None,
        modes: Sequence[str] | None = None,
        while_muted: bool = False,
    ) -> None:
        """Register ``pattern`` (see the module docstring) with its handlers."""
        cmd = Command(
            pattern,
            _compile(pattern),
            write,
            query,
            frozenset(modes) if modes is not None else None,
            while_muted,
        )
        if pattern.startswith("*"):
            self._common[pattern.upper()] = cmd
        else:
            self._commands.append(cmd)
        self._cache.clear()

    def __iter__(self) -> Iterator[Command]:
        yield from self._common.values()
        yield from self._commands

    def resolve(self, path: str, header: str) -> tuple[Command, Suffixes, str]:
        """Find the command for ``header`` (upper case, no ``?``) under ``path``.

        Returns the command, its suffixes and the path for the next unit.
        Raises :class:`ScpiError` -113 when nothing matches.
        """
        key = (path, header)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        if header.startswith("*"):
            cmd = self._common.get(header)
            if cmd is None:
                raise ScpiError(-113, detail=f"no common command {header}")
            hit = (cmd, (), path)
        else:
            full = header[1:] if header.startswith(":") else (f"{path}:{header}" if path else header)
            hit = self._resolve_path(full, header)
        if len(self._cache) >= self._CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = hit
        return hit

    def _resolve_path(self, full: str, header: str) -> tuple[Command, Suffixes, str]:
        parts = full.split(":")
        tokens = []
        for part in parts:
            m = _TOKEN.fullmatch(part)
            if m is None:
                raise ScpiError(-113, detail=f"bad header {header!r}")
            tokens.append((m.group(1), int(m.group(2)) if m.group(2) else None))
        for cmd in self._commands:
            sfx = _match(cmd.nodes, tokens, 0, 0)
            if sfx is not None:
                return cmd, tuple(sfx), ":".join(parts[:-1])
        raise ScpiError(-113, detail=f"no header {full!r}")


def _split_outside(text: str, sep: str) -> list[str]:
    """Split ``text`` on ``sep`` outside quotes and parentheses."""
    out = []
    depth = 0
    quote = ""
    start = 0
    for i, c in enumerate(text):
        if quote:
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == sep and depth == 0:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return out


def split_units(message: str) -> list[str]:
    """Split a program message into its ``;``-separated units."""
    if '"' not in message and "'" not in message:
        return message.split(";")
    return _split_outside(message, ";")


def split_params(text: str) -> list[str]:
    """Split a unit's parameter text on top-level commas, stripping each."""
    if "(" not in text and '"' not in text and "'" not in text:
        return [p.strip() for p in text.split(",")]
    return [p.strip() for p in _split_outside(text, ",")]
