"""The pyvisa-sim profiles shipped with the drivers, for command-string tests."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

__all__ = ["sim_profile"]

SIM_PROFILES = ("dp800", "dmm", "e36300", "k2281s")


def sim_profile(name: str) -> Path:
    """Return the path of a shipped pyvisa-sim profile.

    Parameters
    ----------
    name : str
        One of ``'dp800'``, ``'dmm'``, ``'e36300'``, ``'k2281s'``.

    Examples
    --------
    >>> from benchplan.devices.visa import SessionPool
    >>> pool = SessionPool(f"{sim_profile('dp800')}@sim")
    >>> psu = RigolDP832("TCPIP0::dp832.sim::5555::SOCKET", name="psu", pool=pool)
    """
    if name not in SIM_PROFILES:
        raise ValueError(
            f"There is no simulation profile {name!r}; the profiles are "
            + ", ".join(repr(p) for p in SIM_PROFILES)
            + "."
        )
    resource = importlib.resources.files("benchplan.devices.instruments") / "sim_profiles" / f"{name}.yaml"
    return Path(str(resource))
