"""Fault injection into a running simulated bench, from Python.

The same faults can be injected over the wire with the ``SIM:`` subtree every
simulated instrument understands:

=============================  ===============================================
``SIM:LOAD <ohms>[,<ch>]``     load resistance (``INF`` is open); supplies
``SIM:LOAD? [<ch>]``           the load of a channel (1 when omitted)
``SIM:SPIKe <A>,<s>[,<ch>]``   draw more current for a while; supplies
``SIM:DROP``                   reset the instrument's connections
``SIM:MUTE ON|OFF``            stop / resume answering
``SIM:LATency <s>``            delay every reply
=============================  ===============================================

``<ch>`` is ``2``, ``CH2`` or ``(@2)``; without it a supply fault applies to
every channel. A muted instrument discards every message except
``SIM:MUTE OFF`` (nothing is executed, nothing is queued to answer later).
"""

from __future__ import annotations

from typing import Callable, Iterable

from ._bench import Bench
from ._instrument import SimInstrument
from ._psu import SupplyInstrument

__all__ = ["Faults"]


class Faults:
    """Inject faults into the instruments of a :class:`SimBench`.

    Every method takes ``instrument``, a name on the bench; ``None`` means
    every instrument the fault applies to. Safe to call from any thread.

    Examples
    --------
    >>> from benchplan.devices.simbench import SimBench
    >>> bench = SimBench({"psu": "DP832"})
    >>> bench.fault.set_load(0.5, "psu", channel=1)
    >>> bench.send("psu", "SIM:LOAD? 1")
    '0.5'
    """

    def __init__(self, bench: Bench, drop: Callable[[list[str]], None]) -> None:
        self._bench = bench
        self._drop = drop

    def _targets(self, instrument: str | None, supplies: bool = False) -> list[SimInstrument]:
        if instrument is not None:
            inst = self._bench.instrument(instrument)
            if supplies and not isinstance(inst, SupplyInstrument):
                raise ValueError(
                    f"Cannot inject a load fault into {inst.model} '{instrument}': it is not a "
                    "supply; name a supply or pass instrument=None for all of them."
                )
            return [inst]
        insts: Iterable[SimInstrument] = self._bench.instruments.values()
        return [i for i in insts if isinstance(i, SupplyInstrument) or not supplies]

    def set_load(self, ohms: float, instrument: str | None = None, channel: int | None = None) -> None:
        """Set the load resistance (``float('inf')`` is open, 0 a short)."""
        with self._bench.lock:
            for inst in self._targets(instrument, supplies=True):
                assert isinstance(inst, SupplyInstrument)
                inst.set_load(ohms, channel)

    def current_spike(
        self, amps: float, duration: float, instrument: str | None = None, channel: int | None = None
    ) -> None:
        """Draw ``amps`` more than the load for ``duration`` seconds of bench clock.

        A supply in CV whose current limit or OCP level is exceeded goes to CC
        or trips, at once; when the spike ends the load draws what it did.
        """
        with self._bench.lock:
            for inst in self._targets(instrument, supplies=True):
                assert isinstance(inst, SupplyInstrument)
                inst.spike(amps, duration, channel)

    def drop_connection(self, instrument: str | None = None) -> None:
        """Reset the instrument's open connections; it accepts new ones."""
        self._drop([i.name for i in self._targets(instrument)])

    def stop_answering(self, instrument: str | None = None) -> None:
        """Discard every message from now on, so queries time out."""
        self._mute(instrument, True)

    def resume_answering(self, instrument: str | None = None) -> None:
        """Answer again (messages sent while muted are not replayed)."""
        self._mute(instrument, False)

    def set_latency(self, seconds: float, instrument: str | None = None) -> None:
        """Delay every reply by ``seconds``."""
        if not seconds >= 0:
            raise ValueError(f"Cannot set a reply latency of {seconds!r} s: it must be >= 0.")
        with self._bench.lock:
            for inst in self._targets(instrument):
                inst.latency = float(seconds)

    def _mute(self, instrument: str | None, muted: bool) -> None:
        with self._bench.lock:
            for inst in self._targets(instrument):
                inst.muted = muted
