"""Device: a named group of signals (and sub-devices) read as one."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Callable, Mapping

from ._signal import SignalR, check_kind

__all__ = ["Device"]

_READ_KINDS = ("hinted", "normal")


class Device:
    """A named composite of child signals and devices, declared as attributes.

    Assigning a :class:`SignalR` or :class:`Device` to a public attribute
    makes it a child: it is named ``{device}_{attr}`` (like ophyd) and its
    ``kind`` decides where it appears. ``read()``/``describe()`` cover the
    'hinted' and 'normal' children, ``read_configuration()`` and
    ``describe_configuration()`` the 'config' ones, and ``hints`` lists the
    'hinted' ones. Descriptions are cached (each call returns a copy). Call
    ``Device.__init__`` before assigning children.

    Parameters
    ----------
    name : str
        The device's name and the prefix of its children's names.
    kind : {'hinted', 'normal', 'config', 'omitted'}, optional
        How a parent device uses this one. Default 'normal'.

    Examples
    --------
    >>> from benchplan.devices import Device, soft_signal_rw
    >>> class Stage(Device):
    ...     def __init__(self, name):
    ...         super().__init__(name)
    ...         self.x = soft_signal_rw(float, 1.0)
    ...         self.speed = soft_signal_rw(float, 2.0, kind="config")
    >>> stage = Stage("stage")
    >>> list(stage.read()), list(stage.read_configuration()), stage.hints
    (['stage_x'], ['stage_speed'], {'fields': ['stage_x']})
    """

    _children: dict[str, SignalR[Any] | Device]

    def __init__(self, name: str = "", *, kind: str = "normal") -> None:
        object.__setattr__(self, "_children", {})
        self._name = name
        self.kind = check_kind(kind, f"device {name!r}")
        self.parent: Any = None
        self.invalidate_caches()

    def __setattr__(self, attr: str, value: Any) -> None:
        if isinstance(value, (SignalR, Device)) and not attr.startswith("_") and attr != "parent":
            try:
                children = self.__dict__["_children"]
            except KeyError:
                raise TypeError(
                    f"Cannot add child {attr!r} to {type(self).__name__}: call "
                    "Device.__init__(self, name) before assigning children."
                ) from None
            children[attr] = value
            object.__setattr__(self, attr, value)
            value.parent = self
            self._name_child(attr, value)
            self.invalidate_caches()
            return
        object.__setattr__(self, attr, value)

    # -- naming --------------------------------------------------------------

    @property
    def name(self) -> str:
        """The device's name; setting it renames the children too."""
        return self._name

    @name.setter
    def name(self, name: str) -> None:
        self.set_name(name)

    def set_name(self, name: str) -> None:
        """Rename the device and its children (``{name}_{attr}``).

        Subclasses that give a child a special name (a motor's readback is
        named like the motor) override this, call ``super()``, then rename.
        """
        self._name = name
        for attr, child in self._children.items():
            self._name_child(attr, child)
        self.invalidate_caches()

    def _name_child(self, attr: str, child: SignalR[Any] | Device) -> None:
        child.name = f"{self._name}_{attr}" if self._name else attr

    @property
    def children(self) -> Mapping[str, SignalR[Any] | Device]:
        """The children by attribute name, in declaration order (read-only)."""
        return MappingProxyType(self._children)

    def invalidate_caches(self) -> None:
        """Forget cached descriptions; called when a child is added or renamed."""
        self._readers: tuple[Callable[[], dict[str, Any]], ...] | None = None
        self._describe: dict[str, Any] | None = None
        self._describe_config: dict[str, Any] | None = None
        parent_invalidate = getattr(self.parent, "invalidate_caches", None)
        if parent_invalidate is not None:
            parent_invalidate()

    def _of_kinds(self, kinds: tuple[str, ...]) -> list[SignalR[Any] | Device]:
        return [child for child in self._children.values() if child.kind in kinds]

    # -- reading -------------------------------------------------------------

    def read(self) -> dict[str, dict[str, Any]]:
        """Return the readings of the 'hinted' and 'normal' children."""
        readers = self._readers
        if readers is None:
            readers = self._readers = tuple(c.read for c in self._of_kinds(_READ_KINDS))
        out: dict[str, dict[str, Any]] = {}
        for read in readers:
            out.update(read())
        return out

    def describe(self) -> dict[str, dict[str, Any]]:
        """Return the data keys of :meth:`read` (a fresh copy of a cached description)."""
        described = self._describe
        if described is None:
            described = {}
            for child in self._of_kinds(_READ_KINDS):
                described.update(child.describe())
            self._describe = described
        return {key: datakey.copy() for key, datakey in described.items()}

    def read_configuration(self) -> dict[str, dict[str, Any]]:
        """Return the readings of the 'config' children (and sub-devices' configuration)."""
        out: dict[str, dict[str, Any]] = {}
        for child in self._children.values():
            if child.kind == "config":
                out.update(child.read())
            elif isinstance(child, Device) and child.kind != "omitted":
                out.update(child.read_configuration())
        return out

    def describe_configuration(self) -> dict[str, dict[str, Any]]:
        """Return the data keys of :meth:`read_configuration` (a fresh copy of a cached description)."""
        described = self._describe_config
        if described is None:
            described = {}
            for child in self._children.values():
                if child.kind == "config":
                    described.update(child.describe())
                elif isinstance(child, Device) and child.kind != "omitted":
                    described.update(child.describe_configuration())
            self._describe_config = described
        return {key: datakey.copy() for key, datakey in described.items()}

    @property
    def hints(self) -> dict[str, list[str]]:
        """``{'fields': [...]}``: the names of the 'hinted' children."""
        fields: list[str] = []
        for child in self._children.values():
            if child.kind == "hinted":
                fields.extend(child.hints["fields"] if isinstance(child, Device) else [child.name])
        return {"fields": fields}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self._name!r})"
