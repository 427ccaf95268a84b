"""Stations: a bench's instruments by role, from a YAML file, with an event log.

>>> import benchplan
>>> with benchplan.connect("bench-a") as station:  # doctest: +SKIP
...     psu = station.instrument("psu")
...     ref = station.observe("ambient_temperature", 23.4, "degC")

See :func:`connect`, :class:`Station`, and the how-to guide "Stations".
"""

from ._config import (
    RoleConfig,
    StationConfig,
    StationConfigError,
    StationError,
    find_station,
    load_station,
)
from ._eventlog import EVENT_TYPES, StationEvent
from ._share import RemoteDevice, RemoteSignal
from ._station import Station, StationDevices, connect

__all__ = [
    "EVENT_TYPES",
    "RemoteDevice",
    "RemoteSignal",
    "RoleConfig",
    "Station",
    "StationConfig",
    "StationConfigError",
    "StationDevices",
    "StationError",
    "StationEvent",
    "connect",
    "find_station",
    "load_station",
]

for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith(__name__ + "."):
        _obj.__module__ = __name__
del _name, _obj
