"""The base of every simulated instrument: message handling and common commands.

An instrument executes whole program messages (:meth:`SimInstrument.handle`)
and keeps a SCPI error queue, the standard event status register and the
``SIM:`` fault subtree. Models add their own headers by extending
:meth:`SimInstrument.build_commands`.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import TYPE_CHECKING, ClassVar, Sequence

from . import _params as P
from ._scpi import CommandTree, ScpiError, Suffixes, split_params, split_units

if TYPE_CHECKING:
    from ._bench import Bench, Node

__all__ = ["DropConnection", "SimInstrument"]

log = logging.getLogger("benchplan.devices.simbench")

Args = Sequence[str]


class DropConnection(Exception):
    """Raised out of :meth:`SimInstrument.handle` by ``SIM:DROP``.

    The server then closes every connection of the instrument.
    """


def _esr_bit(code: int) -> int:
    if -200 < code <= -100:
        return 32  # command error
    if -300 < code <= -200:
        return 16  # execution error
    if -500 < code <= -400:
        return 4  # query error
    return 8  # device-dependent error


class SimInstrument:
    """A simulated SCPI instrument on the bench.

    Parameters
    ----------
    name : str
        The instrument's name on the bench (``'dp832'``).
    bench : Bench
        The shared bench: clock, lock and the nodes a DMM can read.
    serial : str
        The serial number ``*IDN?`` reports.

    Attributes
    ----------
    muted : bool
        While true the instrument discards every message except ``SIM:MUTE``.
    latency : float
        Seconds added before each reply.
    mode : str or None
        The instrument's function mode, for models that have modes.
    """

    maker: ClassVar[str] = "benchplan"
    model: ClassVar[str] = "SIM"
    firmware: ClassVar[str] = "1.0"
    error_queue_size: ClassVar[int] = 20
    #: Mode-restricted commands push this code and text in the wrong mode.
    mode_error: ClassVar[tuple[int, str]] = (700, "Command not permitted in this mode")
    _class_tree: ClassVar[CommandTree]

    def __init__(self, name: str, bench: Bench, *, serial: str) -> None:
        self.name = name
        self.bench = bench
        self.serial = serial
        self.errors: deque[tuple[int, str]] = deque()
        self.esr = 0
        self.ese = 0
        self.sre = 0
        self.muted = False
        self.latency = 0.0
        self.mode: str | None = None
        self._tree = type(self).commands()
        self.reset()

    # -- command tree -------------------------------------------------------

    @classmethod
    def commands(cls) -> CommandTree:
        """The class's command tree, built once per class."""
        tree = cls.__dict__.get("_class_tree")
        if tree is None:
            tree = CommandTree()
            cls.build_commands(tree)
            cls._class_tree = tree
        return tree

    @classmethod
    def build_commands(cls, tree: CommandTree) -> None:
        """Add the class's headers to ``tree``; subclasses call ``super()`` first."""
        tree.add("*IDN", query=lambda s, a, x: s.idn())
        tree.add("*RST", write=lambda s, a, x: s.reset())
        tree.add("*CLS", write=lambda s, a, x: s.clear_status())
        tree.add("*OPC", write=SimInstrument._opc, query=lambda s, a, x: "1")
        tree.add("*WAI", write=lambda s, a, x: None)
        tree.add("*TST", query=lambda s, a, x: "0")
        tree.add("*ESR", query=SimInstrument._esr_query)
        tree.add("*ESE", write=SimInstrument._ese_write, query=lambda s, a, x: str(s.ese))
        tree.add("*SRE", write=SimInstrument._sre_write, query=lambda s, a, x: str(s.sre))
        tree.add("*STB", query=lambda s, a, x: str(s.status_byte()))
        tree.add(":SYSTem:ERRor[:NEXT]", query=lambda s, a, x: s.pop_error())
        tree.add(":SYSTem:ERRor:COUNt", query=lambda s, a, x: str(len(s.errors)))
        tree.add(":SYSTem:ERRor:ALL", query=SimInstrument._errors_all)
        tree.add(":SYSTem:VERSion", query=lambda s, a, x: "1999.0")
        for word in ("REMote", "LOCal", "RWLock", "BEEPer[:IMMediate]"):
            tree.add(f":SYSTem:{word}", write=lambda s, a, x: None)
        tree.add(":SIMulation:DROP", write=SimInstrument._sim_drop, while_muted=True)
        tree.add(
            ":SIMulation:MUTE",
            write=SimInstrument._sim_mute,
            query=lambda s, a, x: "1" if s.muted else "0",
            while_muted=True,
        )
        tree.add(
            ":SIMulation:LATency",
            write=SimInstrument._sim_latency,
            query=lambda s, a, x: f"{s.latency:g}",
        )

    # -- behaviour models override -----------------------------------------

    def reset(self) -> None:
        """Put the model in its ``*RST`` state (the error queue is kept)."""

    def update(self) -> None:
        """Bring time-dependent state up to date; called after each message."""

    def output_node(self, channel: int) -> Node:
        """The node a DMM reads at output ``channel`` (supplies only)."""
        raise KeyError(f"{self.model} '{self.name}' has no output a DMM can read")

    # -- messages -----------------------------------------------------------

    def handle(self, message: str) -> str | None:
        """Execute one program message; return the reply line, or None.

        Replies of the message's queries are joined with ``;``. An error is
        pushed onto the queue; after a command error (-1xx) the rest of the
        message is skipped. The caller holds the bench lock.
        """
        replies: list[str] = []
        path = ""
        resolve = self._tree.resolve
        for unit in split_units(message):
            unit = unit.strip()
            if not unit:
                continue
            head, _, rest = unit.partition(" ")
            if "\t" in head:
                head, _, more = head.partition("\t")
                rest = f"{more} {rest}"
            query = head.endswith("?")
            if query:
                head = head[:-1]
            try:
                cmd, sfx, path = resolve(path, head.upper())
                if self.muted and (query or not cmd.while_muted):
                    continue
                func = cmd.query if query else cmd.write
                if func is None:
                    form = "query" if query else "command"
                    raise ScpiError(-113, detail=f"{cmd.pattern} has no {form} form")
                if cmd.modes is not None and self.mode not in cmd.modes:
                    raise ScpiError(*self.mode_error, detail=f"{cmd.pattern} in mode {self.mode}")
                rest = rest.strip()
                result = func(self, split_params(rest) if rest else [], sfx)
            except ScpiError as exc:
                if self.muted:
                    continue
                log.debug("%s '%s': %r -> %s", self.model, self.name, unit, exc)
                self.push_error(exc.code, exc.message)
                if exc.is_command_error:
                    break
                continue
            if query:
                replies.append(result)
        self.update()
        return ";".join(replies) if replies else None

    # -- status and errors ---------------------------------------------------

    def idn(self) -> str:
        """The ``*IDN?`` reply: ``maker,model,serial,firmware``."""
        return f"{self.maker},{self.model},{self.serial},{self.firmware}"

    def push_error(self, code: int, message: str) -> None:
        """Queue an error; a full queue's last entry becomes -350."""
        self.esr |= _esr_bit(code)
        if len(self.errors) >= self.error_queue_size:
            self.errors[-1] = (-350, "Queue overflow")
        else:
            self.errors.append((code, message))

    def pop_error(self) -> str:
        """The ``SYST:ERR?`` reply: the oldest error, or ``0,"No error"``."""
        code, message = self.errors.popleft() if self.errors else (0, "No error")
        return f'{code},"{message}"'

    def clear_status(self) -> None:
        """``*CLS``: empty the error queue and the event status register."""
        self.errors.clear()
        self.esr = 0

    def status_byte(self) -> int:
        """``*STB?``: EAV (4), ESB (32) and MSS (64) bits."""
        stb = (4 if self.errors else 0) | (32 if self.esr & self.ese else 0)
        return stb | (64 if stb & self.sre else 0)

    def _opc(self, args: Args, sfx: Suffixes) -> None:
        self.esr |= 1

    def _esr_query(self, args: Args, sfx: Suffixes) -> str:
        esr, self.esr = self.esr, 0
        return str(esr)

    def _ese_write(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 1)
        self.ese = P.integer(args[0], 0, 255)

    def _sre_write(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 1)
        self.sre = P.integer(args[0], 0, 255)

    def _errors_all(self, args: Args, sfx: Suffixes) -> str:
        out = [self.pop_error() for _ in range(len(self.errors))]
        return ",".join(out) if out else '0,"No error"'

    # -- SIM: subtree --------------------------------------------------------

    def _sim_drop(self, args: Args, sfx: Suffixes) -> None:
        raise DropConnection(self.name)

    def _sim_mute(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 1)
        self.muted = P.boolean(args[0])

    def _sim_latency(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 1)
        self.latency = P.number(args[0], 0.0, 60.0, default=0.0, what="latency")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self.model}>"
