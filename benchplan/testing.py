"""Fakes for testing your own plans and drivers without hardware.

- :func:`sim_bench` starts the simulated SCPI bench (:class:`SimBench`) for a
  ``with`` block; :func:`sim_bench_fixture` makes a pytest fixture of it.
- :func:`temporary_pool` is a VISA session pool whose lock files live in a
  temporary folder, so tests never touch the user's own.
- :class:`ExpectedProtocol` and :func:`expected_protocol` check, command by
  command, what a driver sends and feed it the replies you give.
- :class:`ManualClock` is the simulated bench's clock that moves only when
  told to; :func:`sim_profile` gives the pyvisa-sim profiles of the drivers.

This module does not import pytest; :func:`sim_bench_fixture` imports it when
called.

Examples
--------
>>> from benchplan.devices.instruments import RigolDP832
>>> from benchplan.testing import sim_bench, temporary_pool
>>> with sim_bench() as bench, temporary_pool() as pool:
...     psu = RigolDP832(bench.address("dp832"), name="psu", pool=pool)
...     psu.ch1.voltage.put(5)
...     psu.ch1.voltage.get()
5.0
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence, TypeVar

from benchplan.devices.instruments import ScpiInstrument, outputs_on, sim_profile
from benchplan.devices.simbench import ManualClock, SimBench
from benchplan.devices.visa import SessionPool, canonical_address

__all__ = [
    "ExpectedProtocol",
    "ManualClock",
    "SimBench",
    "expected_protocol",
    "sim_bench",
    "sim_bench_fixture",
    "sim_profile",
    "temporary_pool",
]

logger = logging.getLogger(__name__)

D = TypeVar("D", bound=ScpiInstrument)

_NO_ERROR = '+0,"No error"'


def _switch_off_outputs(addresses: Iterable[str]) -> None:
    """Switch off the outputs benchplan switched on at ``addresses`` (errors logged)."""
    wanted = {canonical_address(a) for a in addresses}
    for backend in outputs_on():
        if canonical_address(backend.address) in wanted:
            try:
                backend.switch_off()
            except Exception as exc:
                logger.warning("Could not switch off %s: %s", backend.source(""), exc)


@contextlib.contextmanager
def sim_bench(instruments: Mapping[str, str] | None = None, **options: Any) -> Iterator[SimBench]:
    """Run a simulated bench for a ``with`` block (served from a thread).

    On the way out, outputs that benchplan switched on at the bench's
    addresses are switched off while the bench still answers (so nothing is
    left for the exit handler to switch off on a bench that is gone), then
    the bench stops.

    Parameters
    ----------
    instruments : mapping of str to str, optional
        Instrument name -> model; :data:`~benchplan.devices.simbench.DEFAULT_INSTRUMENTS`
        by default (``dp832``, ``dp821``, ``e36312a``, ``k2281s``, ``dmm``).
    **options
        Passed to :class:`SimBench`: ``clock``, ``load``, ``latency``, ``noise``...

    Examples
    --------
    >>> with sim_bench({"psu": "DP832", "dmm": "34461A"}, load=5.0) as bench:
    ...     bench.send("psu", ":APPL CH1,2,1;:OUTP CH1,ON")
    ...     bench.send("dmm", "MEAS:CURR:DC?")
    '+4.00000000E-01'
    """
    bench = SimBench(instruments, **options)
    with bench:
        try:
            yield bench
        finally:
            _switch_off_outputs(bench.addresses.values())


def sim_bench_fixture(
    instruments: Mapping[str, str] | None = None,
    *,
    scope: str = "session",
    name: str = "sim_bench",
    **options: Any,
) -> Any:
    """Make a pytest fixture yielding a running :class:`SimBench`.

    Put it in a ``conftest.py``; a session-scoped bench is shared by every
    test, so reset what a test changes (``bench.send(name, "*RST")``,
    ``bench.fault.set_load(10)``...).

    Parameters
    ----------
    instruments, **options
        As for :func:`sim_bench`.
    scope : str
        The fixture's pytest scope.
    name : str
        The fixture's name, which tests ask for.

    Examples
    --------
    In ``conftest.py``::

        from benchplan.testing import sim_bench_fixture

        bench = sim_bench_fixture(name="bench")

    and in a test::

        def test_supply_answers(bench):
            assert bench.send("dp832", "*IDN?").startswith("RIGOL")
    """
    import pytest

    def fixture() -> Iterator[SimBench]:
        with sim_bench(instruments, **options) as bench:
            yield bench

    fixture.__name__ = name
    return pytest.fixture(scope=scope, name=name)(fixture)  # type: ignore[call-overload]


@contextlib.contextmanager
def temporary_pool(visa_library: str = "@py", **options: Any) -> Iterator[SessionPool]:
    """A :class:`~benchplan.devices.visa.SessionPool` with lock files in a temporary folder.

    On the way out, outputs benchplan switched on through the pool's sessions
    are switched off, then every session is closed.

    Parameters
    ----------
    visa_library : str
        The pyvisa backend, ``'@py'`` by default.
    **options
        Passed to the pool (``timeout``...); ``lock_dir`` is set here.

    Examples
    --------
    >>> with temporary_pool(timeout=0.5) as pool:
    ...     pool.timeout
    0.5
    """
    with tempfile.TemporaryDirectory(prefix="benchplan-locks-") as folder:
        pool = SessionPool(visa_library, lock_dir=Path(folder), **options)
        try:
            yield pool
        finally:
            try:
                _switch_off_outputs(pool.addresses)
            finally:
                pool.close()


class _ProtocolResource:
    """The pyvisa resource an :class:`ExpectedProtocol` hands the session pool."""

    resource_class = "EXPECTED-PROTOCOL"

    def __init__(self, protocol: ExpectedProtocol, address: str, timeout: int) -> None:
        self._protocol = protocol
        self.resource_name = address
        self.timeout = timeout
        self._reply: str | None = None

    def write(self, command: str) -> int:
        self._reply = self._protocol.exchange(command)
        return len(command)

    def read(self) -> str:
        reply, self._reply = self._reply, None
        if reply is None:
            self._protocol.fail("a read with no reply pending (the last command was not a query)")
            raise TimeoutError("no reply pending")
        return reply

    def close(self) -> None:
        pass


class ExpectedProtocol:
    """A fake instrument that expects commands in order and gives set replies.

    Give drivers :attr:`pool` and :attr:`address`. Each command a driver
    sends must be the next of ``exchanges``; a query gets the reply listed
    with it, a write is listed with ``None``. ``*IDN?`` (sent when the session
    opens) and ``SYST:ERR?`` (sent after each checked command) are answered
    for you -- with ``idn`` and ``+0,"No error"`` -- unless they are the next
    exchange listed. :attr:`sent` records every command, chatter included.

    Parameters
    ----------
    exchanges : sequence of (str, str or None)
        ``(command, reply)`` pairs in the order the driver sends them.
    idn : str
        The ``*IDN?`` reply (the drivers check their model in it).
    address : str
        The VISA address the drivers are created on.

    Examples
    --------
    >>> from benchplan.devices.instruments import RigolDP832
    >>> with ExpectedProtocol([(":SOUR2:VOLT 12", None), (":SOUR2:VOLT?", "12.000")],
    ...                       idn="RIGOL TECHNOLOGIES,DP832,DP8A0,00.01.16") as protocol:
    ...     psu = RigolDP832(protocol.address, name="psu", pool=protocol.pool)
    ...     psu.ch2.voltage.put(12)
    ...     psu.ch2.voltage.get()
    12.0
    """

    def __init__(
        self,
        exchanges: Sequence[tuple[str, str | None]],
        *,
        idn: str = "BENCHPLAN,EXPECTED-PROTOCOL,0,0",
        address: str = "TCPIP0::expected-protocol::5025::SOCKET",
    ) -> None:
        self.exchanges = [(str(command), reply) for command, reply in exchanges]
        self.idn = idn
        self.address = canonical_address(address)
        #: Every command received, in order (``*IDN?`` and ``SYST:ERR?`` included).
        self.sent: list[str] = []
        #: What went wrong, in order; :meth:`check` raises if it is not empty.
        self.mismatches: list[str] = []
        self._next = 0
        self.pool = SessionPool("@py", lock_files=False, retry_delays=(), resource_manager=self)

    @property
    def remaining(self) -> list[tuple[str, str | None]]:
        """The exchanges not yet sent."""
        return self.exchanges[self._next:]

    def open_resource(self, address: str, *, timeout: int = 2000, **options: Any) -> _ProtocolResource:
        """What the session pool calls (the pyvisa ResourceManager interface)."""
        return _ProtocolResource(self, address, timeout)

    def close(self) -> None:
        """What the pool calls on its resource manager: nothing to do."""

    def exchange(self, command: str) -> str | None:
        """Take one command; return the reply to queue (None for a write)."""
        self.sent.append(command)
        if self._next < len(self.exchanges):
            expected, reply = self.exchanges[self._next]
            if command == expected:
                self._next += 1
                return reply
        else:
            expected = None
        if command == "*IDN?":
            return self.idn
        if command == "SYST:ERR?":
            return _NO_ERROR
        wanted = "nothing more" if expected is None else repr(expected)
        self.fail(f"{command!r} was sent where {wanted} was expected")
        raise AssertionError(f"unexpected command {command!r} (expected {wanted})")

    def fail(self, what: str) -> None:
        """Record a mismatch (:meth:`check` reports it)."""
        self.mismatches.append(f"after {len(self.sent) - 1} commands: {what}")

    def check(self) -> None:
        """Raise AssertionError if a command differed or an exchange was not sent."""
        problems = list(self.mismatches)
        if self.remaining:
            listed = ", ".join(repr(c) for c, _ in self.remaining)
            problems.append(f"never sent: {listed}")
        if problems:
            raise AssertionError(
                "The driver did not follow the expected protocol: " + "; ".join(problems)
                + f". Commands sent: {self.sent!r}"
            )

    def __enter__(self) -> ExpectedProtocol:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: Any) -> None:
        # forget outputs left on here: there is no instrument to switch them off at exit
        for backend in outputs_on():
            if canonical_address(backend.address) == self.address:
                backend.safe_off = False
        self.pool.close()
        if self.mismatches or et is None:
            self.check()


@contextlib.contextmanager
def expected_protocol(
    driver_type: Callable[..., D],
    exchanges: Sequence[tuple[str, str | None]],
    *,
    idn: str | None = None,
    name: str = "dut",
    **options: Any,
) -> Iterator[D]:
    """Create a driver on an :class:`ExpectedProtocol` and check what it sends.

    Parameters
    ----------
    driver_type : type
        The driver class, e.g. :class:`~benchplan.devices.instruments.RigolDP832`.
    exchanges : sequence of (str, str or None)
        ``(command, reply)`` pairs in order; ``None`` for a command with no reply.
    idn : str, optional
        The ``*IDN?`` reply; by default one naming the driver's ``model``.
    name : str
        The driver's name.
    **options
        Passed to the driver (``check_errors=False``...).

    Examples
    --------
    >>> from benchplan.devices.instruments import Keysight34461A
    >>> with expected_protocol(Keysight34461A, [("MEAS:VOLT:DC?", "+4.99E+00")]) as dmm:
    ...     dmm.dc_voltage.get()
    4.99
    """
    model = getattr(driver_type, "model", "") or getattr(driver_type, "__name__", "DEVICE")
    with ExpectedProtocol(exchanges, idn=idn or f"BENCHPLAN,{model},0,0") as protocol:
        yield driver_type(protocol.address, name=name, pool=protocol.pool, **options)
