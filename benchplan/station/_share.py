"""Sharing held instruments with other processes, and the client-side proxy.

A process holding an instrument has its lock file, so every other process gets
:class:`~benchplan.errors.ResourceInUse`. With sharing on, the holder serves
``device_read``, ``device_set`` and ``device_describe`` on its control endpoint
(its RunEngine's, or the script endpoint): each request runs through the holder's
own driver objects, in a worker thread, so the address lock serializes it with the
holder's own commands. ``benchplan read ID psu.ch1.measured_current`` and
``benchplan.remote(ID).device('psu')`` are the clients.

A target is ``ROLE`` or ``ROLE.PATH``, where the path walks the device's children
(``psu.ch1.voltage``). Only held roles are served, only signals can be read or set
(never methods), and only settable signals can be set.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import threading
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence

from benchplan.errors import ControlError

from ._config import StationError

__all__ = [
    "RemoteDevice", "RemoteSignal", "SharedInstruments", "publish", "sharing_hint", "withdraw",
]


class SharedInstruments:
    """What one station serves: its name, roles, held devices and where to log settings."""

    def __init__(self, station: str, roles: Sequence[str], held: Callable[[], Mapping[str, Any]],
                 record: Callable[..., None]) -> None:
        self.station = station
        self.roles = tuple(roles)
        self.held = held
        self.record = record


_shares: list[SharedInstruments] = []
_shares_lock = threading.Lock()


def publish(share: SharedInstruments, RE: Any = None) -> str:
    """Serve ``share`` on ``RE``'s control endpoint (or the script endpoint); return its id."""
    with _shares_lock:
        if share not in _shares:
            _shares.append(share)
    handlers = {"device_describe": _describe, "device_read": _read, "device_set": _set}
    if RE is not None:
        for name, handler in handlers.items():
            RE.add_control_operation(name, handler)
        ident = RE.serve_control()
    else:
        from benchplan._script_control import script_endpoint

        endpoint = script_endpoint()
        if endpoint is not None:
            for name, handler in handlers.items():
                endpoint.add_operation(name, handler)
        ident = endpoint.id if endpoint is not None else None
    if ident is None:
        withdraw(share)
        raise StationError(
            f"Cannot share the instruments of station {share.station!r}: this process has no "
            "control endpoint (BENCHPLAN_CONTROL is off, or the endpoint could not start). "
            "Unset BENCHPLAN_CONTROL and try again."
        )
    return str(ident)


def withdraw(share: SharedInstruments) -> None:
    """Stop serving ``share`` (requests for its roles are refused from now on)."""
    with _shares_lock:
        if share in _shares:
            _shares.remove(share)


def sharing_hint(address: str, role: str) -> str:
    """How to reach the holder of ``address`` instead (for ResourceInUse messages)."""
    from benchplan.devices.visa import InstrumentLock
    from benchplan.engine._endpoint import list_endpoints

    holder = InstrumentLock(address).holder()
    if holder is None:
        return ""
    ids = [e["id"] for e in list_endpoints() if e.get("pid") == holder.pid]
    if not ids:
        return ""
    return (f" If that process shares its instruments (station.share()), read it with "
            f"`benchplan read {ids[0]} {role}.SIGNAL` or "
            f"benchplan.remote({ids[0]!r}).device({role!r}).")


# -- the server side ----------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, msg: str, error: str = "refused") -> None:
        super().__init__(msg)
        self.error = error


def _children(obj: Any) -> Mapping[str, Any]:
    children = getattr(obj, "children", None)
    return children if isinstance(children, Mapping) else {}


def _walk(obj: Any, prefix: str = "") -> Iterator[tuple[str, Any, bool]]:
    """(path, object, is_signal) of every child below ``obj``, depth first."""
    for attr, child in _children(obj).items():
        path = f"{prefix}{attr}"
        is_signal = not _children(child) and callable(getattr(child, "read", None))
        yield path, child, is_signal
        if not is_signal:
            yield from _walk(child, f"{path}.")


def _settable(signal: Any) -> bool:
    return callable(getattr(signal, "put", None)) or callable(getattr(signal, "set", None))


def _resolve(target: Any) -> tuple[SharedInstruments, str, Any, Any, str]:
    """-> (share, role, device, object, path) for a target, or raise _Refused saying why."""
    if not isinstance(target, str) or not target.strip():
        raise _Refused("no target given; expected DEVICE or DEVICE.SIGNAL, e.g. psu.ch1.voltage")
    role, _, path = target.strip().partition(".")
    with _shares_lock:
        shares = list(_shares)
    if not shares:
        raise _Refused(f"process {os.getpid()} shares no instruments; call station.share() "
                       "(or connect(..., share=True)) in the process holding them")
    for share in shares:
        held = share.held()
        if role in held:
            break
        if role in share.roles:
            raise _Refused(
                f"role {role!r} of station {share.station!r} is not held by process "
                f"{os.getpid()}, so it is not shared; it is free to use directly: "
                f"benchplan.connect({share.station!r}).instrument({role!r})")
    else:
        known = sorted({r for s in shares for r in s.held()})
        raise _Refused(f"no shared instrument has the role {role!r}; the shared roles here "
                       f"are {', '.join(known) or 'none'}")
    device = held[role]
    obj, reached = device, role
    for part in path.split(".") if path else ():
        child = _children(obj).get(part)
        if child is None:
            signals = [p for p, _, is_signal in _walk(obj) if is_signal]
            raise _Refused(f"{reached} has no signal {part!r}; its signals are "
                           f"{', '.join(signals) or 'none'}")
        obj, reached = child, f"{reached}.{part}"
    return share, role, device, obj, path


def _plain(value: Any) -> Any:
    tolist = getattr(value, "tolist", None)
    if tolist is not None:
        return tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


async def _in_worker(func: Callable[[], Any]) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, func)


def _answer(handler: Callable[..., Any]) -> Callable[..., Any]:
    async def wrapped(request: dict, reader: Any, writer: Any) -> dict:
        doing = f"Cannot {request['op'].partition('_')[2]} {request.get('target') or 'devices'}"
        try:
            return await handler(request, writer)
        except _Refused as exc:
            return {"success": False, "msg": f"{doing}: {exc}.", "error": exc.error}
        except ValueError as exc:
            return {"success": False, "msg": str(exc), "error": "ValueError"}
        except Exception as exc:
            return {"success": False, "msg": f"{doing}: {type(exc).__name__}: {exc}",
                    "error": type(exc).__name__}

    wrapped.__name__ = handler.__name__
    return wrapped


@_answer
async def _describe(request: dict, writer: Any) -> dict:
    target = request.get("target")
    if not target:
        with _shares_lock:
            shares = list(_shares)
        roles = {r: {"station": s.station, "name": getattr(d, "name", r)}
                 for s in shares for r, d in s.held().items()}
        return {"success": True, "msg": f"{len(roles)} shared instrument(s)", "roles": roles}
    share, role, device, obj, path = _resolve(target)
    start = f"{path}." if path else ""

    def describe() -> tuple[dict[str, dict], list[str]]:
        signals, devices = {}, []
        for sub, child, is_signal in _walk(obj):
            if not is_signal:
                devices.append(start + sub)
                continue
            described = child.describe() if callable(getattr(child, "describe", None)) else {}
            signals[start + sub] = {
                "name": getattr(child, "name", sub), "kind": getattr(child, "kind", "normal"),
                "settable": _settable(child), "datakey": _plain(next(iter(described.values()), {})),
            }
        return signals, devices

    signals, devices = await _in_worker(describe)
    return {"success": True, "msg": f"{target}: {len(signals)} signals", "station": share.station,
            "role": role, "signals": signals, "devices": devices}


@_answer
async def _read(request: dict, writer: Any) -> dict:
    share, role, device, obj, path = _resolve(request.get("target"))
    reading = _plain(await _in_worker(obj.read))
    keys = await _in_worker(obj.describe) if callable(getattr(obj, "describe", None)) else {}
    units = {k: v.get("units") for k, v in keys.items() if isinstance(v, dict) and v.get("units")}
    return {"success": True, "msg": f"read {request['target']}", "reading": reading, "units": units}


def _from_text(signal: Any, text: str) -> Any:
    describe = getattr(signal, "describe", None)
    described: dict[str, Any] = describe() if callable(describe) else {}
    datakey: dict[str, Any] = next(iter(described.values()), {})
    dtype = datakey.get("dtype", "string")
    if dtype == "boolean":
        lowered = text.strip().lower()
        if lowered in ("1", "on", "true", "yes"):
            return True
        if lowered in ("0", "off", "false", "no"):
            return False
        raise ValueError(f"Cannot set {signal.name} to {text!r}: it takes on/off, true/false "
                         "or 1/0.")
    if dtype in ("number", "integer"):
        try:
            return int(text) if dtype == "integer" else float(text)
        except ValueError:
            raise ValueError(f"Cannot set {signal.name} to {text!r}: it takes a {dtype}.") from None
    return text


def _peer_pid(writer: Any) -> Optional[int]:
    sock = writer.get_extra_info("socket") if writer is not None else None
    if sock is None or not hasattr(socket, "SO_PEERCRED"):
        return None
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return int(struct.unpack("3i", creds)[0])


@_answer
async def _set(request: dict, writer: Any) -> dict:
    share, role, device, signal, path = _resolve(request.get("target"))
    target = request["target"].strip()
    if not path or _children(signal) or not _settable(signal):
        parent = target.rpartition(".")[0] if path and not _children(signal) else target
        _, _, _, below, _ = _resolve(parent)
        settable = [p for p, child, is_signal in _walk(below) if is_signal and _settable(child)]
        what = "a device, not a signal" if not path or _children(signal) else "read-only"
        raise _Refused(f"it is {what}; the settable signals of {parent} "
                       f"are {', '.join(settable) or 'none'}")
    value = request.get("value")
    if request.get("text") and isinstance(value, str):
        value = _from_text(signal, value)

    def write() -> Any:
        put = getattr(signal, "put", None)
        if callable(put):
            put(value)
        else:
            signal.set(value).wait()
        return _plain(signal.get()) if callable(getattr(signal, "get", None)) else value

    readback = await _in_worker(write)
    share.record("setting", role=role, key=path,
                 data={"value": _plain(value), "readback": readback, "by_pid": _peer_pid(writer)})
    return {"success": True, "msg": f"set {target} to {value!r} (reads back {readback!r})",
            "value": _plain(value), "readback": readback}


# -- the client side ---------------------------------------------------------------------


def _request(client: Any, op: str, **fields: Any) -> dict:
    answer = client.request(op, **fields)
    if answer.get("success"):
        return answer
    msg = answer.get("msg", f"{op} failed")
    if answer.get("error") == "ValueError":
        raise ValueError(msg)
    raise ControlError(f"{msg} (endpoint {client.id!r})")


class RemoteSignal:
    """A signal of an instrument held by another process, reached through its endpoint.

    Obtain one as an attribute of a :class:`RemoteDevice`: ``remote(ID).device('psu').ch1.voltage``.
    """

    def __init__(self, client: Any, target: str, info: Mapping[str, Any]) -> None:
        self._client = client
        self.target = target
        self.name: str = info.get("name", target)
        self.settable: bool = bool(info.get("settable"))
        self._datakey = dict(info.get("datakey") or {})

    def read(self) -> dict[str, dict[str, Any]]:
        """``{name: {'value': v, 'timestamp': t}}``, read by the holder."""
        return _request(self._client, "device_read", target=self.target)["reading"]

    def get(self) -> Any:
        """The current value, read by the holder."""
        reading = self.read()
        found = reading.get(self.name) or next(iter(reading.values()))
        return found["value"]

    def set(self, value: Any) -> Any:
        """Have the holder set the signal; return the value it reads back.

        Raises ValueError for a value the signal refuses, ControlError for anything else.
        """
        return _request(self._client, "device_set", target=self.target, value=value)["readback"]

    def describe(self) -> dict[str, dict[str, Any]]:
        """``{name: data key}`` as the holder describes it."""
        return {self.name: dict(self._datakey)}

    def __repr__(self) -> str:
        return f"RemoteSignal({self.target!r} at endpoint {self._client.id!r})"


class RemoteDevice:
    """An instrument held (and shared) by another process: read it and set its signals.

    Signals and channels are attributes, as on the device itself. Made by
    ``benchplan.remote(ID).device(role)``.

    Parameters
    ----------
    client : RemoteControl
        The client of the holder's control endpoint.
    role : str
        The role, or a path below it (``'psu.ch1'``).

    Raises
    ------
    ControlError
        The holder does not share ``role`` (the message says why).

    Examples
    --------
    >>> psu = benchplan.remote("48213").device("psu")  # doctest: +SKIP
    >>> psu.ch1.measured_current.get()  # doctest: +SKIP
    0.5
    >>> psu.ch1.voltage.set(5.0)  # doctest: +SKIP
    5.0
    """

    def __init__(self, client: Any, role: str) -> None:
        answer = _request(client, "device_describe", target=role)
        self._client = client
        self.target = role
        self._signals: dict[str, dict] = answer["signals"]
        self._devices: list[str] = answer["devices"]

    def read(self) -> dict[str, dict[str, Any]]:
        """The device's reading, taken by the holder."""
        return _request(self._client, "device_read", target=self.target)["reading"]

    def describe(self) -> dict[str, dict[str, Any]]:
        """The data keys of :meth:`read`, as the holder describes them."""
        return {info["name"]: dict(info["datakey"]) for info in self._signals.values()
                if info.get("kind") in ("hinted", "normal")}

    @property
    def signals(self) -> list[str]:
        """The paths of every signal below this device (``ch1.voltage`` ...)."""
        start = len(self.target.partition(".")[2])
        return [p[start + 1 if start else 0:] for p in self._signals]

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        role, _, below = self.target.partition(".")
        path = f"{below}.{attr}" if below else attr
        if path in self._signals:
            return RemoteSignal(self._client, f"{role}.{path}", self._signals[path])
        if path in self._devices:
            child = object.__new__(RemoteDevice)
            child._client, child.target = self._client, f"{role}.{path}"
            child._signals = {p: i for p, i in self._signals.items() if p.startswith(f"{path}.")}
            child._devices = [d for d in self._devices if d.startswith(f"{path}.")]
            return child
        raise AttributeError(f"{self.target} (at endpoint {self._client.id!r}) has no signal or "
                             f"channel {attr!r}; its signals are "
                             f"{', '.join(self.signals) or 'none'}")

    def __dir__(self) -> list[str]:
        below = self.target.partition(".")[2]
        start = f"{below}." if below else ""
        names = {p[len(start):].split(".")[0] for p in [*self._signals, *self._devices]
                 if p.startswith(start)}
        return sorted(names | {"read", "describe", "signals", "target"})

    def __repr__(self) -> str:
        return f"RemoteDevice({self.target!r} at endpoint {self._client.id!r})"
