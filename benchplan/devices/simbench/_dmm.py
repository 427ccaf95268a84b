"""Simulated Keysight 34461A digital multimeter.

The DMM reads one node of the bench (``SIM:NODE "dp832.ch1"``, or
:attr:`DMM34461A.node` from Python): DC volts across the node's load, DC amps
through it (as if wired in series), or the load's resistance. Readings get
Gaussian noise when :attr:`DMM34461A.noise` is set: a standard deviation of
``noise * max(|value|, 1)``, from a generator seeded by ``SIM:SEED``.

``MEAS:<func>? [range[,resolution]]`` configures and reads in one go;
``CONF:<func>`` then ``READ?``, or ``INIT`` then ``FETC?``, split it.
``SAMP:COUN`` readings come back comma-separated as ``+5.00000000E+00``; a
reading beyond 120 % of a fixed range reads ``+9.90000000E+37`` (overload).
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING, Sequence

from . import _params as P
from ._instrument import SimInstrument
from ._scpi import CommandTree, Handler, ScpiError, Suffixes

if TYPE_CHECKING:
    from ._bench import Bench, Node

__all__ = ["DMM34461A"]

Args = Sequence[str]
OVERLOAD = 9.9e37

#: Function -> (keyword, ranges, node method).
_FUNCTIONS: dict[str, tuple[str, tuple[float, ...], str]] = {
    "VOLT": ("VOLTage[:DC]", (0.1, 1.0, 10.0, 100.0, 1000.0), "voltage"),
    "CURR": ("CURRent[:DC]", (1e-4, 1e-3, 1e-2, 0.1, 1.0, 3.0), "current"),
    "RES": ("RESistance", (1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8), "resistance"),
    "FRES": ("FRESistance", (1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8), "resistance"),
}
#: ``FUNC "..."`` names (after VOLTAGE/CURRENT -> VOLT/CURR) -> function.
_FUNC_NAMES = {
    "VOLT": "VOLT", "VOLT:DC": "VOLT", "CURR": "CURR", "CURR:DC": "CURR", "RES": "RES", "FRES": "FRES",
}  # fmt: skip


def _num(value: float) -> str:
    return f"{value:+.8E}"


class DMM34461A(SimInstrument):
    """Keysight 34461A reading a node of the bench.

    Attributes
    ----------
    node : str or None
        The node read (``'dp832.ch1'``); None reads 0 V, 0 A and an open.
    noise : float
        Relative standard deviation of the reading noise (0: exact).
    """

    maker = "Keysight Technologies"
    model = "34461A"
    firmware = "A.03.01-02.40-03.01-00.52-01-01"

    def __init__(self, name: str, bench: Bench, *, serial: str) -> None:
        self._node_name: str | None = None
        self._node: Node | None = None
        self.noise = 0.0
        self.rng = random.Random(0)
        super().__init__(name, bench, serial=serial)

    @property
    def node(self) -> str | None:
        return self._node_name

    @node.setter
    def node(self, name: str | None) -> None:
        self._node = None if name is None else self.bench.node(name)
        self._node_name = name

    def reset(self) -> None:
        self.function = "VOLT"
        self.settings = {f: {"range": r[1][2] if f == "VOLT" else r[1][-1], "auto": True, "nplc": 10.0}
                         for f, r in _FUNCTIONS.items()}  # fmt: skip
        self.samples = 1
        self.triggers = 1
        self.trigger_source = "IMM"
        self.memory: list[float] | None = None

    @classmethod
    def build_commands(cls, tree: CommandTree) -> None:
        super().build_commands(tree)
        c = DMM34461A
        for func, (word, _, _) in _FUNCTIONS.items():
            tree.add(f":MEASure:{word}", query=c._measure(func))
            tree.add(f":CONFigure:{word}", write=c._configure(func))
            tree.add(f"[:SENSe]:{word}:RANGe", write=c._range(func), query=c._range_query(func))
            tree.add(f"[:SENSe]:{word}:RANGe:AUTO", write=c._auto(func), query=c._auto_query(func))
            tree.add(f"[:SENSe]:{word}:NPLCycles", write=c._nplc(func), query=c._nplc_query(func))
        tree.add(":CONFigure", query=c._conf_query)
        tree.add("[:SENSe]:FUNCtion[:ON]", write=c._function, query=lambda s, a, x: f'"{s.function}"')
        tree.add(":SAMPle:COUNt", write=c._count("samples"), query=lambda s, a, x: str(s.samples))
        tree.add(":TRIGger:COUNt", write=c._count("triggers"), query=lambda s, a, x: str(s.triggers))
        tree.add(":TRIGger:SOURce", write=c._trigger_source, query=lambda s, a, x: s.trigger_source)
        tree.add(":INITiate[:IMMediate]", write=lambda s, a, x: s.initiate())
        tree.add(":FETCh", query=c._fetch)
        tree.add(":READ", query=c._read)
        tree.add(":DATA:POINts", query=lambda s, a, x: str(len(s.memory or ())))
        tree.add(":ABORt", write=lambda s, a, x: None)
        tree.add(":SIMulation:NODE", write=c._sim_node, query=lambda s, a, x: f'"{s.node or ""}"')
        tree.add(":SIMulation:NOISe", write=c._sim_noise, query=lambda s, a, x: f"{s.noise:g}")
        tree.add(":SIMulation:SEED", write=c._sim_seed)

    # -- readings ---------------------------------------------------------------

    def reading(self) -> float:
        """One reading of the present function, with noise and overload."""
        method = _FUNCTIONS[self.function][2]
        if self._node is None:
            value = math.inf if method == "resistance" else 0.0
        else:
            value = getattr(self._node, method)()
        if math.isinf(value):
            return OVERLOAD
        if self.noise:
            value += self.rng.gauss(0.0, self.noise * max(abs(value), 1.0))
        s = self.settings[self.function]
        if not s["auto"] and abs(value) > 1.2 * s["range"]:
            return OVERLOAD
        return value

    def initiate(self) -> None:
        """Take ``samples * triggers`` readings into memory."""
        self.memory = [self.reading() for _ in range(self.samples * self.triggers)]

    def _read(self, args: Args, sfx: Suffixes) -> str:
        self.initiate()
        return self._fetch(args, sfx)

    def _fetch(self, args: Args, sfx: Suffixes) -> str:
        if self.memory is None:
            raise ScpiError(-230, detail="FETC? without INIT")
        return ",".join(_num(v) for v in self.memory)

    # -- configuration ----------------------------------------------------------

    def _apply_range(self, func: str, args: Args) -> None:
        P.count(args, 0, 2)
        s = self.settings[func]
        ranges = _FUNCTIONS[func][1]
        if not args or args[0].upper() in ("AUTO", "DEF", "DEFAULT"):
            s["auto"] = True
            return
        wanted = P.number(args[0], 0.0, ranges[-1] * 1.2, what=f"{func} range")
        s["range"] = next(r for r in ranges if r >= wanted * 0.999) if wanted <= ranges[-1] else ranges[-1]
        s["auto"] = False
        if len(args) > 1 and args[1].upper() not in ("DEF", "DEFAULT", "MIN", "MAX"):
            P.number(args[1], 0.0, ranges[-1], what="resolution")

    @staticmethod
    def _measure(func: str) -> Handler:
        def read(self: DMM34461A, args: Args, sfx: Suffixes) -> str:
            self._apply_range(func, args)
            self.function = func
            self.initiate()
            return self._fetch((), sfx)

        return read

    @staticmethod
    def _configure(func: str) -> Handler:
        def write(self: DMM34461A, args: Args, sfx: Suffixes) -> None:
            self._apply_range(func, args)
            self.function = func
            self.memory = None

        return write

    def _conf_query(self, args: Args, sfx: Suffixes) -> str:
        s = self.settings[self.function]
        return f'"{self.function} {_num(s["range"])},{_num(s["range"] * 3e-6 / s["nplc"])}"'

    @staticmethod
    def _range(func: str) -> Handler:
        def write(self: DMM34461A, args: Args, sfx: Suffixes) -> None:
            P.count(args, 1)
            self._apply_range(func, args)

        return write

    @staticmethod
    def _range_query(func: str) -> Handler:
        return lambda self, args, sfx: _num(self.settings[func]["range"])

    @staticmethod
    def _auto(func: str) -> Handler:
        def write(self: DMM34461A, args: Args, sfx: Suffixes) -> None:
            P.count(args, 1)
            self.settings[func]["auto"] = P.boolean(args[0])

        return write

    @staticmethod
    def _auto_query(func: str) -> Handler:
        return lambda self, args, sfx: "1" if self.settings[func]["auto"] else "0"

    @staticmethod
    def _nplc(func: str) -> Handler:
        def write(self: DMM34461A, args: Args, sfx: Suffixes) -> None:
            P.count(args, 1)
            self.settings[func]["nplc"] = P.number(args[0], 0.02, 100.0, default=10.0, what="NPLC")

        return write

    @staticmethod
    def _nplc_query(func: str) -> Handler:
        return lambda self, args, sfx: _num(self.settings[func]["nplc"])

    def _function(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 1)
        text = P.string(args[0]).upper().replace("VOLTAGE", "VOLT").replace("CURRENT", "CURR")
        name = _FUNC_NAMES.get(text)
        if name is None:
            raise ScpiError(-224, detail=f"no function {args[0]}")
        self.function = name
        self.memory = None

    @staticmethod
    def _count(attr: str) -> Handler:
        def write(self: DMM34461A, args: Args, sfx: Suffixes) -> None:
            P.count(args, 1)
            setattr(self, attr, P.integer(args[0], 1, 10000, what=attr))

        return write

    def _trigger_source(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 1)
        self.trigger_source = P.choice(args[0], ("IMMediate", "BUS", "EXTernal"))

    # -- SIM: --------------------------------------------------------------------

    def _sim_node(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 1)
        name = P.string(args[0])
        try:
            self.node = name or None
        except (KeyError, ValueError) as exc:
            raise ScpiError(-224, detail=str(exc)) from None

    def _sim_noise(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 1)
        self.noise = P.number(args[0], 0.0, 1.0, what="noise")

    def _sim_seed(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 1)
        self.rng.seed(P.integer(args[0], 0, 2**31 - 1, what="seed"))
