"""The battery model of the simulated Keithley 2281S (SIM mode).

A model is two 101-point tables over the state of charge (0..100 %): the
open-circuit voltage ``Voc`` (non-decreasing) and the internal resistance
``R`` (non-increasing), plus a capacity. With the output on, the battery
drives the output's load (a resistor and injected spikes)::

    I = (Voc + I_spike * R_load) / (R_load + R),   Vterm = Voc(SoC) - I * R

limited to the current limit, and in ``DYNamic`` method the charge drains:
``dSoC/dt = -100 * I / (capacity * 3600)`` % per second, integrated on the
bench clock each time the state is read. ``STATic`` keeps the SoC fixed.
The built-in models are plausible shapes for their chemistry, not
measurements.
"""

from __future__ import annotations

import bisect
import math
from typing import Callable, NamedTuple, Sequence

from ._psu import Load

__all__ = ["BUILTIN_MODELS", "BatteryModel", "BatterySim"]


class BatteryModel(NamedTuple):
    """Voc and R tables (101 points each, 0..100 % SoC) and capacity in Ah."""

    voc: tuple[float, ...]
    res: tuple[float, ...]
    capacity: float


def _table(points: Sequence[tuple[float, float]], scale: float = 1.0) -> tuple[float, ...]:
    socs = [p[0] for p in points]
    out = []
    for soc in range(101):
        k = min(max(bisect.bisect_right(socs, soc), 1), len(points) - 1)
        (s0, v0), (s1, v1) = points[k - 1], points[k]
        out.append(round(scale * (v0 + (v1 - v0) * (soc - s0) / (s1 - s0)), 6))
    return tuple(out)


_NIMH_VOC = [(0, 1.0), (10, 1.2), (80, 1.3), (100, 1.4)]
_NIMH_RES = [(0, 0.08), (100, 0.03)]

#: The models ``:BATT:MOD:RCL`` knows by name.
BUILTIN_MODELS: dict[str, BatteryModel] = {
    "LI-ION4_2": BatteryModel(
        _table([(0, 3.0), (5, 3.3), (10, 3.45), (20, 3.55), (40, 3.68), (60, 3.8), (80, 3.95), (100, 4.2)]),
        _table([(0, 0.3), (20, 0.15), (100, 0.1)]),
        2.0,
    ),
    "NIMH1_2": BatteryModel(_table(_NIMH_VOC), _table(_NIMH_RES), 2.0),
    "NICD1_2": BatteryModel(
        _table([(0, 1.0), (10, 1.15), (90, 1.25), (100, 1.35)]), _table([(0, 0.06), (100, 0.02)]), 1.0
    ),
    "LEAD-ACID12": BatteryModel(_table([(0, 11.6), (100, 12.8)]), _table([(0, 0.03), (100, 0.01)]), 7.0),
    "NIMH12": BatteryModel(_table(_NIMH_VOC, 10.0), _table(_NIMH_RES, 10.0), 2.0),
}


def _interp(table: Sequence[float], soc: float) -> float:
    k = min(int(soc), 99)
    return table[k] + (table[k + 1] - table[k]) * (soc - k)


class BatterySim:
    """State and dynamics of the simulated battery.

    Attributes
    ----------
    soc : float
        State of charge in percent.
    dynamic : bool
        Whether the SoC follows the current (``DYN``) or stays (``STAT``).
    capacity : float
        The capacity limit in Ah.
    current_limit : float
        The most current the simulator delivers, in amps.
    """

    def __init__(self, clock: Callable[[], float], load: Load, model: BatteryModel) -> None:
        self._clock = clock
        self.load = load
        self.output = False
        self.dynamic = True
        self.current_limit = 1.0
        self.tvol_protection = 0.0
        self.current_protection = 6.1
        self.res_offset = 0.0
        self.recall(model)
        self._last = clock()

    def recall(self, model: BatteryModel) -> None:
        """Use ``model``: its tables, capacity and end voltages; full charge."""
        self.model = model
        self.capacity = model.capacity
        self.voc_empty, self.voc_full = model.voc[0], model.voc[100]
        self.soc = 100.0

    # -- the model -----------------------------------------------------------

    def voc(self) -> float:
        """Open-circuit voltage at the present SoC, scaled to the end voltages."""
        voc = self.model.voc
        span = voc[100] - voc[0]
        frac = (_interp(voc, self.soc) - voc[0]) / span if span else self.soc / 100.0
        return self.voc_empty + frac * (self.voc_full - self.voc_empty)

    def set_voc(self, volts: float) -> None:
        """Set the SoC at which the open-circuit voltage is ``volts``."""
        lo, hi = 0.0, 100.0
        for _ in range(50):
            self.soc = (lo + hi) / 2
            if self.voc() < volts:
                lo = self.soc
            else:
                hi = self.soc
        self.soc = round(hi, 6)

    def resistance(self) -> float:
        """Internal resistance at the present SoC, with the offset (>= 0)."""
        return max(0.0, _interp(self.model.res, self.soc) + self.res_offset)

    def operating_point(self, now: float) -> tuple[float, float]:
        """Terminal voltage and current (discharge positive) at the present SoC."""
        voc, r = self.voc(), self.resistance()
        if not self.output:
            return voc, 0.0
        spike, ohms = self.load.spike_current(now), self.load.ohms
        if math.isinf(ohms):
            i = spike
        elif ohms <= 0.0:
            i = math.inf
        else:
            i = (voc + spike * ohms) / (ohms + r)
        if i > self.current_limit:
            i = self.current_limit
            v = voc - i * r if math.isinf(ohms) else min(voc - i * r, (i - spike) * ohms)
        else:
            v = voc - i * r
        return max(v, 0.0), i

    def advance(self) -> None:
        """Integrate the SoC from the last reading to now."""
        now = self._clock()
        dt, self._last = now - self._last, now
        if not (self.output and self.dynamic):
            return
        charge = self.capacity * 3600.0  # As
        while dt > 0 and self.soc > 0:
            i = self.operating_point(now)[1]
            if i <= 0:
                break
            step = min(dt, max(1e-3, 1e-3 * charge / i))  # about 0.1 % SoC per step
            self.soc = max(0.0, self.soc - 100.0 * i * step / charge)
            dt -= step

    def terminal(self) -> tuple[float, float]:
        """Advance, then the terminal voltage and current."""
        self.advance()
        return self.operating_point(self._clock())

    def switch(self, on: bool) -> None:
        """Switch the output, bringing the SoC up to date first."""
        self.advance()
        self.output = on
