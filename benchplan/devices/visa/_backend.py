"""The SCPI signal backend: a signal's value lives in an instrument.

``get`` is a query, ``put`` a validated write the instrument confirms, and
``subscribe`` polls the query from the session's polling thread (default
10 Hz), pushing a value when it changes. Every I/O goes through the
driver's :class:`~._transport.Transport`, so it shares the address lock with
everything else on that instrument.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any, Callable, Generic, TypeVar

from benchplan.devices._backend import UpdateCallback
from benchplan.errors import BenchplanError

from ._transport import Transport

__all__ = ["DEFAULT_POLL_RATE", "ScpiBackend"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Polls per second of a subscribed SCPI signal unless configured otherwise.
DEFAULT_POLL_RATE = 10.0

_NUMPY_DTYPES = {"number": "<f8", "integer": "<i8", "boolean": "|b1"}


class ScpiBackend(Generic[T]):
    """A :class:`~benchplan.devices._backend.SignalBackend` over SCPI commands.

    Parameters
    ----------
    connection : callable
        Returns the driver's live transport (connecting on first use).
    address : str
        The instrument address, for ``source`` (no I/O needed).
    get_cmd : str or None
        The query reading the value; None for a write-only setting, whose
        ``get`` returns the last value written.
    set_cmd : str or None
        The command writing a value, formatted with ``set_cmd.format(text)``
        where ``text = to_text(value)``; None for a read-only signal.
    parse : callable
        Turns the reply into the value.
    to_text : callable, optional
        Turns a (validated) value into what goes into ``set_cmd``; by default
        the value itself, so ``{:g}`` formats numbers.
    validator : callable, optional
        Returns the value to write or raises ``ValueError``; runs before any I/O.
    dtype : str
        The event-model dtype: ``'number'``, ``'integer'``, ``'boolean'``,
        ``'string'`` or ``'array'``.
    shape : list of int
        ``[]`` for scalars.
    units, limits, choices, precision
        Copied into the data key when given.
    poll_rate : float
        Polls per second while subscribed.
    initial : object
        What ``get`` of a write-only setting returns before the first write;
        afterwards it returns the text last sent.

    Examples
    --------
    >>> backend = ScpiBackend(lambda: transport, address=addr, get_cmd="MEAS:VOLT?",
    ...                       set_cmd=None, parse=float, dtype="number", units="V")
    >>> backend.get()
    (5.001, 1718000000.0)
    """

    blocking = True

    def __init__(
        self,
        connection: Callable[[], Transport],
        *,
        address: str,
        get_cmd: str | None,
        set_cmd: str | None,
        parse: Callable[[str], T],
        to_text: Callable[[T], object] | None = None,
        validator: Callable[[Any], T] | None = None,
        dtype: str = "number",
        shape: list[int] | None = None,
        units: str | None = None,
        limits: tuple[float | None, float | None] | None = None,
        choices: list[Any] | None = None,
        precision: int | None = None,
        poll_rate: float = DEFAULT_POLL_RATE,
        initial: Any = None,
    ) -> None:
        if get_cmd is None and set_cmd is None:
            raise ValueError("A SCPI signal needs a get command, a set command, or both.")
        if not poll_rate > 0:
            raise ValueError(f"poll_rate must be a positive number of polls per second; got {poll_rate!r}.")
        self.connection = connection
        self.address = address
        self.get_cmd = get_cmd
        self.set_cmd = set_cmd
        self._parse = parse
        self._to_text = to_text or _same
        self._validator = validator
        self.poll_rate = poll_rate
        self._last_written: tuple[Any, float] = (initial, 0.0)
        self._subscription: tuple[Transport, int] | None = None
        key: dict[str, Any] = {"dtype": dtype, "shape": list(shape or [])}
        if dtype in _NUMPY_DTYPES:
            key["dtype_numpy"] = _NUMPY_DTYPES[dtype]
        if units is not None:
            key["units"] = units
        if limits is not None:
            key["limits"] = {"control": {"low": limits[0], "high": limits[1]}}
        if choices is not None:
            key["choices"] = [str(c) for c in choices]
        if precision is not None:
            key["precision"] = precision
        self._datakey = key

    # -- SignalBackend ---------------------------------------------------------

    def source(self, name: str) -> str:
        """``visa://ADDRESS/COMMAND``, naming the query (or the set command)."""
        command = self.get_cmd or str(self.set_cmd).split(" ", 1)[0]
        return f"visa://{self.address}/{command}"

    def datakey(self, name: str) -> dict[str, Any]:
        """The describe() entry, with units and control limits where known."""
        key = dict(self._datakey)
        key["shape"] = list(key["shape"])
        key["source"] = self.source(name)
        return key

    def get(self) -> tuple[T, float]:
        """Query the instrument; return ``(value, timestamp)``."""
        if self.get_cmd is None:
            return self._last_written
        reply = self.connection().query(self.get_cmd)
        try:
            value = self._parse(reply)
        except (ValueError, TypeError, IndexError) as exc:
            raise BenchplanError(
                f"Reading {self.get_cmd!r} from the instrument at {self.address} gave "
                f"{reply!r}, which is not the expected value ({exc}). Check that the "
                "driver matches the instrument model and firmware."
            ) from exc
        return value, time.time()

    def validate(self, value: Any) -> T:
        """Return the value to write, or raise ValueError saying why not (no I/O)."""
        if self._validator is None:
            return value  # type: ignore[no-any-return]
        return self._validator(value)

    def put(self, value: T) -> None:
        """Validate (before any I/O), write, and return once the instrument confirmed."""
        if self.set_cmd is None:
            raise TypeError(
                f"{self.get_cmd!r} at {self.address} is read-only; it cannot be set."
            )
        if self._validator is not None:
            value = self._validator(value)
        text = self._to_text(value)
        self.connection().write(self.set_cmd.format(text), confirm=True)
        if self.get_cmd is None:
            self._last_written = (text, time.time())

    @property
    def polling(self) -> bool:
        """True while subscribed and the poll's transport is open."""
        subscription = self._subscription
        return subscription is not None and not subscription[0].closed

    def subscribe(self, callback: UpdateCallback | None) -> None:
        """Start polling (callback) or stop (None). Values are pushed on change.

        While subscribed, the transport claims its role, so another role of a
        dual-role instrument cannot take the instrument from under the poll.
        """
        if self._subscription is not None:
            transport, token = self._subscription
            self._subscription = None
            if not transport.closed:
                transport.session.poller.remove(token)
                transport.unclaim()
        if callback is None:
            return
        transport = self.connection()
        transport.claim()
        try:
            token = transport.session.poller.add(self._poll_job(transport, callback), 1.0 / self.poll_rate)
        except BaseException:
            transport.unclaim()
            raise
        self._subscription = (transport, token)

    # -- internals -------------------------------------------------------------

    def _poll_job(self, transport: Transport, callback: UpdateCallback) -> Callable[[], bool]:
        last: list[Any] = [_UNSET]
        failures = [0]

        def poll() -> bool:
            if transport.closed:
                return False  # the driver was closed: stop polling
            try:
                value, timestamp = self.get()
            except BenchplanError as exc:
                failures[0] += 1
                if failures[0] == 1:
                    logger.warning("Polling %s failed: %s", self.source(""), exc)
                if failures[0] == _FAILURES_BEFORE_NAN and isinstance(last[0], (int, float)):
                    # tell subscribers the value is unknown: a suspender watching it
                    # treats NaN as out of bounds, so a silent instrument holds the plan
                    logger.warning(
                        "Polling %s failed %d times in a row; reporting NaN until it answers",
                        self.source(""),
                        failures[0],
                    )
                    last[0] = math.nan
                    callback(math.nan, time.time())
                return True
            if failures[0]:
                logger.info("Polling %s works again", self.source(""))
                failures[0] = 0
            if _changed(last[0], value):
                last[0] = value
                callback(value, timestamp)
            return True

        return poll


_UNSET = object()
#: consecutive failed polls after which a numeric signal reports NaN
_FAILURES_BEFORE_NAN = 3


def _same(value: Any) -> Any:
    return value


def _changed(old: Any, new: Any) -> bool:
    if old is _UNSET:
        return True
    try:
        return bool(old != new)
    except Exception:  # arrays compare elementwise
        return True
