"""Run bundling: the documents of one run, composed with event-model."""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Iterable, Optional, cast

import event_model

from ..errors import IllegalMessageSequence

__all__ = ["RunBundler", "INTERRUPTIONS"]

logger = logging.getLogger("benchplan.engine")

#: The name of the stream that records pauses, suspensions and resumes.
INTERRUPTIONS = "interruptions"
_INTERRUPTION_KEYS = {INTERRUPTIONS: {"dtype": "string", "shape": [], "source": "RunEngine"}}

Emit = Callable[[str, dict[str, Any]], None]


class _Stream:
    """A descriptor and its event factory."""

    __slots__ = ("descriptor", "compose_event")

    def __init__(self, bundle: Any) -> None:
        self.descriptor: dict[str, Any] = bundle.descriptor_doc
        self.compose_event: Callable[..., dict[str, Any]] = bundle.compose_event


class RunBundler:
    """Composes and emits the documents of one open run.

    Parameters
    ----------
    metadata : dict
        The start document's metadata (without uid and time).
    emit : callable
        ``emit(name, doc)`` sends a document to the subscribers.
    key : hashable
        The run key (``Msg.run``) this run was opened with.
    record_interruptions : bool
        Whether to add the ``interruptions`` stream.
    """

    def __init__(
        self, metadata: dict[str, Any], emit: Emit, key: Any, record_interruptions: bool
    ) -> None:
        self.key = key
        self._emit = emit
        self._run = event_model.compose_run(metadata=metadata)
        self.start = cast("dict[str, Any]", self._run.start_doc)
        self.uid: str = self.start["uid"]
        self._describe: dict[Any, dict[str, Any]] = {}
        self._config: dict[Any, Optional[dict[str, Any]]] = {}
        self._streams: dict[Any, _Stream] = {}
        self._bundle_name: Optional[str] = None
        self._readings: dict[Any, dict[str, Any]] = {}
        self._monitors: dict[Any, tuple[str, Any, Any]] = {}
        self._interruptions: Optional[_Stream] = None
        self._record_interruptions = record_interruptions
        self.closed = False

    # -- lifecycle ---------------------------------------------------------------
    def open(self) -> None:
        self._emit("start", self.start)
        if self._record_interruptions:
            bundle = self._run.compose_descriptor(
                name=INTERRUPTIONS, data_keys=_INTERRUPTION_KEYS, validate=False
            )
            self._interruptions = _Stream(bundle)
            self._emit("descriptor", self._interruptions.descriptor)

    def close(self, exit_status: str = "success", reason: str = "") -> dict[str, Any]:
        """Stop monitoring, drop any open bundle and emit the stop document."""
        self.clear_monitors()
        self._bundle_name = None
        self._readings = {}
        self.closed = True
        stop = cast(
            "dict[str, Any]",
            self._run.compose_stop(
                # callers pass one of event-model's exit statuses; it is not re-checked here
                exit_status=exit_status,  # type: ignore[arg-type]
                reason=reason or "",
                validate=False,
            ),
        )
        self._emit("stop", stop)
        return stop

    # -- bundling ----------------------------------------------------------------
    @property
    def bundle_open(self) -> bool:
        return self._bundle_name is not None

    @property
    def bundle_name(self) -> Optional[str]:
        return self._bundle_name

    def create(self, name: str) -> None:
        if self._bundle_name is not None:
            raise IllegalMessageSequence(
                f"Cannot 'create' a {name!r} bundle: the {self._bundle_name!r} bundle of run "
                f"{self.uid[:8]} is still open. Yield Msg('save') or Msg('drop') first."
            )
        self._bundle_name = name
        self._readings = {}

    def read(self, obj: Any, reading: dict[str, Any]) -> None:
        """Add a reading to the open bundle (if any)."""
        if self._bundle_name is None:
            return
        if obj in self._readings:
            raise IllegalMessageSequence(
                f"Cannot 'read' {_name(obj)} twice in one {self._bundle_name!r} bundle of run "
                f"{self.uid[:8]}. Yield Msg('save') to end the bundle first."
            )
        self._readings[obj] = reading
        if obj not in self._describe:
            self._describe[obj] = obj.describe()

    def forget(self, objs: Iterable[Any]) -> None:
        """Forget readings that a replay is about to take again."""
        for obj in objs:
            self._readings.pop(obj, None)

    def drop(self) -> None:
        if self._bundle_name is None:
            raise IllegalMessageSequence(
                f"Cannot 'drop': no bundle is open in run {self.uid[:8]}. Yield Msg('create') first."
            )
        self._bundle_name = None
        self._readings = {}

    def save(self) -> dict[str, Any]:
        """Emit the open bundle as an event (and its descriptor the first time)."""
        name = self._bundle_name
        if name is None:
            raise IllegalMessageSequence(
                f"Cannot 'save': no bundle is open in run {self.uid[:8]}. Yield Msg('create') "
                "before the reads, then Msg('save')."
            )
        readings = self._readings
        objs = frozenset(readings)
        stream = self._streams.get((name, objs))
        if stream is None:
            stream = self._new_stream(name, list(readings))
            self._streams[(name, objs)] = stream
        data = {}
        timestamps = {}
        for reading in readings.values():
            for key, val in reading.items():
                data[key] = val["value"]
                timestamps[key] = val["timestamp"]
        self._bundle_name = None
        self._readings = {}
        event = stream.compose_event(data, timestamps, validate=False)
        self._emit("event", event)
        return event

    def _new_stream(
        self, name: str, objs: list[Any], data_keys: Optional[dict[str, Any]] = None
    ) -> _Stream:
        if data_keys is None:
            data_keys = {}
            for obj in objs:
                data_keys.update(self._describe[obj])
        object_keys = {}
        configuration = {}
        hints = {}
        for obj in objs:
            oname = _name(obj)
            object_keys[oname] = list(self._describe[obj]) if obj in self._describe else []
            config = self._configuration(obj)
            if config is not None:
                configuration[oname] = config
            obj_hints = getattr(obj, "hints", None)
            if isinstance(obj_hints, dict):
                hints[oname] = obj_hints
        try:
            bundle = self._run.compose_descriptor(
                name=name,
                data_keys=data_keys,
                configuration=configuration,
                object_keys=object_keys,
                hints=hints,
            )
        except event_model.EventModelValidationError as exc:
            raise IllegalMessageSequence(
                f"Cannot add a descriptor to the {name!r} stream of run {self.uid[:8]}: {exc}"
            ) from exc
        stream = _Stream(bundle)
        self._emit("descriptor", stream.descriptor)
        return stream

    def _configuration(self, obj: Any) -> Optional[dict[str, Any]]:
        if obj in self._config:
            return self._config[obj]
        config = None
        if hasattr(obj, "read_configuration") and hasattr(obj, "describe_configuration"):
            readings = obj.read_configuration()
            config = {
                "data": {k: v["value"] for k, v in readings.items()},
                "timestamps": {k: v["timestamp"] for k, v in readings.items()},
                "data_keys": obj.describe_configuration(),
            }
        self._config[obj] = config
        return config

    def configuration_changed(self, obj: Any) -> None:
        """The object was reconfigured: its next event gets a new descriptor."""
        self._config.pop(obj, None)
        self._describe.pop(obj, None)
        self._streams = {k: v for k, v in self._streams.items() if obj not in k[1]}

    def declare_stream(self, objs: list[Any], name: str) -> dict[str, Any]:
        for obj in objs:
            if obj not in self._describe:
                self._describe[obj] = obj.describe()
        stream = self._new_stream(name, objs)
        self._streams[(name, frozenset(objs))] = stream
        return stream.descriptor

    # -- flyers --------------------------------------------------------------------
    def collect(self, obj: Any, name: Optional[str]) -> list[dict[str, Any]]:
        """Collect a flyer's events into streams named by its describe_collect()."""
        described = obj.describe_collect()
        if described and all(isinstance(v, dict) and "dtype" in v for v in described.values()):
            described = {name or _name(obj): described}
        streams = {}
        for stream_name, data_keys in described.items():
            key = (stream_name, ("collect", obj))
            if key not in self._streams:
                self._streams[key] = self._new_stream(stream_name, [obj], dict(data_keys))
            streams[frozenset(data_keys)] = self._streams[key]
        events = []
        for partial in obj.collect():
            data = partial["data"]
            stream = streams.get(frozenset(data))
            if stream is None:
                if len(streams) != 1:
                    raise IllegalMessageSequence(
                        f"{_name(obj)}.collect() gave an event whose keys {sorted(data)} match "
                        "none of the streams its describe_collect() declared."
                    )
                stream = next(iter(streams.values()))
            event = stream.compose_event(
                data, partial["timestamps"], time=partial.get("time"), validate=False
            )
            self._emit("event", event)
            events.append(event)
        return events

    # -- monitors ------------------------------------------------------------------
    def monitor(
        self,
        obj: Any,
        name: str,
        call_soon_threadsafe: Callable[..., Any],
        on_error: Callable[[BaseException], None],
    ) -> None:
        if obj in self._monitors:
            raise IllegalMessageSequence(
                f"Cannot 'monitor' {_name(obj)}: it is already monitored in run {self.uid[:8]}."
                " Yield Msg('unmonitor', obj) first."
            )
        described = obj.describe()
        self._describe.setdefault(obj, described)
        stream = self._new_stream(name, [obj])
        keys = list(described)

        def on_value(*args: Any, value: Any = None, timestamp: Any = None, **kwargs: Any) -> None:
            if len(keys) == 1 and value is not None:
                data = {keys[0]: value}
                timestamps = {keys[0]: timestamp if timestamp is not None else time.time()}
            else:
                reading = obj.read()
                data = {k: v["value"] for k, v in reading.items()}
                timestamps = {k: v["timestamp"] for k, v in reading.items()}
            call_soon_threadsafe(self._emit_monitored, obj, stream, data, timestamps, on_error)

        token = obj.subscribe(on_value)
        self._monitors[obj] = (name, on_value, token)

    def _emit_monitored(
        self,
        obj: Any,
        stream: _Stream,
        data: dict[str, Any],
        timestamps: dict[str, Any],
        on_error: Callable[[BaseException], None],
    ) -> None:
        if self.closed or obj not in self._monitors:
            return
        try:
            self._emit("event", stream.compose_event(data, timestamps, validate=False))
        except Exception as exc:  # a callback failed: the plan fails at its next message
            on_error(exc)

    def monitored(self, obj: Any) -> bool:
        return obj in self._monitors

    def unmonitor(self, obj: Any) -> None:
        entry = self._monitors.pop(obj, None)
        if entry is None:
            raise IllegalMessageSequence(
                f"Cannot 'unmonitor' {_name(obj)}: it is not monitored in run {self.uid[:8]}."
            )
        _clear_sub(obj, entry[1], entry[2])

    def clear_monitors(self) -> None:
        for obj, (_, func, token) in list(self._monitors.items()):
            try:
                _clear_sub(obj, func, token)
            except Exception:
                logger.exception("Failed to stop monitoring %s", _name(obj))
        self._monitors.clear()

    # -- interruptions -------------------------------------------------------------
    def interruption(self, kind: str) -> None:
        stream = self._interruptions
        if stream is None or self.closed:
            return
        now = time.time()
        event = stream.compose_event({INTERRUPTIONS: kind}, {INTERRUPTIONS: now}, validate=False)
        self._emit("event", event)


def _name(obj: Any) -> str:
    return getattr(obj, "name", None) or repr(obj)


def _clear_sub(obj: Any, func: Any, token: Any) -> None:
    if hasattr(obj, "clear_sub"):
        try:
            obj.clear_sub(func)
            return
        except Exception:
            if token is None:
                raise
        obj.clear_sub(token)
    elif hasattr(obj, "unsubscribe") and token is not None:
        obj.unsubscribe(token)
