"""The shared state of the simulated bench: clock, lock, instruments, nodes.

Every instrument of one :class:`~benchplan.devices.simbench.SimBench` lives on
one :class:`Bench`, so a DMM can read the output of a supply (a *node*, named
``'<instrument>.ch<n>'``, or just ``'<instrument>'`` for channel 1).
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Protocol

from ._dmm import DMM34461A
from ._instrument import SimInstrument
from ._k2281s import K2281S
from ._keysight import E36312A
from ._rigol import DP821, DP832

__all__ = ["MODELS", "Bench", "ManualClock", "Node"]

#: The instrument models a bench can hold, by model name.
MODELS: dict[str, type[SimInstrument]] = {
    "DP832": DP832,
    "DP821": DP821,
    "E36312A": E36312A,
    "2281S": K2281S,
    "34461A": DMM34461A,
}


class ManualClock:
    """A clock that moves only when told to, for tests of time-dependent models.

    Parameters
    ----------
    start : float
        The initial reading, in seconds.

    Examples
    --------
    >>> clock = ManualClock()
    >>> clock.advance(1.5)
    >>> clock()
    1.5
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)

    def __call__(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (not negative)."""
        if seconds < 0:
            raise ValueError(
                f"Cannot move a ManualClock back by {-seconds:g} s; advance() takes "
                "seconds >= 0."
            )
        self._now += seconds


class Node(Protocol):
    """Something a DMM can measure: an instrument output across its load."""

    def voltage(self) -> float:
        """Volts across the load."""
        ...

    def current(self) -> float:
        """Amps through the load."""
        ...

    def resistance(self) -> float:
        """Ohms of the load."""
        ...


class Bench:
    """The instruments of one simulated bench and what they share.

    Parameters
    ----------
    clock : callable
        Returns seconds; drives spikes, battery discharge and timestamps.
    load : float
        The default load, in ohms, on every supply output.
    """

    def __init__(self, clock: Callable[[], float] | None = None, *, load: float = 10.0) -> None:
        self.clock: Callable[[], float] = clock or time.monotonic
        self.t0 = self.clock()
        self.default_load = load
        self.lock = threading.RLock()
        self.instruments: dict[str, SimInstrument] = {}

    def add(self, name: str, model: str) -> SimInstrument:
        """Create an instrument of ``model`` (a key of :data:`MODELS`) named ``name``."""
        cls = MODELS.get(model.upper())
        if cls is None:
            raise ValueError(
                f"Cannot add instrument {name!r}: unknown model {model!r}; the simulated "
                f"bench has {', '.join(MODELS)}."
            )
        if name in self.instruments:
            raise ValueError(f"Cannot add instrument {name!r}: the bench already has one by that name.")
        inst = cls(name, self, serial=f"SIM{len(self.instruments) + 1:05d}")
        self.instruments[name] = inst
        return inst

    def instrument(self, name: str) -> SimInstrument:
        """The instrument called ``name``; ``KeyError`` naming the others if none."""
        try:
            return self.instruments[name]
        except KeyError:
            raise KeyError(
                f"The simulated bench has no instrument {name!r}; it has "
                f"{', '.join(self.instruments) or 'none'}."
            ) from None

    def node(self, name: str) -> Node:
        """The node ``'<instrument>.ch<n>'`` (or ``'<instrument>'`` for channel 1)."""
        inst_name, dot, ch = name.partition(".")
        channel = 1
        if dot:
            if not (ch.lower().startswith("ch") and ch[2:].isdigit()):
                raise ValueError(
                    f"Cannot read node {name!r}: a node is named '<instrument>.ch<n>', "
                    "e.g. 'dp832.ch1'."
                )
            channel = int(ch[2:])
        return self.instrument(inst_name).output_node(channel)

    def now(self) -> float:
        """Seconds since the bench was made, on the bench clock."""
        return self.clock() - self.t0
