"""The session pool: one pyvisa session per address per process.

Every driver on an address shares one :class:`~._session.Session` (the Keithley 2281S's
supply and battery-simulator roles share one), reference-counted through the
:class:`~._transport.Transport` handles the pool gives out, so closing one
driver never closes a session another still uses. Each session has one
re-entrant lock around every transaction, and, while open, the address's
cross-process lock file.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import weakref
from pathlib import Path
from typing import Any, Callable, Sequence

import pyvisa
from pyvisa import constants
from pyvisa import errors as visa_errors

from benchplan.errors import ResourceInUse

from ._errors import BUSY_CODES, map_error
from ._lockfile import InstrumentLock, canonical_address
from ._session import Session
from ._transport import Transport

__all__ = ["SessionPool", "configure", "default_pool"]

logger = logging.getLogger(__name__)

#: Seconds to wait before each retry of an open that VISA reports busy.
RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)

#: Environment variable naming the default pool's VISA library (``@py``, ``@sim``, ...).
VISA_LIBRARY_ENV = "BENCHPLAN_VISA_LIBRARY"


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
                    role=role,
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

        ``ScpiInstrument.shared(...)`` caches its drivers here, so asking twice
        (re-running a notebook cell) gives the same object until :meth:`reset`.
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

    def _open_session(self, address: str, *, holder: str, role: str | None, lock_timeout: float,
                      timeout: float, read_termination: str, write_termination: str) -> Session:
        file_lock = None
        if self.lock_files:
            user = f"{role} ({holder})" if role else holder
            file_lock = InstrumentLock(address, role=user, directory=self.lock_dir)
            try:
                file_lock.acquire(lock_timeout)
            except ResourceInUse as exc:
                if role is None:
                    raise
                raise ResourceInUse(
                    f"{exc} ({holder!r} wanted it in its {role} role. "
                    f"{Session.exclusive_note})"
                ) from None

        def reopen() -> Any:
            return self._open_resource(address, timeout, read_termination, write_termination)

        resource = None
        try:
            resource = reopen()
            session = Session(address, resource, file_lock, reopen=reopen, release=self._release)
            with session.lock:
                session.idn = session.query("*IDN?")
        except BaseException:
            if resource is not None:
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
                resource = rm.open_resource(
                    address,
                    read_termination=read_term,
                    write_termination=write_term,
                    timeout=int(timeout * 1000),
                )
                _send_at_once(resource)
                return resource
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


def _send_at_once(resource: Any) -> None:
    """Turn Nagle's algorithm off on a SOCKET resource (TCP_NODELAY).

    Otherwise a command followed at once by another message (``SYST:ERR?``)
    waits for the instrument's delayed ACK: about 40 ms per checked command.
    pyvisa-py 0.8 does not implement ``VI_ATTR_TCPIP_NODELAY`` on SOCKET
    sessions, so its socket is set directly when the attribute is refused.
    """
    if getattr(resource, "resource_class", "") != "SOCKET":
        return
    try:
        resource.set_visa_attribute(constants.VI_ATTR_TCPIP_NODELAY, constants.VI_TRUE)
        return
    except Exception:
        pass
    try:
        sock = resource.visalib.sessions[resource.session].interface
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except Exception:  # another backend (pyvisa-sim): nothing to tune
        logger.debug("Cannot set TCP_NODELAY on %s", resource, exc_info=True)


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
