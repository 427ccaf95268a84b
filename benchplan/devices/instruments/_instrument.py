"""The base of SCPI drivers: an instrument on an address, and its channels.

A driver subclasses :class:`ScpiInstrument` (or :class:`ScpiChannel` for the
per-channel part of a multi-channel instrument) and declares its signals with
the ``scpi_*`` factories. Creating a driver does no I/O: it connects on first
use (or :meth:`ScpiInstrument.connect`), through the session pool, so drivers
on one address share one session.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any, ClassVar, Iterator, Mapping

from benchplan.devices import Device, SignalR
from benchplan.devices.visa import (
    DEFAULT_POLL_RATE,
    SessionPool,
    Transport,
    canonical_address,
    default_pool,
)

from ._factories import ScpiSignalSpec
from ._safety import OutputBackend, switch_off

__all__ = ["ScpiChannel", "ScpiInstrument"]

logger = logging.getLogger(__name__)


_SPECS: dict[type, tuple[tuple[str, ScpiSignalSpec[Any]], ...]] = {}


def _specs(cls: type) -> tuple[tuple[str, ScpiSignalSpec[Any]], ...]:
    """The signal declarations of a driver class, base classes first (cached)."""
    specs = _SPECS.get(cls)
    if specs is None:
        found: dict[str, ScpiSignalSpec[Any]] = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                if isinstance(value, ScpiSignalSpec):
                    found[attr] = value
                elif attr in found:  # a subclass removed the declaration
                    del found[attr]
        specs = _SPECS[cls] = tuple(found.items())
    return specs


def _build_signals(device: Device) -> None:
    safe_off = device.safe_off  # type: ignore[attr-defined]
    for attr, spec in _specs(type(device)):
        signal = spec.build(device)
        if isinstance(signal.backend, OutputBackend):
            signal.backend.safe_off = safe_off
        setattr(device, attr, signal)


def _signals(device: Device) -> Iterator[SignalR[Any]]:
    for child in device.children.values():
        if isinstance(child, SignalR):
            yield child
        elif isinstance(child, Device):
            yield from _signals(child)


def _outputs(device: Device) -> list[OutputBackend]:
    return [s.backend for s in _signals(device) if isinstance(s.backend, OutputBackend)]


class ScpiInstrument(Device):
    """An instrument on a VISA address, with signals declared by ``scpi_*`` factories.

    Parameters
    ----------
    address : str
        The VISA resource address, e.g. ``'TCPIP0::192.168.1.5::5025::SOCKET'``.
    name : str
        The device name (prefix of its data keys).
    pool : SessionPool, optional
        Default: :func:`benchplan.devices.visa.default_pool` at first use.
    timeout : float, optional
        I/O timeout in seconds when this driver opens the session.
    check_errors : bool
        Read ``SYST:ERR?`` after each command and raise what it reports.
    poll_rate : float
        Polls per second of a subscribed signal (default 10).
    lock_timeout : float
        Seconds to wait for another process holding the instrument.
    safe_off : bool
        Let ``safe_state()`` and interpreter exit switch off outputs this
        driver switched on (default True).

    Attributes
    ----------
    role : str or None
        Class attribute: an exclusive role on the instrument; drivers of
        different roles on one address cannot hold it at the same time.
    mode : (str, str) or None
        Class attribute: ``(key, command)`` putting the instrument in the
        role's mode, e.g. ``(':ENTR:FUNC', ':ENTR:FUNC POW')``.
    model : str
        Class attribute: expected in the ``*IDN?`` reply (a mismatch is logged).
    ratings : mapping
        Class attribute: limits for :func:`rated` declarations.
    channels : mapping
        Class attribute: ``{number: ratings}``, one :attr:`channel_type`
        device per channel, as attributes ``ch1``, ``ch2``...
    address : str
        The canonical VISA address.

    Examples
    --------
    >>> class Load(ScpiInstrument):
    ...     current = scpi_control("CURR?", "CURR {:g}", validator=in_range(0, 30), units="A")
    ...     measured_voltage = scpi_measurement("MEAS:VOLT?", units="V")
    >>> load = Load("TCPIP0::192.168.1.60::5025::SOCKET", name="load")
    >>> load.current.set(2.5).wait()
    """

    role: ClassVar[str | None] = None
    mode: ClassVar[tuple[str, str] | None] = None
    model: ClassVar[str] = ""
    ratings: ClassVar[Mapping[str, float]] = {}
    read_termination: ClassVar[str] = "\n"
    write_termination: ClassVar[str] = "\n"
    channel: ClassVar[int | None] = None
    channels: ClassVar[Mapping[int, Mapping[str, float]]] = {}
    channel_type: ClassVar[type[ScpiChannel] | None] = None

    def __init__(
        self,
        address: str,
        *,
        name: str,
        pool: SessionPool | None = None,
        timeout: float | None = None,
        check_errors: bool = True,
        poll_rate: float = DEFAULT_POLL_RATE,
        lock_timeout: float = 0.0,
        safe_off: bool = True,
        kind: str = "normal",
    ) -> None:
        super().__init__(name, kind=kind)
        self.address = canonical_address(address)
        self.poll_rate = poll_rate
        self.safe_off = safe_off
        self._pool = pool
        self._timeout = timeout
        self._check_errors = check_errors
        self._lock_timeout = lock_timeout
        self._transport: Transport | None = None
        self._connect_lock = threading.Lock()
        _build_signals(self)
        if self.channels:
            assert self.channel_type is not None, "a multi-channel driver names its channel_type"
            for number, ratings in self.channels.items():
                setattr(self, f"ch{number}", self.channel_type(self, number, ratings))

    @classmethod
    def shared(cls, address: str, *, name: str, pool: SessionPool | None = None,
               **options: Any) -> Any:
        """Return this process's driver of this class for ``address`` and ``name``.

        The first call creates it (no I/O yet); later calls return the same
        object, with its subscriptions and outputs, until the pool's
        ``reset()`` drops the cached drivers (the sessions stay open).
        ``options`` are those of the constructor and apply on creation.

        Examples
        --------
        >>> psu = RigolDP832.shared("TCPIP0::192.168.1.20::5555::SOCKET", name="psu")
        >>> psu is RigolDP832.shared("TCPIP0::192.168.1.20::5555::SOCKET", name="psu")
        True
        """
        the_pool = pool or default_pool()
        key = (cls, canonical_address(address), name)
        return the_pool.cached(key, lambda: cls(address, name=name, pool=pool, **options))

    # -- connection ------------------------------------------------------------

    def connection(self) -> Transport:
        """The live transport, connecting first if needed (what signals call)."""
        transport = self._transport
        if transport is None or transport.closed:
            transport = self.connect()
        return transport

    def connect(self) -> Transport:
        """Open (or share) the session of :attr:`address`; return the transport.

        Raises
        ------
        ResourceInUse
            Another process holds the instrument.
        InstrumentConnectionError, InstrumentTimeout
            Nothing answers ``*IDN?`` at the address.
        """
        with self._connect_lock:
            transport = self._transport
            if transport is None or transport.closed:
                pool = self._pool or default_pool()
                transport = pool.open(
                    self.address, holder=self.name, role=self.role, mode=self.mode,
                    check_errors=self._check_errors, lock_timeout=self._lock_timeout,
                    timeout=self._timeout, read_termination=self.read_termination,
                    write_termination=self.write_termination,
                )
                if self.model and self.model.upper() not in transport.idn.upper():
                    logger.warning(
                        "%s %r expects a %s at %s, but it identifies as %r",
                        type(self).__name__, self.name, self.model, self.address, transport.idn,
                    )
                self._transport = transport
            return transport

    @property
    def idn(self) -> str:
        """The instrument's ``*IDN?`` reply (connects if needed)."""
        return self.connection().idn

    def query(self, command: str) -> str:
        """Send a raw SCPI query through the shared, locked transport."""
        return self.connection().query(command)

    def write(self, command: str) -> None:
        """Send a raw SCPI command (checked with ``SYST:ERR?`` unless disabled)."""
        self.connection().write(command)

    def close(self) -> None:
        """Release this driver's share of the session (the session closes with
        its last user). Using the driver again reconnects.

        Subscribed signals stop being polled; subscribe again after reconnecting.
        """
        polled = [s.name for s in _signals(self) if getattr(s.backend, "polling", False)]
        if polled:
            logger.warning(
                "Closing %r stops polling %s; subscribe again once it is reconnected.",
                self.name, ", ".join(polled),
            )
        with self._connect_lock:
            transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()

    # -- exclusive roles and the RunEngine -----------------------------------

    def stage(self) -> list[Any]:
        """Hold the instrument in this driver's role until :meth:`unstage`."""
        self.connection().claim()
        return [self]

    def unstage(self) -> list[Any]:
        """Release what :meth:`stage` held."""
        transport = self._transport
        if transport is not None and not transport.closed:
            transport.unclaim()
        return [self]

    @contextlib.contextmanager
    def hold(self) -> Iterator[ScpiInstrument]:
        """Hold the instrument in this driver's role for a ``with`` block."""
        with self.connection().hold():
            yield self

    def safe_state(self) -> None:
        """Switch off the outputs benchplan switched on through this driver
        (unless created with ``safe_off=False``)."""
        switch_off(_outputs(self))

    def __enter__(self) -> ScpiInstrument:
        self.connection().claim()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


class ScpiChannel(Device):
    """One channel of a multi-channel instrument: its own device, sharing the
    instrument's transport. ``{ch}`` in its declarations is its channel number
    and ``rated(...)`` limits come from its ratings.
    """

    def __init__(self, parent: ScpiInstrument, channel: int, ratings: Mapping[str, float]) -> None:
        super().__init__(f"ch{channel}")
        self.channel = channel
        self.ratings = ratings
        self._instrument = parent
        self.address = parent.address
        self.poll_rate = parent.poll_rate
        self.safe_off = parent.safe_off
        self.connection = parent.connection
        _build_signals(self)

    @property
    def instrument(self) -> ScpiInstrument:
        """The instrument this channel belongs to."""
        return self._instrument

    def stage(self) -> list[Any]:
        """Stage the instrument (holds its role, if it has one)."""
        self._instrument.stage()
        return [self]

    def unstage(self) -> list[Any]:
        """Unstage the instrument."""
        self._instrument.unstage()
        return [self]

    def safe_state(self) -> None:
        """Switch off this channel's output if benchplan switched it on."""
        switch_off(_outputs(self))
