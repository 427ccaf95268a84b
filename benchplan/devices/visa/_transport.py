"""The transport drivers talk to: SCPI strings in, reply strings out.

A :class:`Transport` is one driver's handle on the shared session of an
address (see :mod:`._pool`). It does the bookkeeping around each
transaction, all under the address lock:

* refuses to talk for a role while another role holds the instrument
  (the Keithley 2281S's supply and battery-simulator modes are exclusive);
* switches the instrument's mode first when this transport needs another one
  (``:ENTR:FUNC POW``), once per change, cached per shared session;
* writes, reads, and maps every failure to a benchplan error naming the
  address and the command;
* after a command, reads ``SYST:ERR?`` and raises the instrument's own error
  as :class:`~benchplan.errors.InstrumentError` (``check_errors=True``).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Iterator

from benchplan.errors import InstrumentConnectionError

if TYPE_CHECKING:
    from ._session import Session

__all__ = ["Transport"]


class Transport:
    """One driver's handle on the shared VISA session of an address.

    Obtain one from :meth:`SessionPool.open`; close it when the driver is done
    (the session closes when its last transport does).

    Parameters
    ----------
    session : Session
        The shared session.
    holder : str
        Who uses it (the device name), quoted in conflict messages.
    role : str, optional
        An exclusive role on the instrument (``'power-supply'``); transports
        with different roles cannot hold the instrument at the same time.
    mode : (str, str), optional
        ``(key, command)`` that puts the instrument in the mode this role
        needs, e.g. ``(':ENTR:FUNC', ':ENTR:FUNC POW')``; sent before a
        transaction whenever the session's cached mode for ``key`` differs.
    check_errors : bool
        Read ``SYST:ERR?`` after each command and raise what it reports.

    Examples
    --------
    >>> t = default_pool().open("TCPIP0::127.0.0.1::5025::SOCKET", holder="me")
    >>> t.query("*IDN?")
    'KEITHLEY INSTRUMENTS,MODEL 2281S-20-6,...'
    >>> t.write("VOLT 5")
    >>> t.close()
    """

    __slots__ = ("_session", "holder", "role", "mode", "check_errors", "_claims")

    def __init__(
        self,
        session: Session,
        *,
        holder: str,
        role: str | None = None,
        mode: tuple[str, str] | None = None,
        check_errors: bool = True,
    ) -> None:
        self._session: Session | None = session
        self.holder = holder
        self.role = role
        self.mode = mode
        self.check_errors = check_errors
        self._claims = 0

    # -- what drivers call -------------------------------------------------

    def query(self, command: str) -> str:
        """Send a query and return its reply, stripped of the termination.

        The write and the read are one transaction under the address lock.
        """
        s = self._session
        if s is None:
            s = self._live(f"send {command!r}")  # raises
        with s.lock:
            if self.mode is not None or s.held_role is not None:
                self._prepare(s, command)
            return s.query(command, probe=self.check_errors)

    def write(self, command: str, *, confirm: bool = False) -> None:
        """Send a command; with ``check_errors`` read ``SYST:ERR?`` after it.

        ``confirm=True`` makes the call return only once the instrument has
        processed the command (the ``SYST:ERR?`` reply, or ``*OPC?`` when
        errors are not checked).
        """
        s = self._session
        if s is None:
            s = self._live(f"send {command!r}")  # raises
        with s.lock:
            if self.mode is not None or s.held_role is not None:
                self._prepare(s, command)
            s.write(command)
            if self.check_errors:
                s.check_errors(command)
            elif confirm:
                s.query("*OPC?", probe=False)

    @contextlib.contextmanager
    def locked(self) -> Iterator[Transport]:
        """Hold the address lock across several transactions.

        >>> with t.locked():
        ...     t.write("VOLT 5")
        ...     t.query("VOLT?")
        """
        s = self._live("lock the instrument")
        with s.lock:
            yield self

    # -- exclusive roles --------------------------------------------------

    def claim(self) -> None:
        """Hold the instrument in this transport's role until :meth:`unclaim`.

        Claims nest. Raises :class:`ResourceInUse` naming the other role and
        its holders when another role holds the instrument.
        """
        s = self._live("hold the instrument")
        if self.role is not None:
            s.claim(self.role, self.holder)
        self._claims += 1

    def unclaim(self) -> None:
        """Undo one :meth:`claim`; a no-op when there is none."""
        if self._claims == 0:
            return
        self._claims -= 1
        if self.role is not None and self._session is not None:
            self._session.unclaim(self.role, self.holder)

    def in_other_mode(self) -> bool:
        """True when the instrument is known to be in a mode other than this
        transport's (another role switched it; False when unknown)."""
        s, mode = self._session, self.mode
        if s is None or mode is None:
            return False
        current = s.modes.get(mode[0])
        return current is not None and current != mode[1]

    @contextlib.contextmanager
    def hold(self) -> Iterator[Transport]:
        """Claim the role for the duration of a ``with`` block."""
        self.claim()
        try:
            yield self
        finally:
            self.unclaim()

    # -- lifecycle ---------------------------------------------------------

    @property
    def address(self) -> str:
        """The canonical VISA address of the session."""
        if self._session is None:
            return "<closed>"
        return self._session.address

    @property
    def idn(self) -> str:
        """The instrument's ``*IDN?`` reply, read when the session opened."""
        return self._session.idn if self._session is not None else ""

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has run."""
        return self._session is None

    @property
    def session(self) -> Session:
        """The shared session (for pollers and tests)."""
        return self._live("reach the session")

    def close(self) -> None:
        """Release this handle; the session closes when its last handle does."""
        s, self._session = self._session, None
        if s is None:
            return
        while self._claims:
            self._claims -= 1
            if self.role is not None:
                s.unclaim(self.role, self.holder)
        s.release(self)

    def detach(self) -> None:
        """Mark closed without releasing (the pool calls it when it closes the
        session itself, on a full reset)."""
        self._session = None
        self._claims = 0

    def __repr__(self) -> str:
        role = f", role={self.role!r}" if self.role else ""
        return f"<Transport {self.address} holder={self.holder!r}{role}>"

    # -- internals -----------------------------------------------------------

    def _live(self, action: str) -> Session:
        s = self._session
        if s is None:
            raise InstrumentConnectionError(
                f"Cannot {action}: the transport of {self.holder!r} has been closed. "
                "Use the driver again (it reconnects) or create a new one."
            )
        return s

    def _prepare(self, s: Session, command: str) -> None:
        if self.role is not None:
            s.check_role(self.role, f"Cannot send {command!r} for {self.holder!r} ({self.role})")
        mode = self.mode
        if mode is not None and s.modes.get(mode[0]) != mode[1]:
            s.write(mode[1])
            if self.check_errors:
                s.check_errors(mode[1])
            s.modes[mode[0]] = mode[1]
