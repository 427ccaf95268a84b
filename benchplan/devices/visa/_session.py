"""A shared VISA session: the resource, its lock, and what is known about it.

One :class:`Session` per open address, created by the pool and shared by the
:class:`~._transport.Transport` of every driver on the address. It holds the
pyvisa resource and its lock, does the I/O of a transaction (mapping every
failure to a benchplan error, checking the instrument's error queue), recovers
after a timeout or a lost connection, and keeps the per-session state: the
cached instrument modes and which exclusive role holds the instrument.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Any, Callable

from benchplan.errors import (
    InstrumentConnectionError,
    InstrumentError,
    InstrumentTimeout,
    ResourceInUse,
)

from ._errors import map_error, parse_scpi_error, scpi_error
from ._poller import Poller

if TYPE_CHECKING:
    from ._lockfile import InstrumentLock
    from ._transport import Transport

__all__ = ["Session"]

logger = logging.getLogger(__name__)


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
        address: str,
        resource: Any,
        file_lock: InstrumentLock | None,
        *,
        reopen: Callable[[], Any],
        release: Callable[[Session, Transport], None],
    ) -> None:
        self._reopen = reopen
        self._release = release
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
        """Send ``command``; failures become benchplan errors."""
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
            reply: str = self.resource.read()
            return reply
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
            if reply[:2] == "0," or reply[:3] == "+0,":
                break  # the usual answer, without the regular expression
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

    def check_role(self, role: str, attempt: str) -> None:
        """Raise ResourceInUse, naming the holders, if another role holds the instrument.

        ``attempt`` says what was tried, e.g. ``"Cannot send 'VOLT 5' for 'psu'"``.
        """
        held = self.held_role
        if held is not None and held != role:
            names = ", ".join(repr(h) for holders in self.claims.values() for h in holders)
            raise ResourceInUse(
                f"{attempt}: the instrument at {self.address} is held in its {held} role "
                f"by {names} in this process (pid {os.getpid()}). {self.exclusive_note} "
                "Release the other role first (unstage or close it)."
            )

    def claim(self, role: str, holder: str) -> None:
        """Hold the instrument in ``role`` for ``holder`` (nests); see :meth:`check_role`."""
        with self.lock:
            self.check_role(role, f"Cannot hold the instrument in its {role} role for {holder!r}")
            holders = self.claims.setdefault(role, {})
            holders[holder] = holders.get(holder, 0) + 1
            self.held_role = role

    def unclaim(self, role: str, holder: str) -> None:
        """Undo one :meth:`claim`."""
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

    def describe_users(self) -> str:
        """The roles/holders of the open transports, written into the lock file."""
        parts = []
        for t in self.transports:
            part = f"{t.role} ({t.holder})" if t.role else t.holder
            if part not in parts:
                parts.append(part)
        return ", ".join(parts)

    def release(self, transport: Transport) -> None:
        """Give back a transport (the pool closes the session with the last one)."""
        self._release(self, transport)

    def close(self) -> None:
        """Stop polling, close the VISA resource and release the lock file."""
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
