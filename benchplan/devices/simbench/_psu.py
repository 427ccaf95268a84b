"""Power-supply physics shared by the simulated supplies.

Each output drives a :class:`Load`: a resistor, plus current spikes injected
as faults (a current source in parallel with it). A channel regulates voltage
(CV) until the load asks for more than the current limit, then regulates
current (CC)::

    demand = Vset / R + I_spike
    CV:  V = Vset,               I = demand          (demand <= Ilim)
    CC:  V = (Ilim - I_spike)*R, I = Ilim            (demand >  Ilim)

An enabled protection trips when its condition holds: the output switches off
and the channel remembers ``'OVP'`` or ``'OCP'`` until cleared.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable, ClassVar, NamedTuple, Sequence

from . import _params as P
from ._instrument import SimInstrument
from ._scpi import CommandTree, ScpiError, Suffixes

if TYPE_CHECKING:
    from ._bench import Bench, Node

__all__ = ["ChannelSpec", "Load", "SupplyChannel", "SupplyInstrument"]

Args = Sequence[str]


class Load:
    """The load on one output: ``ohms`` (``inf`` is open, 0 a short) and spikes."""

    __slots__ = ("ohms", "spikes")

    def __init__(self, ohms: float) -> None:
        self.ohms = ohms
        self.spikes: list[tuple[float, float]] = []  # (end time, amps)

    def spike_current(self, now: float) -> float:
        """The spike current flowing at ``now``; forgets spikes that ended."""
        if not self.spikes:
            return 0.0
        self.spikes = [s for s in self.spikes if s[0] > now]
        return sum(amps for _, amps in self.spikes)


class ChannelSpec(NamedTuple):
    """The programmable ranges of one output."""

    vmax: float
    imax: float
    imin: float = 0.0

    @property
    def ovp_max(self) -> float:
        """The highest OVP level: 110 % of the voltage range."""
        return round(self.vmax * 1.1, 6)

    @property
    def ocp_max(self) -> float:
        """The highest OCP level: 110 % of the current range."""
        return round(self.imax * 1.1, 6)


def solve(vset: float, ilim: float, ohms: float, spike: float) -> tuple[float, float, str]:
    """Voltage, current and mode of an output into ``ohms`` with ``spike`` amps."""
    if math.isinf(ohms):
        demand = spike
    elif ohms <= 0.0:
        demand = math.inf if vset > 0.0 else spike
    else:
        demand = vset / ohms + spike
    if demand <= ilim + 1e-12:
        return vset, demand, "CV"
    if math.isinf(ohms) or spike >= ilim:
        return 0.0, ilim, "CC"
    return min(vset, (ilim - spike) * ohms), ilim, "CC"


class SupplyChannel:
    """One output of a simulated supply; also a node a DMM can read.

    Attributes
    ----------
    vset, iset : float
        Voltage setpoint and current limit.
    output : bool
        Whether the output is on.
    ovp_on, ovp_level, ocp_on, ocp_level
        Protection states and levels.
    tripped : str or None
        ``'OVP'`` or ``'OCP'`` after a protection tripped, until cleared.
    """

    def __init__(
        self,
        number: int,
        spec: ChannelSpec,
        clock: Callable[[], float],
        load: Load,
        *,
        ocp_on_cc: bool,
        protection_default: bool,
    ) -> None:
        self.number = number
        self.spec = spec
        self.load = load
        self._clock = clock
        self._ocp_on_cc = ocp_on_cc
        self._protection_default = protection_default
        self.reset()

    def reset(self) -> None:
        """The ``*RST`` state: off, 0 V, full current limit, protections at maximum."""
        self.vset = 0.0
        self.iset = self.spec.imax
        self.output = False
        self.ovp_on = self._protection_default
        self.ovp_level = self.spec.ovp_max
        self.ocp_on = self._protection_default and not self._ocp_on_cc
        self.ocp_level = self.spec.ocp_max
        self.ocp_delay = 0.0
        self.tripped: str | None = None

    def evaluate(self) -> tuple[float, float, str]:
        """Voltage, current and mode now; trips a protection whose condition holds."""
        if not self.output:
            return 0.0, 0.0, "CV"
        v, i, mode = solve(self.vset, self.iset, self.load.ohms, self.load.spike_current(self._clock()))
        if self.ovp_on and v > self.ovp_level + 1e-9:
            self.trip("OVP")
        elif self.ocp_on and (mode == "CC" if self._ocp_on_cc else i > self.ocp_level + 1e-9):
            self.trip("OCP")
        else:
            return v, i, mode
        return 0.0, 0.0, "CV"

    def trip(self, which: str) -> None:
        """Switch the output off and remember which protection tripped."""
        self.output = False
        self.tripped = which

    def switch(self, on: bool) -> None:
        """Switch the output; refused (-221) while a protection is tripped."""
        if on and self.tripped:
            raise ScpiError(-221, detail=f"CH{self.number} {self.tripped} tripped; clear it first")
        self.output = on

    def clear(self, which: str | None = None) -> None:
        """Clear the tripped protection (``which`` only, when given)."""
        if which is None or self.tripped == which:
            self.tripped = None

    def voltage(self) -> float:
        """Volts across the load now."""
        return self.evaluate()[0]

    def current(self) -> float:
        """Amps through the load now."""
        return self.evaluate()[1]

    def resistance(self) -> float:
        """Ohms of the load."""
        return self.load.ohms


class SupplyInstrument(SimInstrument):
    """A simulated supply: channels, a selected channel and the ``SIM:`` load faults."""

    specs: ClassVar[tuple[ChannelSpec, ...]] = ()
    #: Keysight-style OCP trips on entering CC; otherwise on exceeding its level.
    ocp_on_cc: ClassVar[bool] = False
    #: Whether OVP (and level-OCP) are enabled after ``*RST``.
    protection_default: ClassVar[bool] = False

    def __init__(self, name: str, bench: Bench, *, serial: str) -> None:
        self.loads = [Load(bench.default_load) for _ in self.specs]
        self.channels = [
            SupplyChannel(
                n + 1,
                spec,
                bench.clock,
                load,
                ocp_on_cc=self.ocp_on_cc,
                protection_default=self.protection_default,
            )
            for n, (spec, load) in enumerate(zip(self.specs, self.loads))
        ]
        self.selected = 1
        super().__init__(name, bench, serial=serial)

    @classmethod
    def build_commands(cls, tree: CommandTree) -> None:
        super().build_commands(tree)
        tree.add(":SIMulation:LOAD", write=SupplyInstrument._sim_load, query=SupplyInstrument._sim_load_query)
        tree.add(":SIMulation:SPIKe", write=SupplyInstrument._sim_spike)

    def reset(self) -> None:
        for ch in self.channels:
            ch.reset()
        self.selected = 1

    def update(self) -> None:
        for ch in self.channels:
            if ch.output:
                ch.evaluate()

    def channel(self, number: int) -> SupplyChannel:
        """Channel ``number`` (from 1); ``ValueError`` naming the range if none."""
        if not 1 <= number <= len(self.channels):
            raise ValueError(
                f"{self.model} '{self.name}' has channels 1..{len(self.channels)}, not {number}."
            )
        return self.channels[number - 1]

    def output_node(self, channel: int) -> Node:
        return self.channel(channel)

    def set_load(self, ohms: float, channel: int | None = None) -> None:
        """Set the load of ``channel`` (all channels when None), in ohms."""
        if not ohms >= 0:
            raise ValueError(
                f"Cannot set a load of {ohms!r} ohm on '{self.name}': it must be >= 0 (inf is open)."
            )
        for load in self._loads(channel):
            load.ohms = float(ohms)
        self.update()

    def spike(self, amps: float, duration: float, channel: int | None = None) -> None:
        """Draw ``amps`` more from ``channel`` (all when None) for ``duration`` s."""
        if not (amps >= 0 and duration >= 0):
            raise ValueError(
                f"Cannot inject a spike of {amps!r} A for {duration!r} s on '{self.name}': "
                "both must be >= 0."
            )
        end = self.bench.clock() + duration
        for load in self._loads(channel):
            load.spikes.append((end, float(amps)))
        self.update()

    def _loads(self, channel: int | None) -> list[Load]:
        return self.loads if channel is None else [self.channel(channel).load]

    # -- SCPI helpers --------------------------------------------------------

    def scpi_channel(self, number: int | None) -> SupplyChannel:
        """Channel ``number`` for a command; the selected one when None."""
        n = self.selected if number is None else number
        if not 1 <= n <= len(self.channels):
            raise ScpiError(-114 if number is not None else -222, detail=f"no channel {n}")
        return self.channels[n - 1]

    def sim_channel(self, text: str) -> int:
        """Parse the channel of a ``SIM:`` command: ``2``, ``CH2`` or ``(@2)``."""
        if text.startswith("("):
            chans = P.channel_list(text, len(self.channels))
            if len(chans) == 1:
                return chans[0]
        else:
            digits = text[2:] if text.upper().startswith("CH") else text
            if digits.isdigit() and 1 <= int(digits) <= len(self.channels):
                return int(digits)
        raise ScpiError(-224, detail=f"bad channel {text!r}")

    def _sim_load(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 1, 2)
        ohms = P.number(args[0], 0.0, math.inf, what="load")
        self.set_load(ohms, self.sim_channel(args[1]) if len(args) > 1 else None)

    def _sim_load_query(self, args: Args, sfx: Suffixes) -> str:
        P.count(args, 0, 1)
        return f"{self.channels[self.sim_channel(args[0]) - 1 if args else 0].load.ohms:g}"

    def _sim_spike(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 2, 3)
        amps = P.number(args[0], 0.0, 1e3, what="spike current")
        seconds = P.number(args[1], 0.0, 1e6, what="spike duration")
        self.spike(amps, seconds, self.sim_channel(args[2]) if len(args) > 2 else None)
