"""LiveTable: one text row per event, as the run goes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any

from event_model import DocumentRouter

from .._report import report
from ._core import field_names, hinted_fields

__all__ = ["LiveTable"]

logger = logging.getLogger(__name__)

#: data-key dtype -> format type letter; other dtypes get no column.
_FORMAT_TYPE = {"number": "f", "integer": "d", "string": "s", "boolean": "s"}


def _clock(timestamp: float) -> str:
    """Local wall-clock time to a tenth of a second, e.g. '14:03:27.4'."""
    return datetime.fromtimestamp(timestamp).strftime("%H:%M:%S.%f")[:10]


class _Layout:
    """The columns of one descriptor, with every format string built once."""

    __slots__ = ("keys", "as_text", "cells", "inner", "padding", "row", "lead", "header", "rule")

    def __init__(self, columns: list[tuple[str, int, str, bool]], pad: int) -> None:
        # columns: (field, width, cell format, show as text), after seq_num and time
        padding = " " * pad
        names = ["seq_num", "time"] + [c[0] for c in columns]
        widths = [10 + pad, 10 + 2 * pad] + [c[1] for c in columns]
        lead = [f"{padding}{{:>{10 - pad}d}}{padding}", f"{padding}{{:>10.10s}}{padding}"]
        self.keys = [c[0] for c in columns]
        self.cells = [c[2] for c in columns]
        self.as_text = [c[3] for c in columns]
        self.inner = [c[1] - 2 * pad for c in columns]
        self.padding = padding
        self.lead = "|" + "|".join(lead) + "|"
        self.row = "|" + "|".join(lead + self.cells) + "|"
        self.header = (
            "|" + "|".join(f"{n:>{w - pad}}{padding}" for n, w in zip(names, widths)) + "|"
        )
        self.rule = "+" + "+".join("-" * w for w in widths) + "+"

    def format(self, doc: Mapping[str, Any]) -> str:
        """One table row for an event."""
        data = doc["data"]
        if not doc.get("filled"):
            try:
                values = [
                    str(data[k]) if text else data[k]
                    for k, text in zip(self.keys, self.as_text)
                ]
                return self.row.format(doc["seq_num"], _clock(doc["time"]), *values)
            except Exception:  # a missing field or an odd value: go cell by cell
                pass
        return self._format_cells(doc)

    def _format_cells(self, doc: Mapping[str, Any]) -> str:
        data = doc["data"]
        filled = doc.get("filled") or {}
        padding = self.padding
        cells = []
        for key, cell, text, inner in zip(self.keys, self.cells, self.as_text, self.inner):
            if key not in data or not filled.get(key, True):
                # absent, or external data not loaded: leave the cell blank
                cells.append(" " * (inner + 2 * len(padding)))
                continue
            value = data[key]
            if isinstance(value, Enum):
                value = value.value
            try:
                cells.append(cell.format(str(value) if text else value))
            except Exception:  # not a number after all: show its text
                cells.append(f"{padding}{str(value)[:inner]:>{inner}}{padding}")
        lead = self.lead.format(doc["seq_num"], _clock(doc["time"]))
        return lead + "".join(cell + "|" for cell in cells)


class LiveTable(DocumentRouter):
    """Print a table with a row per event of one stream as a run goes.

    The columns are ``seq_num``, the event's local time, and one per field.
    Numbers show with the data key's ``precision`` (or ``default_prec``), a
    field missing from an event leaves its cell blank, and the header comes
    back every ``print_header_interval`` rows. At the end of the run the
    table is closed and a line names the plan, the run uid and the scan id.

    Parameters
    ----------
    fields : list of str or devices, optional
        The columns, in order. A device stands for the fields it hints at.
        By default the run chooses: first the plan's dimensions (the motors
        of a scan, from the start document's ``hints``), then the fields
        each device in the stream hints at. A field that a descriptor does
        not have, or whose values are arrays, gets no column.
    stream : str, optional
        The stream to show, ``'primary'`` by default.
    print_header_interval : int, optional
        Print the header again every this many rows.
    min_width : int, optional
        The least width of a data column, in characters.
    default_prec : int, optional
        Digits after the point for numbers whose data key gives no
        ``precision``.
    extra_pad : int, optional
        Spaces on each side of every cell.
    separator_lines : bool, optional
        Print an empty line before and after the table.
    logbook : callable, optional
        Called at the end of each run with the whole table as one string.
    out : callable, optional
        Called with each line of the table (no newline). By default the
        line is shown with :func:`benchplan._report.report`.

    Examples
    --------
    >>> from benchplan.callbacks import LiveTable
    >>> table = LiveTable(["motor", "det"])
    >>> RE(scan([det], motor, -1, 1, 3), table)  # doctest: +SKIP
    """

    def __init__(
        self,
        fields: Sequence[Any] | None = None,
        *,
        stream: str = "primary",
        print_header_interval: int = 50,
        min_width: int = 12,
        default_prec: int = 3,
        extra_pad: int = 1,
        separator_lines: bool = True,
        logbook: Callable[[str], Any] | None = None,
        out: Callable[[str], Any] | None = None,
    ) -> None:
        super().__init__()
        for name, value, least in (
            ("print_header_interval", print_header_interval, 1),
            ("min_width", min_width, 1),
            ("default_prec", default_prec, 0),
            ("extra_pad", extra_pad, 0),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(
                    f"Cannot make a LiveTable with {name}={value!r}: it must be "
                    f"a whole number of at least {least}."
                )
        self._fields = None if fields is None else field_names(fields)
        self._stream = stream
        self._header_interval = print_header_interval
        self._min_width = min_width
        self._default_prec = default_prec
        self._pad = extra_pad
        self._separator_lines = separator_lines
        self._logbook = logbook
        self._out: Callable[[str], Any] = report if out is None else out
        self._start: Mapping[str, Any] | None = None
        self._layouts: dict[str, _Layout] = {}
        self._last: _Layout | None = None
        self._count = 0
        self._lines: list[str] = []

    # -- documents -----------------------------------------------------------

    def start(self, doc: Any) -> None:
        self._start = doc
        self._layouts = {}
        self._last = None
        self._count = 0
        self._lines = []

    def descriptor(self, doc: Any) -> None:
        if (
            doc.get("name") != self._stream
            or self._start is None
            or doc["run_start"] != self._start["uid"]
        ):
            return
        layout = _Layout(self._columns(doc), self._pad)
        self._layouts[doc["uid"]] = layout
        if self._last is not None:
            self._print(self._last.rule)
        self._last = layout
        self._count = 0
        if self._separator_lines:
            self._print("")
        self._print_header(layout)

    def event(self, doc: Any) -> None:  # type: ignore[override]  # returns nothing to pass on
        layout = self._layouts.get(doc["descriptor"])
        if layout is None:
            return
        self._count += 1
        if not self._count % self._header_interval:
            self._print_header(layout)
        self._print(layout.format(doc))

    def stop(self, doc: Any) -> None:
        start = self._start
        if start is None or doc["run_start"] != start["uid"]:
            return
        if self._last is not None:
            self._print(self._last.rule)
        self._print(self._watermark(start))
        if self._logbook is not None:
            self._logbook("\n".join(self._lines))
        if self._separator_lines:
            self._print("")
        self._start = None
        self._layouts = {}
        self._last = None
        self._lines = []

    # -- helpers -------------------------------------------------------------

    def _print(self, line: str) -> None:
        if self._logbook is not None:
            self._lines.append(line)
        self._out(line)

    def _print_header(self, layout: _Layout) -> None:
        self._print(layout.rule)
        self._print(layout.header)
        self._print(layout.rule)

    @staticmethod
    def _watermark(start: Mapping[str, Any]) -> str:
        # the plan's name; bluesky also prints plan_type, which is always 'generator'
        words = [str(start["plan_name"])] if start.get("plan_name") else []
        words.append(f"['{start['uid'][:8]}']")
        if start.get("scan_id") is not None:
            words.append(f"(scan num: {start['scan_id']})")
        return " ".join(words)

    def _wanted_fields(self, descriptor: Mapping[str, Any]) -> list[str]:
        if self._fields is not None:
            return self._fields
        assert self._start is not None
        dimensions = (self._start.get("hints") or {}).get("dimensions")
        if dimensions is None:
            dimensions = [([m], self._stream) for m in self._start.get("motors") or ()]
        hints = descriptor.get("hints") or {}
        object_keys = descriptor.get("object_keys") or {}
        wanted: list[str] = []
        for dim_fields, stream in dimensions:
            if stream != self._stream:
                continue
            for name in dim_fields:
                # 'motors' lists devices: a device stands for its hinted fields
                if name in object_keys and name not in descriptor["data_keys"]:
                    wanted.extend(hints.get(name, {}).get("fields", object_keys[name]))
                else:
                    wanted.append(name)
        wanted.extend(hinted_fields(descriptor))
        return [f for f in dict.fromkeys(wanted) if f not in ("time", "seq_num")]

    def _precision(self, data_key: Mapping[str, Any]) -> int:
        try:
            prec = int(data_key.get("precision", self._default_prec))
        except (TypeError, ValueError):
            return self._default_prec
        return prec if prec >= 0 else self._default_prec

    def _columns(self, descriptor: Mapping[str, Any]) -> list[tuple[str, int, str, bool]]:
        data_keys = descriptor["data_keys"]
        explicit = self._fields is not None
        pad = self._pad
        padding = " " * pad
        columns = []
        for field in self._wanted_fields(descriptor):
            key = data_keys.get(field)
            if key is None:
                if explicit:
                    logger.warning(
                        "LiveTable shows no column for %r: stream %r has no such "
                        "field (its fields are %s). Check the name passed in fields=.",
                        field, self._stream, ", ".join(data_keys),
                    )
                continue
            kind = _FORMAT_TYPE.get(key.get("dtype", ""))
            if kind is None or key.get("shape"):
                if explicit:
                    logger.warning(
                        "LiveTable shows no column for %r: a table cell cannot "
                        "show dtype %r with shape %r.",
                        field, key.get("dtype"), key.get("shape"),
                    )
                continue
            width = max(self._min_width, len(field) + 2, self._default_prec + 1 + 2 * pad)
            inner = width - 2 * pad
            if kind == "d":
                cell = f"{padding}{{:>{inner}d}}{padding}"
            else:
                if key["dtype"] == "boolean":
                    prec = 5  # len("False")
                elif key["dtype"] == "string":
                    prec = inner - 1
                else:
                    prec = self._precision(key)
                cell = f"{padding}{{:>{inner}.{prec}{kind}}}{padding}"
            columns.append((field, width, cell, kind == "s"))
        return columns
