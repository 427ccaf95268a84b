"""Turn pyvisa and socket errors into benchplan errors at the transport boundary.

Everything that can go wrong below the transport -- a ``VisaIOError`` with
any VISA status code, a plain ``OSError`` from pyvisa-py's socket code, a
``ValueError`` for a missing interface library -- leaves it as one of
:class:`~benchplan.errors.InstrumentTimeout`,
:class:`~benchplan.errors.InstrumentConnectionError`,
:class:`~benchplan.errors.ResourceInUse` or
:class:`~benchplan.errors.InstrumentError`, naming the address and the
command, with the original exception as ``__cause__``.

The instrument's own error queue (``SYST:ERR?``) is parsed here too.
"""

from __future__ import annotations

import re
import socket
from typing import Any

from pyvisa import errors as visa_errors
from pyvisa.constants import StatusCode

from benchplan.errors import (
    BenchplanError,
    InstrumentConnectionError,
    InstrumentError,
    InstrumentTimeout,
    ResourceInUse,
)

__all__ = ["map_error", "parse_scpi_error", "scpi_error"]

#: VISA status codes that mean "no answer in time".
TIMEOUT_CODES = frozenset({StatusCode.error_timeout})

#: VISA status codes that mean the address cannot be reached (or no longer).
CONNECTION_CODES = frozenset(
    {
        StatusCode.error_connection_lost,
        StatusCode.error_resource_not_found,
        StatusCode.error_invalid_resource_name,
        StatusCode.error_no_listeners,
        StatusCode.error_library_not_found,
        StatusCode.error_machine_not_available,
        StatusCode.error_interface_number_not_configured,
        StatusCode.error_invalid_object,
        StatusCode.error_closing_failed,
        StatusCode.error_no_permission,
        StatusCode.error_not_cic,
        StatusCode.error_not_system_controller,
    }
)

#: VISA status codes that mean another program holds the resource.
BUSY_CODES = frozenset({StatusCode.error_resource_busy, StatusCode.error_resource_locked})

_CONNECT_HINT = (
    "Check the address, that the instrument (or the simulated bench) is powered, "
    "connected and listening, and that no firewall is in the way."
)
_TIMEOUT_HINT = (
    "Check that the instrument is powered and connected and that the command is a "
    "query it answers (a command it rejects gets no reply: read SYST:ERR?), "
    "or give the driver a longer timeout."
)


def _attempt(address: str, command: str | None) -> str:
    if command is None:
        return f"Opening the instrument at {address}"
    return f"Sending {command!r} to the instrument at {address}"


def map_error(
    exc: BaseException,
    *,
    address: str,
    command: str | None,
    timeout: float | None = None,
) -> BenchplanError:
    """Return the benchplan error for an exception raised below the transport.

    Parameters
    ----------
    exc : BaseException
        What pyvisa, its backend or the socket layer raised.
    address : str
        The VISA resource address in use.
    command : str or None
        The SCPI command being sent; None while opening the session.
    timeout : float, optional
        The I/O timeout in seconds, quoted in timeout messages.

    Returns
    -------
    BenchplanError
        An :class:`InstrumentError` subclass, or :class:`ResourceInUse` when
        VISA reports the resource busy or locked. Raise it ``from exc``.

    Examples
    --------
    >>> err = map_error(ConnectionRefusedError(111, "Connection refused"),
    ...                 address="TCPIP0::127.0.0.1::5025::SOCKET", command="*IDN?")
    >>> type(err).__name__
    'InstrumentConnectionError'
    """
    if isinstance(exc, BenchplanError):
        return exc
    what = _attempt(address, command)
    kw: dict[str, Any] = {"address": address, "command": command}
    limit = f" within {timeout:g} s" if timeout is not None else ""

    visa_code = exc.error_code if isinstance(exc, visa_errors.VisaIOError) else None
    if visa_code in TIMEOUT_CODES or isinstance(exc, (socket.timeout, TimeoutError)):
        return InstrumentTimeout(f"{what} timed out: no answer{limit}. {_TIMEOUT_HINT}", **kw)
    if visa_code is not None:
        if visa_code in BUSY_CODES:
            return ResourceInUse(
                f"{what} failed: VISA reports the resource busy or locked ({exc}); another "
                "program (an instrument panel, another script) holds it. Close that program "
                "and retry."
            )
        if visa_code in CONNECTION_CODES:
            return InstrumentConnectionError(f"{what} failed: {exc}. {_CONNECT_HINT}", **kw)
        return InstrumentError(f"{what} failed: VISA error {exc}.", **kw)
    if isinstance(exc, ConnectionRefusedError):
        return InstrumentConnectionError(
            f"{what} failed: connection refused, nothing listens at that host and port. "
            f"{_CONNECT_HINT}",
            **kw,
        )
    if isinstance(exc, ConnectionError):  # reset, aborted, broken pipe
        return InstrumentConnectionError(
            f"{what} failed: the connection was lost ({exc}). The instrument may have "
            "been switched off, rebooted or taken by another client; reconnect "
            "(close the driver and use it again).",
            **kw,
        )
    if isinstance(exc, OSError):  # gaierror, LibraryError, no route to host...
        return InstrumentConnectionError(f"{what} failed: {exc}. {_CONNECT_HINT}", **kw)
    if isinstance(exc, visa_errors.InvalidSession):
        return InstrumentConnectionError(
            f"{what} failed: the VISA session is closed ({exc}). Use the driver again "
            "to reopen it, or create a new driver.",
            **kw,
        )
    if isinstance(exc, visa_errors.OSNotSupported):
        return InstrumentConnectionError(f"{what} failed: {exc}.", **kw)
    if isinstance(exc, UnicodeDecodeError):
        return InstrumentError(
            f"{what} failed: the reply is not text ({exc}). Check the terminations "
            "and that the command returns ASCII.",
            **kw,
        )
    if command is None:
        # pyvisa-py raises bare Exception('could not connect: ...') and ValueError
        # for a missing interface library (pyserial, pyusb) while opening.
        return InstrumentConnectionError(f"{what} failed: {exc}. {_CONNECT_HINT}", **kw)
    return InstrumentError(f"{what} failed: {type(exc).__name__}: {exc}", **kw)


_SCPI_ERROR = re.compile(r'^\s*([+-]?\d+)\s*,\s*"?(.*?)"?\s*$')


def parse_scpi_error(reply: str) -> tuple[int, str]:
    """Split a ``SYST:ERR?`` reply into ``(code, message)``.

    Examples
    --------
    >>> parse_scpi_error('-222,"Data out of range"')
    (-222, 'Data out of range')
    >>> parse_scpi_error('+0,"No error"')
    (0, 'No error')
    """
    match = _SCPI_ERROR.match(reply)
    if match is None:
        raise ValueError(f"{reply!r} is not a SYST:ERR? reply of the form 'code,\"message\"'")
    return int(match.group(1)), match.group(2)


_HINTS = {
    700: " The command is not valid in the instrument's current mode (:ENTR:FUNC).",
    -113: " The instrument does not know this command: check its spelling for this model.",
    -222: " The value is outside what the instrument accepts.",
    -224: " The value is not one the instrument accepts.",
    -350: " The instrument's error queue overflowed; earlier errors were lost.",
}


def scpi_error(
    errors: list[tuple[int, str]], *, address: str, command: str
) -> InstrumentError:
    """Build the error for entries read from the instrument's error queue.

    The first entry gives the code; later ones are listed in the message.
    """
    code, message = errors[0]
    text = (
        f"The instrument at {address} rejected {command!r}: error {code}, "
        f'"{message}".{_HINTS.get(code, "")}'
    )
    if len(errors) > 1:
        more = "; ".join(f'{c}, "{m}"' for c, m in errors[1:])
        text += f" Also in its error queue: {more}."
    return InstrumentError(text, address=address, command=command, code=code)
