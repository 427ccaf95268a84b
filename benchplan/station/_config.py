"""Station files: which instrument plays which role on a bench (see the how-to "Stations").

A station file maps each role to a ``driver`` (a name from
:mod:`benchplan.devices.instruments` or a dotted path), an ``address``, driver
``options``, a ``channel`` and ``sim``. Files are found by name (:func:`find_station`);
every problem is reported with the file, the line and what was expected.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import inspect
import keyword
import os
import re
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Optional, Union

import yaml  # type: ignore[import-untyped]

from benchplan.errors import StationConfigError, StationError

from ._eventlog import data_dir as user_data_dir

__all__ = [
    "RoleConfig",
    "StationConfig",
    "StationConfigError",
    "StationError",
    "find_station",
    "load_station",
    "sim_instruments",
]

PROJECT_FILE = "benchplan.yaml"
_SUFFIXES = (".yaml", ".yml")
_TOP_KEYS = ("name", "description", "instruments")
_ROLE_KEYS = ("driver", "address", "channel", "options", "sim")
_RESERVED_ROLES = frozenset({"get", "items", "keys", "values"})
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")

#: Simulated-bench model for each shipped driver (``sim: true``).
_SIM_MODELS = {
    "RigolDP832": "DP832", "RigolDP821": "DP821", "KeysightE36312A": "E36312A",
    "KeysightE36313A": "E36312A", "Keithley2281S": "2281S", "Keithley2281SBattery": "2281S",
    "Keysight34461A": "34461A", "Keithley2000": "34461A",
}


@dataclasses.dataclass(frozen=True)
class RoleConfig:
    """One role of a station: the driver, the address and how to make it.

    Attributes
    ----------
    role : str
        The role name (``station.devices.<role>``); also the device name.
    driver : type
        The driver class.
    driver_name : str
        The driver as the file spells it.
    address : str or None
        The VISA resource address (None for a simulated role without one).
    channel : int or None
        For a multi-channel instrument: the channel that is this role.
    options : mapping
        Keyword arguments for the driver's constructor.
    sim : bool or str
        True (or a simulated model name) to put the role on the simulated bench.
    line : int
        Where the role is declared in the file.
    """

    role: str
    driver: type
    driver_name: str
    address: Optional[str]
    channel: Optional[int] = None
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    sim: Union[bool, str] = False
    line: int = 0

    def sim_model(self) -> Optional[str]:
        """The simulated-bench model of this role's instrument (None if none is known)."""
        if isinstance(self.sim, str):
            return self.sim
        explicit = getattr(self.driver, "sim_model", None)
        if isinstance(explicit, str):
            return explicit
        for klass in getattr(self.driver, "__mro__", ()):
            if klass.__name__ in _SIM_MODELS and klass.__module__.startswith("benchplan."):
                return _SIM_MODELS[klass.__name__]
        return None

    def summary(self) -> dict[str, Any]:
        """What the file says about this role, as plain data (for the event log)."""
        return {
            "driver": self.driver_name,
            "address": self.address,
            "channel": self.channel,
            "options": dict(self.options),
            "sim": self.sim,
        }


@dataclasses.dataclass(frozen=True)
class StationConfig:
    """A parsed station file.

    Attributes
    ----------
    name : str
        The station's name: the ``name:`` entry, else the file name without suffix.
    path : Path or None
        The file it was read from.
    roles : mapping of str to RoleConfig
        The roles, in file order.
    description : str
        Free text from the file.
    """

    name: str
    path: Optional[Path]
    roles: Mapping[str, RoleConfig]
    description: str = ""

    def summary(self) -> dict[str, dict[str, Any]]:
        """Role -> what the file says about it (compared between sessions)."""
        return {role: cfg.summary() for role, cfg in self.roles.items()}




# -- finding files -------------------------------------------------------------------


def _project_file(start: Path) -> Optional[Path]:
    for folder in (start, *start.parents):
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            return candidate
    return None


def _looks_like_path(name: str) -> bool:
    return os.sep in name or "/" in name or name.endswith(_SUFFIXES)


def _default_station(project: Path) -> str:
    root, loader = _compose(project)
    if not isinstance(root, yaml.MappingNode):
        raise StationConfigError(
            "expected a mapping with a 'default_station: NAME' entry", path=project,
            line=_line(root)
        )
    for key_node, value_node in root.value:
        if _scalar(loader, key_node, project, "a key") == "default_station":
            value = _scalar(loader, value_node, project, "a station name")
            if not isinstance(value, str) or not value.strip():
                raise StationConfigError(
                    f"default_station is {value!r}; expected the name of a station file "
                    "(e.g. default_station: bench-a)", path=project, line=_line(value_node),
                )
            return value.strip()
    raise StationConfigError(
        "it has no 'default_station' entry; expected 'default_station: NAME' naming a file "
        "in stations/", path=project, line=None,
    )


def find_station(
    name: Union[str, os.PathLike, None] = None,
    *,
    data_dir: Union[str, Path, None] = None,
    cwd: Union[str, Path, None] = None,
) -> Path:
    """Find the file of station ``name``.

    A name is looked up as ``NAME.yaml`` (or ``.yml``) in ``./stations/``, then in
    the ``stations/`` folder next to the nearest ``benchplan.yaml`` (in the current
    folder or a parent), then in ``<data folder>/stations/``. A path (with a slash,
    or ending in ``.yaml``) is used as it is. With no name, the ``default_station``
    entry of the nearest ``benchplan.yaml`` is used.

    Parameters
    ----------
    name : str or path, optional
        The station name or file.
    data_dir : path, optional
        The data folder (default :func:`data_dir`).
    cwd : path, optional
        Where to start looking (default: the current folder).

    Returns
    -------
    Path

    Raises
    ------
    StationError
        No such file; the message lists the places searched and the stations found.

    Examples
    --------
    >>> find_station("bench-a")  # doctest: +SKIP
    PosixPath('/home/me/project/stations/bench-a.yaml')
    """
    here = Path(cwd) if cwd is not None else Path.cwd()
    project = _project_file(here)
    if name is None:
        if project is None:
            raise StationError(
                f"Cannot choose a station: none was named and there is no {PROJECT_FILE} "
                f"with a default_station in {here} or its parents. Name one, e.g. "
                f"benchplan.connect('bench-a'), or create {PROJECT_FILE} with "
                "'default_station: bench-a'."
            )
        name = _default_station(project)
        if _looks_like_path(name):
            name = project.parent / name
    if isinstance(name, os.PathLike) or _looks_like_path(str(name)):
        path = Path(name) if Path(name).is_absolute() else here / Path(name)
        if not path.is_file():
            raise StationError(f"Cannot read the station file {path}: there is no such file.")
        return path
    if not _NAME.match(name):
        raise StationError(
            f"Cannot look up station {name!r}: a station name is letters, digits, '_', '-' "
            "and '.', naming stations/NAME.yaml."
        )
    folders = [here / "stations"]
    if project is not None and project.parent / "stations" not in folders:
        folders.append(project.parent / "stations")
    folders.append(user_data_dir(data_dir) / "stations")
    for folder in folders:
        for suffix in _SUFFIXES:
            candidate = folder / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
    known = sorted({p.stem for f in folders if f.is_dir() for p in f.iterdir()
                    if p.suffix in _SUFFIXES})
    raise StationError(
        f"Cannot find station {name!r}: no {name}.yaml in {', '.join(str(f) for f in folders)}. "
        f"Stations found there: {', '.join(known) or 'none'}. Create the file, or pass its path."
    )


# -- parsing --------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """A safe loader used node by node, so every value keeps its line."""


def _compose(path: Path) -> tuple[Optional[yaml.Node], _Loader]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise StationError(f"Cannot read the station file {path}: {exc.strerror or exc}.") from exc
    loader = _Loader(text)
    try:
        return loader.get_single_node(), loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "not valid YAML"
        raise StationConfigError(
            f"{problem} (not valid YAML); expected 'key: value' lines indented consistently "
            "with spaces", path=path, line=line,
        ) from None
    except yaml.YAMLError as exc:
        raise StationConfigError(f"not valid YAML ({exc})", path=path) from None


def _line(node: Optional[yaml.Node]) -> Optional[int]:
    return node.start_mark.line + 1 if node is not None else 1


def _scalar(loader: _Loader, node: yaml.Node, path: Path, expected: str) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        kind = "a mapping" if isinstance(node, yaml.MappingNode) else "a list"
        raise StationConfigError(f"found {kind}; expected {expected}", path=path, line=_line(node))
    return loader.construct_object(node, deep=True)


def _mapping(
    loader: _Loader, node: yaml.Node, path: Path, what: str
) -> list[tuple[str, yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        found = "nothing" if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null") \
            else ("a list" if isinstance(node, yaml.SequenceNode) else f"{node.value!r}")
        raise StationConfigError(f"{what} is {found}; expected a mapping of 'key: value' lines",
                                 path=path, line=_line(node))
    entries: list[tuple[str, yaml.Node, yaml.Node]] = []
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = _scalar(loader, key_node, path, "a name")
        if not isinstance(key, str):
            key = str(key)
        if key in seen:
            raise StationConfigError(
                f"{key!r} appears twice in {what} (first on line {seen[key]}); expected each "
                "name once", path=path, line=_line(key_node),
            )
        seen[key] = _line(key_node) or 0
        entries.append((key, key_node, value_node))
    return entries


def _unknown(key: str, allowed: tuple[str, ...], what: str) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown entry {key!r} in {what}{hint}; expected one of {', '.join(allowed)}"


def known_drivers() -> dict[str, type]:
    """The driver classes a station file can name without a dotted path."""
    from benchplan.devices import instruments

    out = {}
    for name in instruments.__all__:
        obj = getattr(instruments, name)
        if (isinstance(obj, type) and issubclass(obj, instruments.ScpiInstrument)
                and obj is not instruments.ScpiInstrument):
            out[name] = obj
    return out


def _driver(text: Any, node: yaml.Node, path: Path, role: str) -> type:
    if not isinstance(text, str) or not text.strip():
        raise StationConfigError(
            f"role {role!r}: driver is {text!r}; expected a driver name such as RigolDP832, "
            "or a dotted path such as mylab.drivers.Load", path=path, line=_line(node),
        )
    text = text.strip()
    drivers = known_drivers()
    if text in drivers:
        return drivers[text]
    if "." not in text and ":" not in text:
        close = difflib.get_close_matches(text, list(drivers), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise StationConfigError(
            f"role {role!r}: unknown driver {text!r}{hint}; expected one of "
            f"{', '.join(sorted(drivers))}, or a dotted path such as mylab.drivers.Load",
            path=path, line=_line(node),
        )
    module_name, _, attr = text.replace(":", ".").rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise StationConfigError(
            f"role {role!r}: cannot import the module of driver {text!r} ({type(exc).__name__}: "
            f"{exc}); expected an importable dotted path such as mylab.drivers.Load",
            path=path, line=_line(node),
        ) from None
    obj = getattr(module, attr, None)
    if not isinstance(obj, type):
        raise StationConfigError(
            f"role {role!r}: {module_name} has no driver class {attr!r}; expected a class "
            "taking (address, name=..., **options)", path=path, line=_line(node),
        )
    return obj


def _options(
    loader: _Loader, node: yaml.Node, path: Path, role: str, driver: type
) -> dict[str, Any]:
    entries = _mapping(loader, node, path, f"the options of role {role!r}")
    try:
        params: Mapping[str, inspect.Parameter] = inspect.signature(driver).parameters
    except (TypeError, ValueError):
        params = {}
    open_ended = not params or any(p.kind is p.VAR_KEYWORD for p in params.values())
    accepted = tuple(
        n for n, p in params.items()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
        and n not in ("self", "address", "name")
    )
    options: dict[str, Any] = {}
    for key, key_node, value_node in entries:
        if key in ("address", "name"):
            where = "the role's 'address:' entry" if key == "address" else "the role name"
            raise StationConfigError(
                f"role {role!r}: option {key!r} is not allowed; it comes from {where}",
                path=path, line=_line(key_node),
            )
        if not open_ended and key not in accepted:
            raise StationConfigError(
                f"role {role!r}: {_unknown(key, accepted, f'the options of {driver.__name__}')}",
                path=path, line=_line(key_node),
            )
        options[key] = loader.construct_object(value_node, deep=True)
    return options


def _channel(value: Any, node: yaml.Node, path: Path, role: str, driver: type) -> int:
    channels = sorted(getattr(driver, "channels", None) or {})
    listed = ", ".join(str(c) for c in channels)
    if not channels:
        raise StationConfigError(
            f"role {role!r}: channel {value!r} given, but {driver.__name__} has no channels; "
            "expected no 'channel:' entry for a single-output instrument",
            path=path, line=_line(node),
        )
    if isinstance(value, str) and re.fullmatch(r"(?i)ch\d+", value.strip()):
        value = int(value.strip()[2:])
    if isinstance(value, bool) or not isinstance(value, int) or value not in channels:
        raise StationConfigError(
            f"role {role!r}: channel {value!r} does not exist on {driver.__name__}; expected "
            f"one of {listed}", path=path, line=_line(node),
        )
    return value


def _sim(value: Any, node: yaml.Node, path: Path, role: str) -> Union[bool, str]:
    from benchplan.devices.simbench import MODELS

    if isinstance(value, bool) or (isinstance(value, str) and value in MODELS):
        return value
    raise StationConfigError(
        f"role {role!r}: sim is {value!r}; expected true, false, or a simulated model "
        f"({', '.join(MODELS)})", path=path, line=_line(node),
    )


def _role(
    loader: _Loader, role: str, key_node: yaml.Node, node: yaml.Node, path: Path
) -> RoleConfig:
    if not role.isidentifier() or keyword.iskeyword(role) or role.startswith("_") \
            or role in _RESERVED_ROLES:
        raise StationConfigError(
            f"role name {role!r} cannot be used; expected a Python identifier not starting with "
            f"'_' and not one of {', '.join(sorted(_RESERVED_ROLES))} (e.g. psu, dmm, vbat)",
            path=path, line=_line(key_node),
        )
    entries = {k: (kn, vn) for k, kn, vn in _mapping(loader, node, path, f"role {role!r}")}
    for key, (kn, _) in entries.items():
        if key not in _ROLE_KEYS:
            raise StationConfigError(f"role {role!r}: {_unknown(key, _ROLE_KEYS, 'a role')}",
                                     path=path, line=_line(kn))
    if "driver" not in entries:
        raise StationConfigError(
            f"role {role!r} has no driver; expected a 'driver:' entry such as RigolDP832",
            path=path, line=_line(key_node),
        )
    dnode = entries["driver"][1]
    driver_name = _scalar(loader, dnode, path, "a driver name")
    driver = _driver(driver_name, dnode, path, role)
    sim: Union[bool, str] = False
    if "sim" in entries:
        snode = entries["sim"][1]
        sim = _sim(_scalar(loader, snode, path, "true or false"), snode, path, role)
    address = None
    if "address" in entries:
        anode = entries["address"][1]
        address = _scalar(loader, anode, path, "a VISA address")
        if not isinstance(address, str) or not address.strip():
            raise StationConfigError(
                f"role {role!r}: address is {address!r}; expected a VISA resource such as "
                "TCPIP0::192.168.1.20::5555::SOCKET", path=path, line=_line(anode),
            )
        address = address.strip()
    elif not sim:
        raise StationConfigError(
            f"role {role!r} has no address; expected an 'address:' entry with the VISA resource "
            "(e.g. TCPIP0::192.168.1.20::5555::SOCKET), or 'sim: true'",
            path=path, line=_line(key_node),
        )
    channel = None
    if "channel" in entries:
        cnode = entries["channel"][1]
        number = _scalar(loader, cnode, path, "a channel number")
        channel = _channel(number, cnode, path, role, driver)
    options: dict[str, Any] = {}
    if "options" in entries:
        options = _options(loader, entries["options"][1], path, role, driver)
    config = RoleConfig(role, driver, str(driver_name).strip(), address, channel,
                        MappingProxyType(options), sim, _line(key_node) or 0)
    if sim is True and config.sim_model() is None:
        from benchplan.devices.simbench import MODELS

        raise StationConfigError(
            f"role {role!r}: sim is true but there is no simulated model for {driver.__name__}; "
            f"expected 'sim: MODEL' naming one of {', '.join(MODELS)}",
            path=path, line=_line(entries["sim"][1]),
        )
    return config


def load_station(path: Union[str, Path]) -> StationConfig:
    """Read and check a station file.

    Parameters
    ----------
    path : str or Path
        The YAML file.

    Returns
    -------
    StationConfig

    Raises
    ------
    StationConfigError
        The file is malformed; the message gives the file, the line and what
        was expected (an unknown driver lists the known ones).

    Examples
    --------
    >>> config = load_station("stations/bench-a.yaml")  # doctest: +SKIP
    >>> list(config.roles)  # doctest: +SKIP
    ['psu', 'vbat', 'dmm']
    """
    path = Path(path)
    root, loader = _compose(path)
    if root is None:
        raise StationConfigError("the file is empty; expected a mapping with an 'instruments:' "
                                 "section", path=path, line=1)
    top = {k: (kn, vn) for k, kn, vn in _mapping(loader, root, path, "the file")}
    for key, (kn, _) in top.items():
        if key not in _TOP_KEYS:
            raise StationConfigError(_unknown(key, _TOP_KEYS, "the file"), path=path,
                                     line=_line(kn))
    if "instruments" not in top:
        raise StationConfigError("there is no 'instruments:' section; expected one mapping "
                                 "each role to its driver and address", path=path, line=1)
    name = path.stem
    if "name" in top:
        name = str(_scalar(loader, top["name"][1], path, "the station name"))
        if not _NAME.match(name):
            raise StationConfigError(
                f"name {name!r} cannot be used; expected letters, digits, '_', '-' and '.'",
                path=path, line=_line(top["name"][1]),
            )
    description = ""
    if "description" in top:
        description = str(_scalar(loader, top["description"][1], path, "a line of text") or "")
    roles = {}
    for role, key_node, value_node in _mapping(loader, top["instruments"][1], path,
                                                "the 'instruments' section"):
        roles[role] = _role(loader, role, key_node, value_node, path)
    return StationConfig(name, path.resolve(), MappingProxyType(roles), description)


def sim_instruments(
    config: StationConfig, *, every_role: bool = False
) -> dict[str, tuple[str, str]]:
    """Role -> (simulated instrument name, model) for the roles to simulate (those with
    ``sim`` set, or all with ``every_role``); roles sharing an address share an instrument."""
    out: dict[str, tuple[str, str]] = {}
    firsts: dict[str, RoleConfig] = {}
    path = config.path or "<station>"
    for cfg in config.roles.values():
        if not (cfg.sim or every_role):
            continue
        model = cfg.sim_model()
        if model is None:
            raise StationConfigError(
                f"role {cfg.role!r} cannot be simulated: there is no simulated model for "
                f"{cfg.driver.__name__}; expected 'sim: MODEL' in the file, or sim=False",
                path=path, line=cfg.line)
        first = firsts.setdefault(cfg.address or f"role:{cfg.role}", cfg)
        if out.get(first.role, (None, model))[1] != model:
            raise StationConfigError(
                f"roles {first.role!r} and {cfg.role!r} share the address {cfg.address} but "
                f"simulate different models ({out[first.role][1]}, {model}); expected one "
                "instrument per address", path=path, line=cfg.line)
        out[cfg.role] = (first.role, model)
    return out
