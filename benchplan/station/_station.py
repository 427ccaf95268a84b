"""Station: one session on a bench -- its instruments by role, its event log, its outcome.

The outcome of a session is ``passed`` (it ended normally), ``terminated`` (Ctrl+C,
SIGTERM, a paused or aborted plan) or ``errored`` (an exception), recorded in the
event log when the ``with`` block ends, :meth:`Station.stop` is called, or the
interpreter exits. While a station runs in the main thread, SIGTERM (whose default
kills the process without any clean-up) is turned into ``SystemExit(143)``: running
plans of attached RunEngines are aborted, outputs switched off, the outcome recorded.
A session whose process was killed outright is recorded as ``lost`` by the next one.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Optional, Union

from benchplan.errors import ResourceInUse

from ._config import RoleConfig, StationConfig, StationError, sim_instruments
from ._eventlog import (
    LOG_FILE, EventLog, StationEvent, Strings, check_types, config_changes, data_dir, outcome_of,
    read_events, register_session, unregister_session,
)
from ._share import SharedInstruments, publish, sharing_hint, withdraw

__all__ = ["Station", "StationDevices", "connect"]

logger = logging.getLogger(__name__)

_IDLE_WAIT = 10.0  # seconds stop() waits for attached RunEngines to finish aborting


class StationDevices(Mapping[str, Any]):
    """``station.devices``: role -> device, connecting a role on first access.

    ``station.devices.psu`` and ``station.devices['psu']`` are ``station.instrument('psu')``;
    iterating gives every role of the station file (``in`` does not connect).
    """

    def __init__(self, station: Station) -> None:
        object.__setattr__(self, "_station", station)

    def __getitem__(self, role: str) -> Any:
        if role not in self._station.roles:
            raise KeyError(self._station.unknown_role(role))
        return self._station.instrument(role)

    def __getattr__(self, role: str) -> Any:
        if role.startswith("_") or role not in self._station.roles:
            raise AttributeError(self._station.unknown_role(role))
        return self._station.instrument(role)

    def __contains__(self, role: object) -> bool:
        return role in self._station.roles

    def __iter__(self) -> Iterator[str]:
        return iter(self._station.roles)

    def __len__(self) -> int:
        return len(self._station.roles)

    def __dir__(self) -> list[str]:
        return sorted({*self._station.roles, "get", "items", "keys", "values"})

    def __repr__(self) -> str:
        held = set(self._station.held)
        return "StationDevices(" + ", ".join(
            f"{r}{'' if r in held else ' (not connected)'}" for r in self._station.roles) + ")"


class Station:
    """A bench's instruments by role, with an event log; made by :func:`benchplan.connect`.

    The constructor does no I/O: :meth:`start` (or ``with``) opens the session.

    Parameters
    ----------
    config : StationConfig
        The parsed station file (:func:`~benchplan.station.load_station`).
    data_dir : path, optional
        The data folder of the event log (default: ``$BENCHPLAN_DATA_DIR`` or the
        user data folder). Lock files always live in the user-wide folder.
    sim : bool
        Put every role on a simulated bench started for this session.
    share : bool
        Serve the held instruments to other processes (:meth:`share`) from the start.

    Examples
    --------
    >>> with benchplan.connect("bench-a") as station:  # doctest: +SKIP
    ...     psu = station.instrument("psu")
    ...     RE(scan([station.devices.dmm], psu.ch1.voltage, 0, 5, 11))
    """

    def __init__(self, config: StationConfig, *, data_dir: Union[str, Path, None] = None,
                 sim: bool = False, share: bool = False) -> None:
        self.config = config
        self.sim = bool(sim)
        self._data_dir = data_dir
        self._share_at_start = share
        self.session: Optional[str] = None
        self.share_id: Optional[str] = None
        self._log: Optional[EventLog] = None
        self._lock = threading.RLock()
        self._drivers: dict[str, Any] = {}
        self._devices: dict[str, Any] = {}
        self._engines: dict[int, tuple[Any, Any]] = {}
        self._bench: Any = None
        self._bench_names: dict[str, str] = {}
        self._shared: Optional[SharedInstruments] = None
        self._terminated: Optional[str] = None
        self._started_at = 0.0
        self.devices = StationDevices(self)

    # -- what it is ---------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The station's name."""
        return self.config.name

    @property
    def roles(self) -> tuple[str, ...]:
        """Every role of the station file, in file order."""
        return tuple(self.config.roles)

    @property
    def held(self) -> dict[str, Any]:
        """The roles this session has connected (role -> device)."""
        with self._lock:
            return dict(self._devices)

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._log is not None

    @property
    def log_path(self) -> Path:
        """The event log's file."""
        return data_dir(self._data_dir) / LOG_FILE

    @property
    def sim_bench(self) -> Any:
        """The :class:`~benchplan.devices.simbench.SimBench` of the simulated roles, or None."""
        return self._bench

    def unknown_role(self, role: str) -> str:
        """The message for a role the station does not have."""
        return (f"Station {self.name!r} has no role {role!r}; its roles are "
                f"{', '.join(self.roles) or 'none'} (from {self.config.path}).")

    def __repr__(self) -> str:
        state = f"session {self.session}" if self.running else "stopped"
        return f"<Station {self.name!r} ({state}), held: {', '.join(self.held) or 'none'}>"

    # -- the session ----------------------------------------------------------------------
    def start(self) -> Station:
        """Open the session: the event log, the simulated bench if any, sharing if asked."""
        with self._lock:
            if self.running:
                return self
            self.session = str(uuid.uuid4())
            plan = sim_instruments(self.config, every_role=self.sim)
            if plan:
                from benchplan.devices.simbench import SimBench

                self._bench_names = {role: name for role, (name, _) in plan.items()}
                self._bench = SimBench(dict(plan.values())).start()
            log = EventLog(self.log_path, self.name, self.session)
            try:
                log.open()
            except BaseException:
                if self._bench is not None:
                    self._bench.stop()
                raise
            self._log, self._terminated, self._started_at = log, None, time.time()
            log.close_lost_sessions()
            previous = log.query(event_type="session_start", limit=1)
            summary = json.loads(json.dumps(self.config.summary(), default=repr))
            log.append("session_start", uid=self.session, data={
                "pid": os.getpid(), "host": socket.gethostname(), "program": " ".join(sys.argv[:3]),
                "file": str(self.config.path), "sim": self.sim, "roles": summary})
            if previous:
                changes = config_changes(previous[0].data.get("roles", {}), summary)
                if changes:
                    log.append("configuration", uid=str(uuid.uuid4()), data={
                        "source": "station file", "file": str(self.config.path), **changes})
            register_session(self)
        if self._share_at_start:
            self.share()
        return self

    def stop(self, outcome: Optional[str] = None, reason: str = "") -> None:
        """End the session: release every role, detach RunEngines, record the outcome.

        ``outcome`` defaults to 'passed' ('terminated' after SIGTERM).
        """
        with self._lock:
            log = self._log
            if log is None:
                return
            if outcome is None:
                outcome = "terminated" if self._terminated else "passed"
                reason = self._terminated or reason
            self._wait_for_engines()
            for role in list(self._devices):
                try:
                    self.release(role)
                except Exception:
                    logger.exception("Could not release %r of station %r", role, self.name)
            for RE, token in list(self._engines.values()):
                RE.unsubscribe(token)
            self._engines.clear()
            if self._shared is not None:
                withdraw(self._shared)
                self._shared, self.share_id = None, None
            log.append("session_end", uid=str(uuid.uuid4()), data={
                "outcome": outcome, "reason": reason, "duration": time.time() - self._started_at})
            log.close()
            self._log = None
            bench, self._bench = self._bench, None
            if bench is not None:
                bench.stop()
            unregister_session(self)

    def __enter__(self) -> Station:
        return self.start()

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        self.stop(*self.outcome_of(exc))

    def outcome_of(self, exc: Optional[BaseException]) -> tuple[str, str]:
        """``(outcome, reason)`` of this session if it ended with ``exc`` (None: no exception)."""
        return outcome_of(exc, self._terminated)

    def terminate(self, reason: str) -> None:
        """Mark the session terminated and abort attached RunEngines' plans (on SIGTERM)."""
        self._terminated = reason
        for RE, _ in list(self._engines.values()):
            if RE.state != "idle":
                threading.Thread(target=_abort, args=(RE, reason), daemon=True).start()

    def _wait_for_engines(self) -> None:
        deadline = time.monotonic() + _IDLE_WAIT
        for RE, _ in list(self._engines.values()):
            while RE.state not in ("idle", "paused") and time.monotonic() < deadline:
                time.sleep(0.01)

    def _require_running(self, action: str) -> EventLog:
        log = self._log
        if log is None:
            raise StationError(
                f"Cannot {action}: station {self.name!r} is not started. Use "
                f"`with benchplan.connect({self.name!r}) as station:` or station.start()."
            )
        return log

    # -- instruments ------------------------------------------------------------------------
    def instrument(self, role: str, timeout: Optional[float] = None) -> Any:
        """Connect ``role`` (once) and return its device, holding the instrument's lock.

        Parameters
        ----------
        role : str
            A role of the station file.
        timeout : float, optional
            Seconds to wait for another process holding the instrument (default: the
            role's ``lock_timeout`` option, else 0).

        Raises
        ------
        ResourceInUse
            Another process still holds the instrument; the message names it and,
            if it shares its instruments, how to reach them.
        StationError
            No such role, or the station is not started.
        """
        log = self._require_running(f"connect {role!r}")
        cfg = self.config.roles.get(role)
        if cfg is None:
            raise StationError(self.unknown_role(role))
        with self._lock:
            if role in self._devices:
                return self._devices[role]
            address = self._address(cfg)
            options = dict(cfg.options)
            if timeout is not None:
                options["lock_timeout"] = timeout
            driver = cfg.driver(address, name=role, **options)
            try:
                connect = getattr(driver, "connect", None)
                if callable(connect):
                    connect()
            except ResourceInUse as exc:
                raise ResourceInUse(f"Cannot connect role {role!r} of station {self.name!r}: "
                                    f"{exc}{sharing_hint(address, role)}") from exc
            device = getattr(driver, f"ch{cfg.channel}") if cfg.channel is not None else driver
            if cfg.channel is not None:
                device.name = role
            self._drivers[role], self._devices[role] = driver, device
        log.append("connected", role=role, uid=str(uuid.uuid4()), data={
            "driver": cfg.driver_name, "address": address, "channel": cfg.channel,
            "sim": role in self._bench_names, "idn": str(getattr(driver, "idn", "") or ""),
            "configuration": _configuration(driver, device)})
        return device

    def release(self, role: str) -> None:
        """Give ``role`` up: switch off the outputs this station switched on through it
        (unless its options say ``safe_off: false``) and close its connection; the lock
        goes with the instrument's last connection. Releasing a role not held does nothing."""
        if role not in self.config.roles:
            raise StationError(self.unknown_role(role))
        with self._lock:
            driver = self._drivers.pop(role, None)
            device = self._devices.pop(role, None)
        if driver is None:
            return
        try:
            safe_state = getattr(device, "safe_state", None)
            if callable(safe_state):
                safe_state()
        finally:
            close = getattr(driver, "close", None)
            if callable(close):
                close()
            if self._log is not None:
                self._log.append("released", role=role, uid=str(uuid.uuid4()))

    def _address(self, cfg: RoleConfig) -> str:
        name = self._bench_names.get(cfg.role)
        if name is not None:
            return str(self._bench.address(name))
        assert cfg.address is not None  # load_station checked it
        return cfg.address

    # -- RunEngines and sharing ------------------------------------------------------------
    def attach(self, RE: Any) -> None:
        """Record every document of ``RE``'s runs in the event log (and serve shared
        instruments on its control endpoint too, when sharing)."""
        log = self._require_running("attach a RunEngine")
        with self._lock:
            if id(RE) in self._engines:
                return
            append = log.append

            def record(name: str, doc: dict) -> None:
                append("document", key=name, data=doc)

            self._engines[id(RE)] = (RE, RE.subscribe(record))
        if self._shared is not None:
            publish(self._shared, RE)

    def detach(self, RE: Any) -> None:
        """Stop recording ``RE``'s documents."""
        with self._lock:
            entry = self._engines.pop(id(RE), None)
        if entry is not None:
            RE.unsubscribe(entry[1])

    def share(self, RE: Any = None) -> str:
        """Serve the held instruments to other processes; return the endpoint id.

        Other processes then read and set them with ``benchplan read ID psu.SIGNAL``,
        ``benchplan set ID psu.SIGNAL VALUE`` or ``benchplan.remote(ID).device('psu')``
        instead of failing with ResourceInUse. Requests run through this process's
        drivers, serialized with its own commands by the address lock. ``RE``: serve on
        its control endpoint; otherwise on this script's.
        """
        self._require_running("share instruments")
        if self._shared is None:
            self._shared = SharedInstruments(self.name, self.roles, lambda: self.held,
                                             self._record_setting)
        self.share_id = publish(self._shared, RE)
        return self.share_id

    def _record_setting(self, event_type: str, **fields: Any) -> None:
        if self._log is not None:
            self._log.append(event_type, uid=str(uuid.uuid4()), **fields)

    # -- the event log -----------------------------------------------------------------------
    def events(self, event_type: Strings = None, role: Strings = None, *, key: Strings = None,
               session: Optional[str] = None, limit: Optional[int] = None) -> list[StationEvent]:
        """The station's events, oldest first, from every session and process.

        Parameters
        ----------
        event_type : str or list of str, optional
            ``session_start``, ``session_end``, ``configuration``, ``connected``,
            ``released``, ``setting``, ``observation``, ``document``.
        role : str or list of str, optional
            Only events about these roles.
        key : str or list of str, optional
            Only these document names, observed channels or set signals.
        session : str, optional
            A session id, or 'current' for this session.
        limit : int, optional
            Only the newest ``limit`` matching events.

        Examples
        --------
        >>> [e.data["outcome"] for e in station.events("session_end")]  # doctest: +SKIP
        ['passed', 'terminated']
        """
        check_types(event_type)
        session = self._session_filter(session)
        log = self._log
        if log is not None:
            log.flush()
            return log.query(event_type=event_type, role=role, key=key, session=session,
                             limit=limit)
        return read_events(self.log_path, self.name, event_type=event_type, role=role, key=key,
                           session=session, limit=limit)

    def on_event(self, callback: Callable[[StationEvent], Any], event_type: Strings = None,
                 role: Strings = None, *, session: Optional[str] = "current") -> Callable[[], None]:
        """Call ``callback(event)`` with this session's past matching events, then with each
        new one as it is written (from the log's writer thread).

        ``session=None`` replays the station's whole history instead. Returns a function
        that unsubscribes.

        Examples
        --------
        >>> unsubscribe = station.on_event(print, "connected")  # doctest: +SKIP
        """
        check_types(event_type)
        log = self._require_running("subscribe to events")
        return log.subscribe(callback, event_type=event_type, role=role,
                             session=self._session_filter(session))

    def observe(self, key: str, value: Any, units: Optional[str] = None, *,
                role: Optional[str] = None, timestamp: Optional[float] = None,
                **metadata: Any) -> str:
        """Record one sample outside any run (a room temperature, a DUT serial number ...).

        Returns its reference: put it in a run's metadata (``RE(plan, ambient=ref)``) or
        anywhere else, and find it again with :meth:`lookup`.

        Examples
        --------
        >>> ref = station.observe("ambient_temperature", 23.4, "degC")  # doctest: +SKIP
        >>> station.lookup(ref).data["value"]  # doctest: +SKIP
        23.4
        """
        log = self._require_running(f"observe {key!r}")
        if not isinstance(key, str) or not key:
            raise ValueError(f"Cannot observe {value!r}: the key must be a non-empty string, "
                             f"not {key!r} (e.g. 'ambient_temperature').")
        if role is not None and role not in self.config.roles:
            raise StationError(self.unknown_role(role))
        ref = str(uuid.uuid4())
        log.append("observation", role=role, key=key, uid=ref, when=timestamp,
                   data={"value": value, "units": units, **metadata})
        return ref

    def lookup(self, ref: str) -> StationEvent:
        """The event with reference ``ref`` (from :meth:`observe`, or any event's ``ref``)."""
        if self._log is not None:
            self._log.flush()
        found = read_events(self.log_path, self.name, uid=ref)
        if not found:
            raise StationError(f"Station {self.name!r} has no event with reference {ref!r} in "
                               f"{self.log_path}; references come from observe() or event.ref.")
        return found[0]

    def _session_filter(self, session: Optional[str]) -> Optional[str]:
        if session == "current":
            if self.session is None:
                raise StationError(f"Station {self.name!r} has no current session: start() it, "
                                   "or pass session=None.")
            return self.session
        return session


def _configuration(driver: Any, device: Any) -> dict[str, Any]:
    """The device's configuration values (not for instruments with exclusive modes, whose
    queries would switch the mode another role may be using)."""
    read = getattr(device, "read_configuration", None)
    if getattr(driver, "mode", None) is not None or not callable(read):
        return {}
    try:
        return {key: reading["value"] for key, reading in read().items()}
    except Exception as exc:
        logger.warning("Could not read the configuration of %r: %s",
                       getattr(device, "name", device), exc)
        return {}


def _abort(RE: Any, reason: str) -> None:
    try:
        RE.abort(reason)
    except Exception as exc:  # it may have ended meanwhile
        logger.debug("Could not abort %r on %s: %s", RE, reason, exc)


def connect(station: Union[str, os.PathLike, StationConfig, None] = None, *,
            data_dir: Union[str, Path, None] = None, sim: bool = False,
            share: bool = False) -> Station:
    """Start a session on a station: its instruments by role, with an event log.

    Parameters
    ----------
    station : str, path or StationConfig, optional
        A station name, looked up as ``stations/NAME.yaml`` in the current folder, the
        project folder (next to the nearest ``benchplan.yaml``), then the data folder;
        or a file path. None: the ``default_station`` of the nearest ``benchplan.yaml``.
    data_dir : path, optional
        The data folder (station files and the event log); default
        ``$BENCHPLAN_DATA_DIR`` or the user data folder.
    sim : bool
        Put every role on a simulated bench started for this session.
    share : bool
        Serve held instruments to other processes (see :meth:`Station.share`).

    Returns
    -------
    Station
        Started; use it in a ``with`` block (or call ``stop()``) to record the outcome.

    Raises
    ------
    StationError, StationConfigError
        No such station; a malformed file (with the file and line).

    Examples
    --------
    >>> import benchplan
    >>> with benchplan.connect("bench-a", sim=True) as station:  # doctest: +SKIP
    ...     station.devices.psu.ch1.voltage.set(5).wait()
    """
    from ._config import find_station, load_station

    if isinstance(station, StationConfig):
        config = station
    else:
        config = load_station(find_station(station, data_dir=data_dir))
    return Station(config, data_dir=data_dir, sim=sim, share=share).start()
