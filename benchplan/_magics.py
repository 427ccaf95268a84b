"""IPython magics for the bench: ``%mov``, ``%movr``, ``%ct`` and ``%wa``.

Load them with ``%load_ext benchplan``. Each runs a plan through a
RunEngine: the ``RE`` of the user's namespace when there is one, else one of
the magics' own. Names on the magic line are looked up in the user's
namespace, and positions may be any Python expression without spaces.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class

from ._report import report
from .errors import RunEngineInterrupted, TransitionError

__all__ = ["BenchplanMagics", "load_ipython_extension"]

#: The label ophyd devices carry to say what they are (``labels={'detectors'}``).
_LABEL_ATTRS = ("_ophyd_labels_", "labels")


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics with an IPython shell (what ``%load_ext benchplan`` does).

    Examples
    --------
    >>> from IPython.core.interactiveshell import InteractiveShell
    >>> load_ipython_extension(InteractiveShell.instance())  # doctest: +SKIP
    """
    ipython.register_magics(BenchplanMagics)


def _labels(obj: Any) -> set[str]:
    for attr in _LABEL_ATTRS:
        # ophyd's label attribute is its public protocol, though it is spelled _x_
        labels = getattr(obj, attr, None)
        if isinstance(labels, set | frozenset | list | tuple):
            return {str(label) for label in labels}
    return set()


def _is_positioner(obj: Any) -> bool:
    return callable(getattr(obj, "set", None)) and (
        hasattr(obj, "position") or callable(getattr(obj, "locate", None))
    )


def _is_detector(obj: Any) -> bool:
    return (
        callable(getattr(obj, "read", None))
        and callable(getattr(obj, "trigger", None))
        and not callable(getattr(obj, "set", None))
    )


def _format(value: Any, precision: int) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return f"{value:.{precision}f}"


@magics_class
class BenchplanMagics(Magics):
    """``%mov``, ``%movr``, ``%ct`` and ``%wa`` for an IPython session.

    Examples
    --------
    In IPython, with ``motor`` and ``det`` in the namespace::

        %load_ext benchplan
        %mov motor 1
        %movr motor -0.5
        %ct det
        %wa
    """

    #: Digits shown after the point by ``%ct`` and ``%wa`` when a device gives none.
    precision = 4

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell, **kwargs)
        self._own_engine: Any = None

    # -- helpers ------------------------------------------------------------------
    @property
    def namespace(self) -> dict[str, Any]:
        """The user's namespace."""
        return self._shell.user_ns

    @property
    def _shell(self) -> Any:
        if self.shell is None:
            raise UsageError("The benchplan magics need an IPython shell; load them with "
                             "`%load_ext benchplan`.")
        return self.shell

    def engine(self) -> Any:
        """The RunEngine the magics use: the namespace's ``RE``, else their own."""
        candidate = self.namespace.get("RE")
        if callable(candidate) and hasattr(candidate, "state"):
            return candidate
        if self._own_engine is None:
            from .engine import RunEngine

            self._own_engine = RunEngine()
        return self._own_engine

    def _eval(self, magic: str, text: str) -> Any:
        try:
            return eval(text, self._shell.user_global_ns, self.namespace)  # noqa: S307
        except Exception as exc:
            raise UsageError(
                f"%{magic} cannot evaluate {text!r}: {type(exc).__name__}: {exc}. "
                "Give names from your namespace and values without spaces."
            ) from None

    def _devices(self, predicate: Any) -> Iterator[tuple[str, Any]]:
        """(name, object) for the namespace's objects matching ``predicate``, each once."""
        seen: set[int] = set()
        for name, obj in list(self.namespace.items()):
            if name.startswith("_") or isinstance(obj, type) or id(obj) in seen:
                continue
            try:
                matches = predicate(obj)
            except Exception:  # a property that fails: not ours to show
                continue
            if matches:
                seen.add(id(obj))
                yield name, obj

    def _run(self, magic: str, plan: Any, subs: Any = None) -> bool:
        """Run ``plan``; True if it ran to the end."""
        RE = self.engine()
        try:
            if subs is None:
                RE(plan)
            else:
                RE(plan, subs)
        except TransitionError as exc:
            raise UsageError(f"%{magic} cannot run: {exc}") from None
        except RunEngineInterrupted:
            if getattr(RE, "state", "idle") != "idle":
                RE.abort(reason=f"%{magic} was interrupted")
            report(f"%{magic} was interrupted; its plan was aborted (magics cannot be resumed).")
            return False
        return True

    def _pairs(self, magic: str, line: str) -> list[Any]:
        words = line.split()
        if not words or len(words) % 2:
            raise UsageError(
                f"%{magic} takes pairs of a device and a value, e.g. `%{magic} motor 1` or "
                f"`%{magic} motor1 1 motor2 -2`; got {line.strip()!r}."
            )
        args: list[Any] = []
        for name, value in zip(words[::2], words[1::2]):
            device = self._eval(magic, name)
            if not callable(getattr(device, "set", None)):
                raise UsageError(
                    f"%{magic} cannot move {name!r}: it has no set() method, so it is not "
                    "a motor or settable signal."
                )
            args += [device, self._eval(magic, value)]
        return args

    # -- magics -------------------------------------------------------------------
    @line_magic
    def mov(self, line: str) -> None:
        """Move devices to positions and wait: ``%mov motor 1 [motor2 2 ...]``."""
        from .plans.stubs import mv

        self._run("mov", mv(*self._pairs("mov", line)))

    @line_magic
    def movr(self, line: str) -> None:
        """Move devices by offsets and wait: ``%movr motor 0.5 [motor2 -1 ...]``."""
        from .plans.stubs import mvr

        self._run("movr", mvr(*self._pairs("movr", line)))

    @line_magic
    def ct(self, line: str) -> None:
        """Count once and print the readings: ``%ct [det1 det2 | label]``.

        With no argument, the devices labelled ``detectors`` in the
        namespace, or if none is, every object there that can be triggered
        and read but not set. An argument may be a name, a list of devices,
        or a label.
        """
        from .plans import count

        detectors = self._detectors(line)
        if not detectors:
            raise UsageError(
                "%ct found no detectors: give them (`%ct det1 det2`), or put objects that "
                "have trigger() and read() in the namespace."
            )
        keys: dict[str, Any] = {}
        data: dict[str, Any] = {}

        def keep(name: str, doc: dict) -> None:
            if name == "descriptor" and doc.get("name") == "primary":
                keys.update(doc["data_keys"])
            elif name == "event":
                data.update(doc["data"])

        if not self._run("ct", count(detectors), keep):
            return
        width = max(map(len, data), default=0) + 2
        for field, value in data.items():
            precision = keys.get(field, {}).get("precision", self.precision)
            report(f"{field:<{width}}{_format(value, precision)}")

    def _detectors(self, line: str) -> list[Any]:
        text = line.strip()
        if text.startswith(("[", "(")):
            value = self._eval("ct", text)
            return list(value)
        found: list[Any] = []
        for word in text.replace(",", " ").split():
            if word in self.namespace or "." in word:
                value = self._eval("ct", word)
                found.extend(value if isinstance(value, list | tuple) else [value])
                continue
            labelled = [obj for _, obj in self._devices(lambda o: word in _labels(o))]
            if not labelled:
                raise UsageError(
                    f"%ct: {word!r} is neither a name in the namespace nor a device label."
                )
            found.extend(labelled)
        if text:
            return found
        labelled = [obj for _, obj in self._devices(lambda o: "detectors" in _labels(o))]
        return labelled or [obj for _, obj in self._devices(_is_detector)]

    @line_magic
    def wa(self, line: str) -> None:
        """Where all: print the position of every motor in the namespace, or of those named."""
        if line.strip():
            positioners = [(w, self._eval("wa", w)) for w in line.split()]
        else:
            positioners = list(self._devices(_is_positioner))
        if not positioners:
            report("%wa found no positioners (objects with set() and position or locate()).")
            return
        rows: list[tuple[str, str, str, str]] = []

        def where() -> Any:
            from .plans.stubs import locate

            for name, device in positioners:
                precision = getattr(device, "precision", self.precision)
                precision = precision if isinstance(precision, int) else self.precision
                try:
                    if callable(getattr(device, "locate", None)):
                        location = yield from locate(device)
                        value, setpoint = location["readback"], location["setpoint"]
                    else:
                        value, setpoint = device.position, ""
                except Exception as exc:  # one bad device does not hide the others
                    value, setpoint = f"<{type(exc).__name__}: {exc}>", ""
                limits = getattr(device, "limits", None)
                low, high = limits if isinstance(limits, tuple) and len(limits) == 2 else ("", "")
                rows.append((
                    str(getattr(device, "name", None) or name),
                    _format(value, precision),
                    _format(setpoint, precision),
                    f"{_format(low, precision)} .. {_format(high, precision)}" if limits else "",
                ))

        if not self._run("wa", where()):
            return
        header = ("Positioner", "Value", "Setpoint", "Limits")
        widths = [max(len(r[i]) for r in (header, *rows)) for i in range(4)]
        for row in (header, *rows):
            report("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
