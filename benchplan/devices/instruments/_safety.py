"""Outputs switched on through benchplan, and switching them off again.

An output signal (declared with :func:`scpi_output`) records itself here when
it switches an output on and forgets itself when it switches it off. A
device's ``safe_state()`` switches off the outputs of that device that are on;
the RunEngine calls it on halt and panic. At interpreter exit every output
still on (and whose device has ``safe_off=True``) is switched off.
"""

from __future__ import annotations

import atexit
import logging
import threading
from typing import Any

from benchplan.devices.visa import ScpiBackend

from ._factories import ScpiSignalRW, ScpiSignalSpec, scpi_switch

__all__ = ["OutputBackend", "outputs_on", "scpi_output", "switch_off", "switch_off_all"]

logger = logging.getLogger(__name__)

_on: dict[int, OutputBackend] = {}
_on_lock = threading.Lock()


class OutputBackend(ScpiBackend[bool]):
    """The backend of an output switch: remembers whether benchplan switched it on."""

    #: Switch this output off in ``safe_state()`` and at exit (from the device's ``safe_off``).
    safe_off = True

    def put(self, value: bool) -> None:
        super().put(value)
        with _on_lock:
            if self.validate(value):
                _on[id(self)] = self
            else:
                _on.pop(id(self), None)
        if value:
            # Run before pyvisa's own exit handler closes the sessions
            # (atexit runs the most recently registered first).
            atexit.unregister(switch_off_all)
            atexit.register(switch_off_all)

    @property
    def switched_on(self) -> bool:
        """True while benchplan has switched this output on (and not off again)."""
        return id(self) in _on

    def switch_off(self) -> None:
        """Switch the output off if benchplan switched it on and ``safe_off`` is set.

        When another role has since switched the instrument to its own mode
        (which switches this role's output off), nothing is sent.
        """
        if not (self.safe_off and self.switched_on):
            return
        if self.connection().in_other_mode():
            logger.info("%s was switched off by a mode change", self.source(""))
            with _on_lock:
                _on.pop(id(self), None)
            return
        self.put(False)


def outputs_on() -> list[OutputBackend]:
    """The outputs benchplan switched on and that are still on."""
    with _on_lock:
        return list(_on.values())


def switch_off_all() -> None:
    """Switch off every output benchplan switched on (those with ``safe_off``).

    Registered with :mod:`atexit`; failures are logged, not raised.
    """
    for backend in outputs_on():
        try:
            backend.switch_off()
        except Exception as exc:
            logger.error(
                "Could not switch off the output %s at exit: %s", backend.source(""), exc
            )


def scpi_output(
    get_cmd: str, set_cmd: str, *, on: str = "ON", off: str = "OFF", kind: str = "config"
) -> ScpiSignalSpec[ScpiSignalRW[bool]]:
    """An output on/off switch that ``safe_state()`` and exit switch off again.

    >>> output = scpi_output(":OUTP? CH{ch}", ":OUTP CH{ch},{}")
    """
    spec = scpi_switch(get_cmd, set_cmd, on=on, off=off, kind=kind)
    spec.backend_type = OutputBackend
    return spec


def switch_off(backends: Any) -> None:
    """Switch off each of ``backends`` that benchplan switched on; raise the
    first failure after trying them all."""
    first: Exception | None = None
    for backend in backends:
        try:
            backend.switch_off()
        except Exception as exc:
            logger.error("Could not switch off %s: %s", backend.source(""), exc)
            first = first or exc
    if first is not None:
        raise first
