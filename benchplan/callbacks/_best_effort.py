"""BestEffortCallback: a heading, a table and a plot for any run, with no configuration.

What to show comes from the documents: the start document's
``hints['dimensions']`` names the scanned fields (the motors), and each
descriptor's per-device ``hints`` name the interesting detector fields. The
table is a :class:`~benchplan.callbacks.LiveTable`; the plot is a
:class:`~benchplan.callbacks.LivePlot` per detector field, against the
scanned motor, for runs with one dimension.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from .._report import report
from ._core import hinted_fields
from ._plot import (
    LivePlot,
    backend_needs_main_thread,
    main_thread_work,
    on_main_thread,
    require_matplotlib,
    run_label,
)
from ._table import LiveTable

__all__ = ["BestEffortCallback", "plot_fields"]

logger = logging.getLogger(__name__)

_PLOTTABLE = ("number", "integer")


def dimensions(start: Mapping[str, Any]) -> list[tuple[list[str], str]]:
    """The run's dimensions, ``[(fields, stream), ...]``, guessed when not hinted.

    Without ``hints['dimensions']``, each of the start's ``motors`` is one;
    without motors, ``time`` is. Dimensions in several streams cannot be
    plotted together, so they give way to the guess as well.
    """
    guess = [([m], "primary") for m in start.get("motors") or ()] or [(["time"], "primary")]
    hinted = (start.get("hints") or {}).get("dimensions")
    if not hinted:
        return guess
    dims = [(list(fields), stream) for fields, stream in hinted]
    if len({stream for _, stream in dims}) != 1:
        logger.debug("The hinted dimensions span several streams; plotting against %s.", guess)
        return guess
    return dims


def plot_fields(
    start: Mapping[str, Any], descriptor: Mapping[str, Any]
) -> tuple[str | None, list[str]]:
    """What to plot for a descriptor: ``(x field, [y fields])``.

    ``x`` is the first field of the run's one dimension (None when the run
    has several dimensions, or the descriptor is of another stream); the
    ``y`` fields are the numeric scalar fields its devices hint at, other
    than the dimensions'.

    Examples
    --------
    >>> start = {"uid": "u", "hints": {"dimensions": [(["motor"], "primary")]}}
    >>> desc = {"name": "primary", "hints": {"det": {"fields": ["det"]}},
    ...         "object_keys": {"det": ["det"], "motor": ["motor", "motor_setpoint"]},
    ...         "data_keys": {f: {"dtype": "number", "shape": []}
    ...                       for f in ("det", "motor", "motor_setpoint")}}
    >>> plot_fields(start, desc)
    ('motor', ['det'])
    """
    dims = dimensions(start)
    if descriptor.get("name") != dims[0][1]:
        return None, []
    keys = descriptor["data_keys"]
    object_keys = descriptor.get("object_keys") or {}
    hints = descriptor.get("hints") or {}
    dim_fields: list[str] = []
    for fields, _ in dims:
        for name in fields:
            if name not in keys and name in object_keys:  # a device's name: its hinted fields
                dim_fields.extend(hints.get(name, {}).get("fields", object_keys[name]))
            else:
                dim_fields.append(name)
    ys = [
        f for f in dict.fromkeys(hinted_fields(descriptor))
        if f not in dim_fields and f in keys
        and keys[f].get("dtype") in _PLOTTABLE and not keys[f].get("shape")
    ]
    if len(dims) != 1 or not dims[0][0]:
        return None, ys
    first = dims[0][0][0]
    if first not in keys and first in object_keys:
        first = (hints.get(first, {}).get("fields") or object_keys[first] or [first])[0]
    return first, ys


def chosen_backend(mpl: Any) -> str | None:
    """The backend in use or chosen (``MPLBACKEND``, ``matplotlib.use``, matplotlibrc).

    None when none is yet: matplotlib picks one at the first figure.
    """
    try:
        backend = mpl.get_backend(auto_select=False)
    except TypeError:  # matplotlib < 3.10 cannot tell: take it as chosen
        backend = mpl.get_backend()
    return None if backend is None else str(backend)


def no_display() -> bool:
    """True on an X11/Wayland system with neither ``DISPLAY`` nor ``WAYLAND_DISPLAY`` set."""
    if sys.platform == "darwin" or sys.platform.startswith(("win", "cygwin")):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class _Panel:
    """The plots of one descriptor, made when matplotlib may be touched.

    Until then (a GUI backend, documents arriving on the RunEngine's thread)
    the documents are kept and replayed into the plots once made.
    """

    def __init__(
        self, make: Callable[[], list[LivePlot]], on_error: Callable[[BaseException], None]
    ) -> None:
        self._make = make
        self._on_error = on_error
        self._lock = threading.Lock()
        self._plots: list[LivePlot] | None = None
        self._backlog: list[tuple[str, Any]] = []

    def __call__(self, name: str, doc: Any) -> None:
        with self._lock:
            plots = self._plots
            if plots is None:
                self._backlog.append((name, doc))
                return
        try:
            for plot in plots:
                plot(name, doc)
        except Exception as exc:  # a plot must never fail the run
            self._plots = []
            self._on_error(exc)

    def build(self) -> None:
        try:
            plots = self._make()
            with self._lock:
                for name, doc in self._backlog:
                    for plot in plots:
                        plot(name, doc)
                self._backlog = []
                self._plots = plots
        except Exception as exc:  # no display after all, a broken backend...
            with self._lock:
                self._backlog = []
                self._plots = []
            self._on_error(exc)

    @property
    def plots(self) -> list[LivePlot]:
        return list(self._plots or ())


class BestEffortCallback:
    """Show a heading, a live table and live plots of any run, working it out from hints.

    At the start of each run it prints a heading (scan id, time, uid and
    plan). The table has the scanned motors and the fields the devices hint
    at (a :class:`LiveTable`). For a run with one dimension -- ``scan``,
    ``rel_scan``, ``list_scan``, ``count`` (against time) -- a figure shows
    each hinted numeric detector field against the scanned motor, one axes
    per field, a line per run (runs of the same fields overlay). Runs with
    one point, or more than one dimension, get no plot.

    Plots need matplotlib (``pip install benchplan[plot]``) and somewhere to
    show them: a display, Jupyter (inline figures) or a backend chosen on
    purpose, such as ``matplotlib.use('Agg')``. In a terminal without a
    display, or without matplotlib, only the heading and the table are shown;
    it never fails the run for want of a plot.

    Parameters
    ----------
    table : bool, optional
        Print the table.
    plots : bool, optional
        Make the plots, where they can be shown.
    heading : bool, optional
        Print the heading.

    Examples
    --------
    >>> from benchplan.callbacks import BestEffortCallback
    >>> bec = BestEffortCallback()
    >>> RE.subscribe(bec)  # doctest: +SKIP
    >>> RE(scan([det], motor, -1, 1, 11))  # doctest: +SKIP
    >>> bec.disable_plots()  # tables only from now on
    """

    def __init__(self, *, table: bool = True, plots: bool = True, heading: bool = True) -> None:
        self._table_enabled = bool(table)
        self._plots_enabled = bool(plots)
        self._heading_enabled = bool(heading)
        self._said: set[str] = set()
        self._start: Mapping[str, Any] | None = None
        self._table: LiveTable | None = None
        self._plotting = False
        self._panels: dict[str, _Panel] = {}  # descriptor uid -> its plots
        self._all_panels: list[_Panel] = []

    # -- switches -----------------------------------------------------------------
    def enable_table(self) -> None:
        """Print the table from the next run on."""
        self._table_enabled = True

    def disable_table(self) -> None:
        """Print no table from the next run on."""
        self._table_enabled = False

    def enable_plots(self) -> None:
        """Make plots from the next run on."""
        self._plots_enabled = True
        self._said.discard("plot failed")

    def disable_plots(self) -> None:
        """Make no plots from the next run on."""
        self._plots_enabled = False

    def enable_heading(self) -> None:
        """Print the heading from the next run on."""
        self._heading_enabled = True

    def disable_heading(self) -> None:
        """Print no heading from the next run on."""
        self._heading_enabled = False

    @property
    def plots(self) -> list[LivePlot]:
        """The LivePlots of the last run (none before it has a plotted stream)."""
        return [plot for panel in self._all_panels for plot in panel.plots]

    @property
    def figure(self) -> Any:
        """The figure of the last run's plots, or None."""
        plots = self.plots
        return plots[0].ax.figure if plots and plots[0].ax is not None else None

    def refresh(self) -> None:
        """Draw what waits for the main thread (see :meth:`LivePlot.refresh`)."""
        main_thread_work.drain()
        for plot in self.plots:
            plot.refresh()

    # -- documents ----------------------------------------------------------------
    def __call__(self, name: str, doc: dict) -> None:
        if name == "start":
            self._on_start(doc)
            return
        start = self._start
        if start is None:
            return
        if name == "event" or name == "event_page":
            panel = self._panels.get(doc["descriptor"])
            if panel is not None:
                panel(name, doc)
        elif name == "descriptor":
            if doc["run_start"] != start["uid"]:
                return
            if self._plotting:
                self._add_panel(doc)
        elif name == "stop":
            if doc["run_start"] != start["uid"]:
                return
            for panel in self._panels.values():
                panel(name, doc)
            self._panels = {}
            self._start = None
        if self._table is not None:
            self._table(name, doc)
            if name == "stop":
                self._table = None

    def _on_start(self, doc: dict[str, Any]) -> None:
        self._start = doc
        self._panels = {}
        self._all_panels = []
        if self._heading_enabled:
            when = datetime.fromtimestamp(doc["time"]).strftime("%Y-%m-%d %H:%M:%S")
            report(
                f"\nTransient Scan ID: {doc.get('scan_id', '')}     Time: {when}\n"
                f"Persistent Unique Scan ID: '{doc['uid']}'\n"
                f"Plan: {doc.get('plan_name', '?')}"
            )
        self._table = LiveTable() if self._table_enabled else None
        if self._table is not None:
            self._table("start", doc)
        self._plotting = self._can_plot(doc)

    # -- plots --------------------------------------------------------------------
    def _say_once(self, key: str, message: str, *args: Any, level: int = logging.INFO) -> None:
        if key not in self._said:
            self._said.add(key)
            logger.log(level, message, *args)

    def _can_plot(self, start: Mapping[str, Any]) -> bool:
        if not self._plots_enabled or "plot failed" in self._said:
            return False
        if start.get("num_points") == 1:
            return False
        try:
            mpl = require_matplotlib("Plotting in BestEffortCallback")
        except ImportError as exc:
            self._say_once("no matplotlib", "%s Showing tables only.", exc)
            return False
        if chosen_backend(mpl) is None and no_display():
            # matplotlib would fall back to a file backend: the figures could not be seen
            self._say_once(
                "headless", "BestEffortCallback shows no plots: there is no display. "
                "Choose a backend, e.g. matplotlib.use('Agg'), to make figures anyway.",
            )
            return False
        return True

    def _plot_failed(self, exc: BaseException) -> None:
        self._said.add("plot failed")
        logger.warning(
            "BestEffortCallback could not make a plot (%s: %s), so it shows tables only; "
            "call enable_plots() to try again, or disable_plots() to stop trying.",
            type(exc).__name__, exc,
        )

    def _add_panel(self, descriptor: Mapping[str, Any]) -> None:
        start = self._start
        assert start is not None
        x, ys = plot_fields(start, descriptor)
        if x is None or not ys:
            if descriptor.get("name") == dimensions(start)[0][1]:
                logger.debug("No plot for %s: x=%r, y=%r.", run_label(start), x, ys)
            return

        def make() -> list[LivePlot]:
            return self._make_plots(start, descriptor, x, ys)

        panel = _Panel(make, self._plot_failed)
        self._panels[descriptor["uid"]] = panel
        self._all_panels.append(panel)
        panel("start", start)
        panel("descriptor", descriptor)
        import matplotlib

        backend = chosen_backend(matplotlib)  # None: resolved by the first figure
        if on_main_thread() or backend is not None and not backend_needs_main_thread(backend):
            panel.build()
        else:  # a GUI toolkit: the figure is made on the main thread
            main_thread_work.submit(panel, panel.build)

    def _make_plots(
        self, start: Mapping[str, Any], descriptor: Mapping[str, Any], x: str, ys: list[str]
    ) -> list[LivePlot]:
        import matplotlib.pyplot as plt

        figure = plt.figure(f"{' '.join(ys)} vs {x}")
        axes = figure.axes
        if len(axes) != len(ys):
            figure.clear()
            figure.set_size_inches(6.4, 1.6 + 2.4 * len(ys))
            axes = list(figure.subplots(len(ys), 1, sharex=True, squeeze=False)[:, 0])
        figure.suptitle(f"{run_label(start)}  ({start['uid'][:8]})")
        style: dict[str, Any] = {"marker": "o"} if (start.get("num_points") or 0) <= 50 else {}
        plots = [LivePlot(y, x, ax=ax, stream=descriptor["name"], **style)
                 for y, ax in zip(ys, axes)]
        for ax in axes[:-1]:
            ax.label_outer()
        return plots
