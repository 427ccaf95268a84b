"""Small typed factories declaring a driver's signals.

A driver's body is declarations::

    class Supply(ScpiInstrument):
        voltage = scpi_control(":SOUR1:VOLT?", ":SOUR1:VOLT {:g}",
                               validator=in_range(0, 20), units="V")
        measured_current = scpi_measurement(":MEAS:CURR?", units="A")

Each factory returns a :class:`ScpiSignalSpec`; when a driver is created,
every spec in its class becomes a signal (a child of the device) over a
:class:`~benchplan.devices.visa.ScpiBackend`. ``{ch}`` in a command is
replaced by the channel of the device the signal is built for, and
:func:`~._validators.rated` limits by that device's ratings.
"""

from __future__ import annotations

from typing import Any, Callable, Generic, TypeVar, overload

from benchplan.devices import SignalR, SignalRW
from benchplan.devices.visa import ScpiBackend

from ._validators import OneOf, Validator, parse_bool, parse_float, parse_floats, parse_str

__all__ = [
    "ScpiSignalRW",
    "ScpiSignalSpec",
    "scpi_array",
    "scpi_choice",
    "scpi_control",
    "scpi_measurement",
    "scpi_setting",
    "scpi_status",
    "scpi_switch",
]

S = TypeVar("S", bound=SignalR[Any])
T = TypeVar("T")


class ScpiSignalRW(SignalRW[T]):
    """An instrument setpoint: a :class:`~benchplan.devices.SignalRW` whose
    ``safe_state()`` is its device's.

    The RunEngine calls ``safe_state()`` on halt and panic on what a plan set,
    which for an instrument is a setpoint signal (``mv(psu.ch1.voltage, 5)``);
    this switches off the outputs benchplan switched on on that instrument
    (or channel).
    """

    def safe_state(self) -> None:
        """Call the owning device's ``safe_state()`` (nothing without one)."""
        safe_state = getattr(self.parent, "safe_state", None)
        if safe_state is not None:
            safe_state()


class ScpiSignalSpec(Generic[S]):
    """The declaration of one SCPI signal; see the ``scpi_*`` factories.

    On a driver class it stands for the signal each driver instance has.
    """

    def __init__(
        self,
        signal_type: type[S],
        *,
        get_cmd: str | None,
        set_cmd: str | None,
        parse: Callable[[str], Any],
        to_text: Callable[[Any], object] | None = None,
        validator: Validator | None = None,
        dtype: str = "number",
        shape: list[int] | None = None,
        units: str | None = None,
        precision: int | None = None,
        kind: str = "normal",
        initial: Any = None,
        backend_type: type[ScpiBackend[Any]] = ScpiBackend,
    ) -> None:
        self.signal_type = signal_type
        self.get_cmd = get_cmd
        self.set_cmd = set_cmd
        self.parse = parse
        self.to_text = to_text
        self.validator = validator
        self.dtype = dtype
        self.shape = shape
        self.units = units
        self.precision = precision
        self.kind = kind
        self.initial = initial
        self.backend_type = backend_type
        self.attr = ""

    def __set_name__(self, owner: type, attr: str) -> None:
        self.attr = attr

    @overload
    def __get__(self, obj: None, owner: type) -> ScpiSignalSpec[S]: ...
    @overload
    def __get__(self, obj: object, owner: type) -> S: ...
    def __get__(self, obj: object | None, owner: type) -> Any:
        if obj is None:
            return self
        raise AttributeError(
            f"{type(obj).__name__}.{self.attr} is not built yet: the driver's __init__ "
            "must run ScpiInstrument.__init__ first."
        )

    def build(self, device: Any) -> S:
        """Make the signal for ``device`` (a driver or one of its channels).

        ``device`` provides ``address``, ``channel`` (or None), ``ratings``,
        ``poll_rate`` and ``connection()``.
        """
        channel = device.channel
        get_cmd, set_cmd = self.get_cmd, self.set_cmd
        if channel is not None:
            get_cmd = get_cmd.replace("{ch}", str(channel)) if get_cmd else None
            set_cmd = set_cmd.replace("{ch}", str(channel)) if set_cmd else None
        validator = self.validator.bind(device.ratings) if self.validator else None
        backend = self.backend_type(
            device.connection,
            address=device.address,
            get_cmd=get_cmd,
            set_cmd=set_cmd,
            parse=self.parse,
            to_text=self.to_text,
            validator=validator,
            dtype=self.dtype,
            shape=self.shape,
            units=self.units,
            limits=validator.limits if validator else None,
            choices=validator.choices if validator else None,
            precision=self.precision,
            poll_rate=device.poll_rate,
            initial=self.initial,
        )
        return self.signal_type(backend, kind=self.kind)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.attr or '?'}: {self.get_cmd or self.set_cmd}>"


def scpi_control(
    get_cmd: str,
    set_cmd: str,
    *,
    validator: Validator,
    units: str | None = None,
    precision: int | None = None,
    kind: str = "normal",
) -> ScpiSignalSpec[ScpiSignalRW[float]]:
    """A numeric setpoint: ``get_cmd`` reads it back, ``set_cmd.format(value)`` writes it.

    Parameters
    ----------
    get_cmd, set_cmd : str
        May contain ``{ch}``; ``set_cmd`` has one ``{}`` field (e.g. ``{:g}``).
    validator : Validator
        Checks a value before anything is sent, e.g. ``in_range(0, rated('voltage'))``.
    units, precision : optional
        For ``describe()``.
    kind : str
        Default ``'normal'``.

    Examples
    --------
    >>> voltage = scpi_control(":SOUR{ch}:VOLT?", ":SOUR{ch}:VOLT {:g}",
    ...                        validator=in_range(0, rated("voltage")), units="V")
    """
    return ScpiSignalSpec(
        ScpiSignalRW, get_cmd=get_cmd, set_cmd=set_cmd, parse=parse_float,
        validator=validator, units=units, precision=precision, kind=kind,
    )


def scpi_measurement(
    cmd: str, *, units: str | None = None, precision: int | None = None, kind: str = "hinted"
) -> ScpiSignalSpec[SignalR[float]]:
    """A numeric reading (read-only, subscribable by polling).

    >>> measured_current = scpi_measurement(":MEAS:CURR? CH{ch}", units="A")
    """
    return ScpiSignalSpec(
        SignalR, get_cmd=cmd, set_cmd=None, parse=parse_float,
        units=units, precision=precision, kind=kind,
    )


def scpi_array(
    cmd: str, *, length: int, units: str | None = None, kind: str = "normal"
) -> ScpiSignalSpec[SignalR[list[float]]]:
    """A reading of ``length`` comma-separated numbers (``:MEAS:ALL?`` -> V, I, P).

    >>> all_readings = scpi_array(":MEAS:ALL? CH{ch}", length=3)
    """
    return ScpiSignalSpec(
        SignalR, get_cmd=cmd, set_cmd=None, parse=parse_floats,
        dtype="array", shape=[length], units=units, kind=kind,
    )


def scpi_switch(
    get_cmd: str, set_cmd: str, *, on: str = "ON", off: str = "OFF", kind: str = "config"
) -> ScpiSignalSpec[ScpiSignalRW[bool]]:
    """An on/off setting: True writes ``on``, False ``off``; replies 1/0/ON/OFF parse.

    >>> output = scpi_switch(":OUTP? CH{ch}", ":OUTP CH{ch},{}")
    """
    def to_text(value: bool) -> str:
        return on if value else off

    return ScpiSignalSpec(
        ScpiSignalRW, get_cmd=get_cmd, set_cmd=set_cmd, parse=parse_bool, to_text=to_text,
        validator=_BOOL, dtype="boolean", kind=kind,
    )


def scpi_choice(
    get_cmd: str, set_cmd: str, choices: OneOf, *, kind: str = "config"
) -> ScpiSignalSpec[ScpiSignalRW[str]]:
    """A setting taking one of a few words, e.g. ``one_of('DYNAMIC', 'STATIC')``."""
    return ScpiSignalSpec(
        ScpiSignalRW, get_cmd=get_cmd, set_cmd=set_cmd, parse=parse_str, to_text=str,
        validator=choices, dtype="string", kind=kind,
    )


def scpi_setting(
    set_cmd: str, validator: Validator, *, initial: str = "", kind: str = "config"
) -> ScpiSignalSpec[ScpiSignalRW[str]]:
    """A write-only setting (no query exists): reading it gives the text last sent.

    >>> model = scpi_setting(":BATT:MOD:RCL {}", one_of(1, 2, 3))
    """
    return ScpiSignalSpec(
        ScpiSignalRW, get_cmd=None, set_cmd=set_cmd, parse=parse_str, to_text=str,
        validator=validator, dtype="string", kind=kind, initial=initial,
    )


def scpi_status(cmd: str, *, kind: str = "config") -> ScpiSignalSpec[SignalR[str]]:
    """A read-only word (``:OUTP:PROT:TRIP?`` -> ``NONE``)."""
    return ScpiSignalSpec(SignalR, get_cmd=cmd, set_cmd=None, parse=parse_str, dtype="string", kind=kind)


class _Bool(Validator):
    def __call__(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if value in (0, 1) and not isinstance(value, str):
            return bool(value)
        raise ValueError(f"expected True or False (or 1/0), got {value!r}")


_BOOL = _Bool()
