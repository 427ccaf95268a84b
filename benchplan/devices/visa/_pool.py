"""The session pool: one pyvisa session per address per process.

Every driver on an address shares one :class:`Session` (the Keithley 2281S's
supply and battery-simulator roles share one), reference-counted through the
:class:`~._transport.Transport` handles the pool gives out, so closing one
driver never closes a session another still uses. Each session has one
re-entrant lock around every transaction, and, while open, the address's
cross-process lock file.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from pathlib import Path
from typing import Any, Callable, Sequence

import pyvisa
from pyvisa import errors as visa_errors

from benchplan.errors import (
    InstrumentConnectionError,
    InstrumentError,
    InstrumentTimeout,
    ResourceInUse,
)

from ._errors import BUSY_CODES, map_error, parse_scpi_error, scpi_error
from ._lockfile import InstrumentLock, canonical_address
from ._poller import Poller
from ._transport import Transport

__all__ = ["Session", "SessionPool", "configure", "default_pool"]

logger = logging.getLogger(__name__)

#: Seconds to wait before each retry of an open that VISA reports busy.
RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)

#: Environment variable naming the default pool's VISA library (``@py``, ``@sim``, ...).
VISA_LIBRARY_ENV = "BENCHPLAN_VISA_LIBRARY"


class Session:
    """One open pyvisa session, shared by every transport on its address.

    The pool creates sessions; drivers see them only through a
    :class:`Transport`. ``lock`` serializes transactions; ``modes`` caches
    mode settings (``':ENTR:FUNC'`` -> the command last sent) and is cleared
    whenever an error leaves the instrument's state in doubt.
    """

    exclusive_note = "The instrument's modes are exclusive: it works in one role at a time."

    def __init__(
        self,
        pool: SessionPool,
        address: str,
        resource: Any,
        file_lock: InstrumentLock | None,
        reopen: Callable[[], Any],
    ) -> None:
        self.pool = pool
        self._reopen = reopen
        self.address = address
        self.resource = resource
        self.file_lock = file_lock
        self.lock = threading.RLock()
        self.idn = ""
        self.timeout = resource.timeout / 1000.0 if resource.timeout else None
        self.modes: dict[str, str] = {}
        self.transports: list[Transport] = []
        self.claims: dict[str, dict[str, int]] = {}
        self.held_role: str | None = None
        self.dirty = False  # after a timeout or a lost connection: recover first
        self.broken = False  # the connection was lost: reopen the resource
        self._poller: Poller | None = None

    @property
    def poller(self) -> Poller:
        """The session's polling thread, created on first use."""
        if self._poller is None:
            self._poller = Poller(self.address)
        return self._poller

    # -- I/O primitives (callers hold ``lock``) -------------------------------

    def write(self, command: str) -> None:
        logger.debug("%s <- %r", self.address, command)
        if self.dirty:
            self._recover(command)
        try:
            self.resource.write(command)
        except Exception as exc:
            raise self._failed(exc, command) from exc

    def query(self, command: str, *, probe: bool = False) -> str:
        """Write and read. With ``probe``, a timeout first asks ``SYST:ERR?``
        whether the instrument rejected the command (then it never answers)."""
        logger.debug("%s <- %r", self.address, command)
        if self.dirty:
            self._recover(command)
        try:
            self.resource.write(command)
            return self.resource.read()
        except Exception as exc:
            err = self._failed(exc, command)
            if probe and isinstance(err, InstrumentTimeout):
                self._raise_queued_error(command, err)
            raise err from exc

    def check_errors(self, command: str) -> None:
        """Read the error queue; raise the first entry as an InstrumentError."""
        found: list[tuple[int, str]] = []
        for _ in range(20):
            reply = self.query("SYST:ERR?")
            try:
                code, message = parse_scpi_error(reply)
            except ValueError:
                self.dirty = True  # maybe a late reply: resynchronise before the next
                raise InstrumentError(
                    f"After {command!r}, the instrument at {self.address} answered "
                    f"SYST:ERR? with {reply!r}, which is not an error-queue entry. If it "
                    "does not support SYST:ERR?, create the driver with check_errors=False.",
                    address=self.address,
                    command=command,
                ) from None
            if code == 0:
                break
            found.append((code, message))
        if found:
            self.modes.clear()
            raise scpi_error(found, address=self.address, command=command)

    def _raise_queued_error(self, command: str, timeout: InstrumentTimeout) -> None:
        try:
            self.check_errors(command)
        except InstrumentError as exc:
            if exc.code is not None:
                raise exc from timeout

    def _failed(self, exc: BaseException, command: str) -> Exception:
        err = map_error(exc, address=self.address, command=command, timeout=self.timeout)
        self.modes.clear()
        if isinstance(err, InstrumentTimeout):
            # A reply may still come; the next transaction skips it (_recover).
            self.dirty = True
        elif isinstance(err, InstrumentConnectionError):
            self.dirty = self.broken = True  # the next transaction reconnects
        return err

    def _recover(self, command: str) -> None:
        """Before a transaction, after a failure: reconnect if the connection
        broke, then ask ``*IDN?`` and drop every line before its reply, so a
        late answer to a timed-out query is never taken for the next one."""
        try:
            if self.broken:
                logger.info("Reconnecting to %s", self.address)
                try:
                    self.resource.close()
                except Exception:
                    logger.debug("closing the broken session of %s", self.address, exc_info=True)
                self.resource = self._reopen()
                self.broken = False
            self.resource.write("*IDN?")
            for _ in range(100):
                if self.resource.read() == self.idn:
                    self.dirty = False
                    return
        except Exception as exc:
            raise self._failed(exc, command) from exc
        raise InstrumentError(
            f"Cannot send {command!r} to the instrument at {self.address}: after a "
            "timeout its replies no longer make sense (100 lines without its *IDN? "
            "reply). Power-cycle or reset it, then close and reopen the driver.",
            address=self.address,
            command=command,
        )

    # -- roles --------------------------------------------------------------

    def claim(self, role: str, holder: str) -> None:
        with self.lock:
            if self.held_role is not None and self.held_role != role:
                raise ResourceInUse(
                    f"Cannot hold the instrument at {self.address} in its {role} role for "
                    f"{holder!r}: it is held in its {self.held_role} role by "
                    f"{self.describe_claims()}. {self.exclusive_note} Release the other "
                    "role first (unstage or close it)."
                )
            holders = self.claims.setdefault(role, {})
            holders[holder] = holders.get(holder, 0) + 1
            self.held_role = role

    def unclaim(self, role: str, holder: str) -> None:
        with self.lock:
            holders = self.claims.get(role, {})
            if holders.get(holder, 0) > 1:
                holders[holder] -= 1
                return
            holders.pop(holder, None)
            if not holders:
                self.claims.pop(role, None)
                if self.held_role == role:
                    self.held_role = None

    def describe_claims(self) -> str:
        names = [h for holders in self.claims.values() for h in holders]
        return ", ".join(repr(n) for n in names) + f" in this process (pid {os.getpid()})"

    def describe_users(self) -> str:
        """The roles/holders of the open transports, written into the lock file."""
        parts = []
        for t in self.transports:
            part = f"{t.role} ({t.holder})" if t.role else t.holder
            if part not in parts:
                parts.append(part)
        return ", ".join(parts)

    def release(self, transport: Transport) -> None:
        self.pool._release(self, transport)

    def close(self) -> None:
        if self._poller is not None:
            self._poller.stop()
        try:
            self.resource.close()
        except Exception:
            logger.warning("Closing the VISA session of %s failed", self.address, exc_info=True)
        if self.file_lock is not None:
            self.file_lock.release()

    def __repr__(self) -> str:
        return f"<Session {self.address} users={len(self.transports)}>"


class SessionPool:
    """Opens, shares and closes VISA sessions: one per address.

    Parameters
    ----------
    visa_library : str
        The pyvisa backend: ``'@py'`` (pyvisa-py, the default), ``'@ivi'``, or
        ``'path/profile.yaml@sim'`` (pyvisa-sim, for unit tests).
    timeout : float
        I/O timeout of new sessions, in seconds.
    lock_files : bool
        Take the cross-process lock file of each address while it is open.
    lock_dir : Path, optional
        Directory of the lock files (default: see :func:`lock_dir`).
    retry_delays : sequence of float
        Waits before each retry of an open that VISA reports busy.
    sleep : callable
        What waits (tests inject a fake).

    Examples
    --------
    >>> pool = SessionPool("@py")
    >>> t = pool.open("TCPIP0::127.0.0.1::5025::SOCKET", holder="psu")
    >>> t.query("*IDN?")
    'RIGOL TECHNOLOGIES,DP832,...'
    >>> pool.close()
    """

    def __init__(
        self,
        visa_library: str = "@py",
        *,
        timeout: float = 2.0,
        lock_files: bool = True,
        lock_dir: Path | None = None,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        sleep: Callable[[float], None] = time.sleep,
        resource_manager: Any = None,
    ) -> None:
        self.visa_library = visa_library
        self.timeout = timeout
        self.lock_files = lock_files
        self.lock_dir = lock_dir
        self.retry_delays = tuple(retry_delays)
        self._sleep = sleep
        self._rm = resource_manager
        self._lock = threading.RLock()
        self._sessions: dict[str, Session] = {}
        self._drivers: dict[Any, Any] = {}
        _POOLS.add(self)

    # -- public ------------------------------------------------------------

    def open(
        self,
        address: str,
        *,
        holder: str,
        role: str | None = None,
        mode: tuple[str, str] | None = None,
        check_errors: bool = True,
        lock_timeout: float = 0.0,
        timeout: float | None = None,
        read_termination: str = "\n",
        write_termination: str = "\n",
    ) -> Transport:
        """Return a transport on ``address``, opening its session if needed.

        The first open of an address takes its lock file (waiting up to
        ``lock_timeout`` s for another process), opens the VISA session with
        the given terminations and timeout (retrying while VISA reports it
        busy), and checks that the instrument answers ``*IDN?``. Later opens
        share that session; their terminations and timeout are ignored.

        Raises
        ------
        ResourceInUse
            Another process holds the lock file, or VISA stayed busy.
        InstrumentConnectionError, InstrumentTimeout
            Nothing answers at the address.
        """
        key = canonical_address(address)
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                session = self._open_session(
                    key,
                    holder=holder,
                    lock_timeout=lock_timeout,
                    timeout=self.timeout if timeout is None else timeout,
                    read_termination=read_termination,
                    write_termination=write_termination,
                )
                self._sessions[key] = session
            transport = Transport(
                session, holder=holder, role=role, mode=mode, check_errors=check_errors
            )
            session.transports.append(transport)
            self._record_users(session)
            return transport

    def refcount(self, address: str) -> int:
        """How many open transports share the session of ``address`` (0 if none)."""
        session = self._sessions.get(canonical_address(address))
        return len(session.transports) if session is not None else 0

    @property
    def addresses(self) -> list[str]:
        """The addresses with an open session."""
        return sorted(self._sessions)

    def cached(self, key: Any, factory: Callable[[], Any]) -> Any:
        """Return the driver wrapper cached under ``key``, creating it once.

        Drivers made through :func:`benchplan.devices.instruments.connect`
        are cached here, so asking twice gives the same object.
        """
        with self._lock:
            driver = self._drivers.get(key)
            if driver is None:
                driver = self._drivers[key] = factory()
            return driver

    def reset(self, *, full: bool = False) -> None:
        """Forget cached driver wrappers and mode caches; keep the sessions.

        With ``full=True`` close every session too (and release their lock
        files), as :meth:`close` does.
        """
        with self._lock:
            self._drivers.clear()
            for session in self._sessions.values():
                with session.lock:
                    session.modes.clear()
            if not full:
                return
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            for transport in list(session.transports):
                transport.detach()
            session.transports.clear()
            session.close()

    def close(self) -> None:
        """Close every session and release every lock file."""
        self.reset(full=True)

    # -- internals ------------------------------------------------------------

    def _resource_manager(self) -> Any:
        if self._rm is None:
            self._rm = pyvisa.ResourceManager(self.visa_library)
        return self._rm

    def _open_session(self, address: str, *, holder: str, lock_timeout: float, timeout: float,
                      read_termination: str, write_termination: str) -> Session:
        file_lock = None
        if self.lock_files:
            file_lock = InstrumentLock(address, role=holder, directory=self.lock_dir)
            file_lock.acquire(lock_timeout)
        try:
            def reopen() -> Any:
                return self._open_resource(address, timeout, read_termination, write_termination)

            resource = reopen()
            session = Session(self, address, resource, file_lock, reopen)
            with session.lock:
                session.idn = session.query("*IDN?")
        except BaseException:
            if "resource" in locals():
                try:
                    resource.close()
                except Exception:
                    logger.debug("closing %s after a failed open", address, exc_info=True)
            if file_lock is not None:
                file_lock.release()
            raise
        logger.info("Opened %s: %s", address, session.idn)
        return session

    def _open_resource(self, address: str, timeout: float, read_term: str, write_term: str) -> Any:
        rm = self._resource_manager()
        waited = 0.0
        for delay in (*self.retry_delays, None):
            try:
                return rm.open_resource(
                    address,
                    read_termination=read_term,
                    write_termination=write_term,
                    timeout=int(timeout * 1000),
                )
            except visa_errors.VisaIOError as exc:
                if exc.error_code not in BUSY_CODES:
                    raise map_error(exc, address=address, command=None) from exc
                if delay is None:
                    raise ResourceInUse(
                        f"Cannot open the instrument at {address}: VISA still reports it "
                        f"busy after {len(self.retry_delays) + 1} attempts over {waited:g} s "
                        f"({exc}). Another program (an instrument panel, another script "
                        "using VISA directly) holds it; close that program and retry."
                    ) from exc
                logger.info("%s is busy; retrying in %g s", address, delay)
                self._sleep(delay)
                waited += delay
            except Exception as exc:
                raise map_error(exc, address=address, command=None) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _release(self, session: Session, transport: Transport) -> None:
        with self._lock:
            try:
                session.transports.remove(transport)
            except ValueError:
                return
            if session.transports:
                self._record_users(session)
                return
            if self._sessions.get(session.address) is session:
                del self._sessions[session.address]
        session.close()

    def _record_users(self, session: Session) -> None:
        if session.file_lock is not None:
            session.file_lock.set_role(session.describe_users())

    def _forget_after_fork(self) -> None:
        """In a forked child: drop sessions without closing or unlocking them
        (they belong to the parent)."""
        for session in self._sessions.values():
            if session.file_lock is not None:
                session.file_lock.forget()
            for transport in session.transports:
                transport.detach()
        self._sessions = {}
        self._drivers = {}
        self._lock = threading.RLock()


_POOLS: weakref.WeakSet[SessionPool] = weakref.WeakSet()
_default: SessionPool | None = None
_default_lock = threading.Lock()


def default_pool() -> SessionPool:
    """Return the process-wide pool drivers use unless given another.

    Its VISA library is ``$BENCHPLAN_VISA_LIBRARY`` or ``'@py'``.
    """
    global _default
    with _default_lock:
        if _default is None:
            _default = SessionPool(os.environ.get(VISA_LIBRARY_ENV, "@py"))
        return _default


def configure(visa_library: str = "@py", **options: Any) -> SessionPool:
    """Replace the process-wide pool (closing the old one's sessions).

    >>> configure("@py", timeout=5.0)
    <benchplan.devices.visa.SessionPool ...>
    """
    global _default
    with _default_lock:
        old, _default = _default, SessionPool(visa_library, **options)
        new = _default
    if old is not None:
        old.close()
    return new


def _after_fork_in_child() -> None:
    global _default_lock
    _default_lock = threading.Lock()
    for pool in list(_POOLS):
        pool._forget_after_fork()  # noqa: SLF001


os.register_at_fork(after_in_child=_after_fork_in_child)
