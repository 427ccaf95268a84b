"""Devices: statuses, signals, soft signals and the Device base.

The simulated devices are in :mod:`benchplan.devices.sim`; the device
protocols the engine checks are in :mod:`benchplan.protocols`.
"""

from ._backend import SignalBackend, UpdateCallback
from ._device import Device
from ._signal import KINDS, SignalR, SignalRW
from ._soft import SoftSignalBackend, soft_signal_r_and_setter, soft_signal_rw
from ._status import Status, StatusCallback

__all__ = [
    "Device",
    "KINDS",
    "SignalBackend",
    "SignalR",
    "SignalRW",
    "SoftSignalBackend",
    "Status",
    "StatusCallback",
    "UpdateCallback",
    "soft_signal_r_and_setter",
    "soft_signal_rw",
]

for _obj in (
    Device,
    SignalBackend,
    SignalR,
    SignalRW,
    SoftSignalBackend,
    Status,
    soft_signal_r_and_setter,
    soft_signal_rw,
):
    _obj.__module__ = __name__
del _obj
