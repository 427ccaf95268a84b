"""Simulated detectors with ophyd.sim's data keys."""

from __future__ import annotations

import math
from typing import Any, Callable

from ._device import Device
from ._sim_motor import sim_signal_r_and_setter, sim_signal_rw
from ._status import Status

__all__ = ["NOISE_KINDS", "SimGaussianDetector"]

#: The values of a Gaussian detector's ``noise`` setting.
NOISE_KINDS = ("none", "poisson", "uniform")


class SimGaussianDetector(Device):
    """A detector reading a Gaussian of a motor's position, like ophyd.sim's ``SynGauss``.

    On :meth:`trigger` the value becomes
    ``Imax * exp(-(x - center)**2 / (2 * sigma**2))`` where ``x`` is
    ``motor.read()[motor_field]['value']``, plus noise if asked for.
    ``read()`` gives ``{name: ...}``; the configuration gives ``{name}_Imax``,
    ``{name}_center``, ``{name}_sigma``, ``{name}_noise`` and
    ``{name}_noise_multiplier``, which are signals and can be changed.

    Parameters
    ----------
    name : str
        The detector's name and data key.
    motor : readable device
        The motor whose position the peak follows.
    motor_field : str
        The data key of the motor's position, usually the motor's name.
    center, Imax : float
        Where the peak is and its height.
    sigma : float, optional
        The peak's width; must be positive. Default 1.
    noise : {'none', 'poisson', 'uniform'}, optional
        'poisson' draws a Poisson count around the value; 'uniform' adds
        ``uniform(-1, 1) * noise_multiplier``.
    noise_multiplier : float, optional
        Scale of the 'uniform' noise. Default 1.
    random_state : numpy Generator or RandomState, optional
        Source of the noise, e.g. ``numpy.random.default_rng(0)`` for
        repeatable values. Default: a fresh generator.

    Examples
    --------
    >>> from benchplan.devices.sim import SimMotor
    >>> m = SimMotor("m")
    >>> d = SimGaussianDetector("d", m, "m", center=0, Imax=2)
    >>> _ = m.set(0.0); _ = d.trigger()
    >>> d.read()["d"]["value"]
    2.0
    """

    def __init__(
        self,
        name: str,
        motor: Any,
        motor_field: str,
        center: float,
        Imax: float,
        sigma: float = 1,
        noise: str = "none",
        noise_multiplier: float = 1,
        random_state: Any = None,
    ) -> None:
        if not sigma > 0:
            raise ValueError(
                f"Cannot make detector {name!r} with sigma={sigma!r}: the width of "
                "the peak must be a positive number."
            )
        if noise not in NOISE_KINDS:
            raise ValueError(
                f"Cannot make detector {name!r} with noise={noise!r}: use one of "
                + ", ".join(repr(k) for k in NOISE_KINDS)
                + "."
            )
        super().__init__(name)
        self.val, self._set_val = sim_signal_r_and_setter(
            float, 0.0, kind="hinted", precision=3
        )
        self.Imax = sim_signal_rw(float, Imax, kind="config")
        self.center = sim_signal_rw(float, center, kind="config")
        self.sigma = sim_signal_rw(float, sigma, kind="config")
        self.noise = sim_signal_rw(str, noise, kind="config", choices=NOISE_KINDS)
        self.noise_multiplier = sim_signal_rw(float, noise_multiplier, kind="config")
        self._motor = motor
        self._motor_field = motor_field
        self._rng = random_state
        self.val.name = name
        self.trigger()

    def set_name(self, name: str) -> None:
        """Rename the detector; its value keeps the detector's own name."""
        super().set_name(name)
        self.val.name = name

    def trigger(self) -> Status:
        """Compute a new value from the motor's position; return a finished status."""
        x = self._motor.read()[self._motor_field]["value"]
        sigma = self.sigma.get()
        value = self.Imax.get() * math.exp(-((x - self.center.get()) ** 2) / (2 * sigma * sigma))
        noise = self.noise.get()
        if noise != "none":
            value = self._add_noise(value, noise)
        self._set_val(value)
        return Status.finished(self)

    def _add_noise(self, value: float, noise: str) -> float:
        rng = self._rng
        if rng is None:
            import numpy

            rng = self._rng = numpy.random.default_rng()
        if noise == "poisson":
            return float(rng.poisson(round(value)))
        multiplier: float = self.noise_multiplier.get()
        return value + float(rng.uniform(-1, 1)) * multiplier

    def subscribe(
        self, callback: Callable[..., None], event_type: str | None = None, run: bool = True
    ) -> int:
        """Subscribe to the detector's value; see :meth:`SignalR.subscribe`."""
        return self.val.subscribe(callback, event_type, run)

    def clear_sub(self, callback: Callable[..., None] | int, event_type: str | None = None) -> None:
        """Remove a value subscription, by token or callback."""
        self.val.clear_sub(callback, event_type)
