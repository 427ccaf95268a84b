"""Simulated devices, and ready-made instances, that read like ophyd.sim's.

The instances have ophyd.sim's names, data keys and peak parameters, so
plans, tables and plots look the same with either:

========== ==================================================================
motor      a :class:`SimMotor`; also ``motor1``, ``motor2``
det        Gaussian of ``motor``: center 0, Imax 1, sigma 1
det1       Gaussian of ``motor1``: center 0, Imax 5, sigma 0.5
det2       Gaussian of ``motor2``: center 1, Imax 2, sigma 2
noisy_det  Gaussian of ``motor`` with uniform noise of +-0.1
bool_sig   a boolean soft signal, False
========== ==================================================================

Examples
--------
>>> from benchplan.devices.sim import det, motor
>>> _ = motor.set(0.0); _ = det.trigger()
>>> det.read()["det"]["value"]
1.0
"""

from __future__ import annotations

from ._sim_detectors import NOISE_KINDS, SimGaussianDetector
from ._sim_motor import SimMotor, sim_signal_rw

__all__ = [
    "NOISE_KINDS",
    "SimGaussianDetector",
    "SimMotor",
    "bool_sig",
    "det",
    "det1",
    "det2",
    "motor",
    "motor1",
    "motor2",
    "noisy_det",
]

for _cls in (SimGaussianDetector, SimMotor):
    _cls.__module__ = __name__

motor = SimMotor("motor")
motor1 = SimMotor("motor1")
motor2 = SimMotor("motor2")
det = SimGaussianDetector("det", motor, "motor", center=0, Imax=1, sigma=1)
det1 = SimGaussianDetector("det1", motor1, "motor1", center=0, Imax=5, sigma=0.5)
det2 = SimGaussianDetector("det2", motor2, "motor2", center=1, Imax=2, sigma=2)
noisy_det = SimGaussianDetector(
    "noisy_det", motor, "motor", center=0, Imax=1, sigma=1,
    noise="uniform", noise_multiplier=0.1,
)
bool_sig = sim_signal_rw(bool, False, kind="hinted")
bool_sig.name = "bool_sig"
