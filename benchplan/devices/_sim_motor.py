"""SimMotor: a simulated axis with ophyd.sim's data keys."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from ..errors import BenchplanError
from ._device import Device
from ._signal import SignalR, SignalRW
from ._soft import SoftSignalBackend
from ._status import Status

__all__ = ["SimMotor", "sim_signal_r_and_setter", "sim_signal_rw"]


def sim_signal_rw(datatype: type, value: Any, *, kind: str, **options: Any) -> SignalRW[Any]:
    """A soft read-write signal whose source reads ``SIM:name``, like ophyd.sim."""
    return SignalRW(SoftSignalBackend(datatype, value, source_prefix="SIM:", **options), kind=kind)


def sim_signal_r_and_setter(
    datatype: type, value: Any, *, kind: str, **options: Any
) -> tuple[SignalR[Any], Callable[[Any], None]]:
    """A soft read-only signal whose source reads ``SIM:name``, and its setter."""
    backend = SoftSignalBackend(datatype, value, source_prefix="SIM:", **options)
    return SignalR(backend, kind=kind), backend.put


class _Move:
    __slots__ = ("start", "target", "duration", "began", "status", "timer")

    def __init__(self, start: float, target: float, duration: float, status: Status) -> None:
        self.start = start
        self.target = target
        self.duration = duration
        self.began = time.monotonic()
        self.status = status
        self.timer: threading.Timer | None = None


class SimMotor(Device):
    """A simulated motor that reads like ophyd.sim's ``SynAxis``.

    ``read()`` gives ``{name}`` (the readback, hinted) and ``{name}_setpoint``;
    the configuration is ``{name}_velocity`` and ``{name}_acceleration``.

    Parameters
    ----------
    name : str
        The motor's name, and the data key of its readback.
    delay : float, optional
        Seconds a move takes. 0 (default): ``set`` returns a finished status.
        Otherwise the readback jumps to the target when the move ends.
    precision : int, optional
        Digits reported in the data keys. Default 3.
    limits : (low, high), optional
        ``set`` outside them raises ValueError.

    Examples
    --------
    >>> m = SimMotor("m")
    >>> m.set(1.5).done, m.position
    (True, 1.5)
    >>> m.read()["m"]["value"], list(m.read())
    (1.5, ['m', 'm_setpoint'])
    """

    def __init__(
        self,
        name: str,
        *,
        delay: float = 0.0,
        precision: int = 3,
        limits: tuple[float | None, float | None] | None = None,
    ) -> None:
        if not delay >= 0:
            raise ValueError(
                f"Cannot make motor {name!r} with delay={delay!r}: the delay is "
                "the duration of a move in seconds and must be zero or more."
            )
        super().__init__(name)
        self.readback, self._set_readback = sim_signal_r_and_setter(
            float, 0.0, kind="hinted", precision=precision
        )
        self.setpoint = sim_signal_rw(
            float, 0.0, kind="normal", precision=precision, limits=limits
        )
        self.velocity = sim_signal_rw(float, 1.0, kind="config")
        self.acceleration = sim_signal_rw(float, 1.0, kind="config")
        self.delay = delay
        self.precision = precision
        self._lock = threading.Lock()
        self._move: _Move | None = None
        self.readback.name = name

    def set_name(self, name: str) -> None:
        """Rename the motor; the readback keeps the motor's own name."""
        super().set_name(name)
        self.readback.name = name

    @property
    def position(self) -> float:
        """The readback value."""
        return float(self.readback.get())

    def locate(self) -> dict[str, float]:
        """Return ``{'setpoint': ..., 'readback': ...}``."""
        return {"setpoint": self.setpoint.get(), "readback": self.readback.get()}

    def set(self, value: float) -> Status:
        """Move to ``value``; return a status finished on arrival.

        Raises ValueError at once outside the limits. A move already under
        way is stopped first and its status fails.
        """
        self.setpoint.put(value)
        target = self.setpoint.get()
        previous = self._take_move()
        if previous is not None:
            self._end(previous, f"it was replaced by a move to {target}", success=False)
        if not self.delay:
            self._set_readback(target)
            return Status.finished(self)
        status = Status(self)
        move = _Move(self.readback.get(), target, self.delay, status)
        timer = move.timer = threading.Timer(self.delay, self._arrive, (move,))
        timer.daemon = True
        with self._lock:
            self._move = move
        timer.start()
        return status

    def stop(self, *, success: bool = False) -> None:
        """Halt a move in progress where it is; its status fails unless ``success``."""
        move = self._take_move()
        if move is not None:
            self._end(move, "stop() was called", success=success)

    def safe_state(self) -> None:
        """Stop any move in progress (the motor's safe state)."""
        self.stop()

    def subscribe(
        self, callback: Callable[..., None], event_type: str | None = None, run: bool = True
    ) -> int:
        """Subscribe to the readback; see :meth:`SignalR.subscribe`."""
        return self.readback.subscribe(callback, event_type, run)

    def clear_sub(self, callback: Callable[..., None] | int, event_type: str | None = None) -> None:
        """Remove a readback subscription, by token or callback."""
        self.readback.clear_sub(callback, event_type)

    def _take_move(self) -> _Move | None:
        with self._lock:
            move, self._move = self._move, None
        return move

    def _arrive(self, move: _Move) -> None:
        with self._lock:
            if self._move is not move:  # stopped or replaced meanwhile
                return
            self._move = None
        self._set_readback(move.target)
        move.status.set_finished()

    def _end(self, move: _Move, why: str, *, success: bool) -> None:
        if move.timer is not None:
            move.timer.cancel()
        fraction = min((time.monotonic() - move.began) / move.duration, 1.0)
        where = move.start + (move.target - move.start) * fraction
        self._set_readback(where)
        if success:
            move.status.set_finished()
            return
        move.status.set_exception(
            BenchplanError(
                f"The move of {self.name!r} from {move.start:.{self.precision}f} to "
                f"{move.target:.{self.precision}f} did not finish: {why}; it halted "
                f"at {where:.{self.precision}f}. Set it again to complete the move."
            )
        )
