"""LivePlot: a matplotlib line per run, updated as the events arrive.

matplotlib is an optional dependency (``pip install benchplan[plot]``): it is
imported when a plot is made, never when :mod:`benchplan.callbacks` is.

Threads
-------
The RunEngine calls its subscribers on its own loop thread, while the thread
that called ``RE(...)`` -- the main thread, at a prompt -- waits. GUI
toolkits (Qt, Tk, GTK, wx, macOS) must only be touched from the main thread,
so what a callback does with matplotlib depends on where it runs:

- on the main thread (documents replayed from a store, a test): everything at
  once;
- with a backend that has no GUI toolkit -- Agg and the other file backends,
  Jupyter's inline backend, ipympl -- everything, on the loop thread;
- with a GUI backend, on the loop thread: the data are kept, and the drawing
  is handed to the main thread (:class:`MainThreadWork`), which does it after
  the IPython cell ends or when :meth:`LivePlot.refresh` is called. Outside
  interactive mode (a script that calls ``plt.show()`` at the end) the lines
  of an existing figure are updated at once, as nothing is drawn until
  ``show``.

Redraws are throttled: the line is brought up to date at most every
``min_interval`` seconds and at the end of each run, so a scan of thousands of
points spends its time measuring, not drawing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from types import ModuleType
from typing import Any

from event_model import DocumentRouter

from ._core import run_label

__all__ = [
    "INSTALL_HINT",
    "LivePlot",
    "MainThreadWork",
    "backend_needs_main_thread",
    "field_label",
    "main_thread_work",
    "require_matplotlib",
    "run_label",
]

logger = logging.getLogger(__name__)

#: How to get matplotlib, for error messages.
INSTALL_HINT = "pip install benchplan[plot]"

#: Backends without a GUI toolkit: safe from any thread.
_NO_GUI = frozenset({"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"})
_WEB = ("inline", "ipympl", "widget", "nbagg", "webagg")


def require_matplotlib(what: str) -> ModuleType:
    """Import matplotlib, or raise ImportError saying how to install it.

    Examples
    --------
    >>> require_matplotlib("LivePlot").__name__
    'matplotlib'
    """
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(
            f"{what} needs matplotlib, which is not installed. Install it with "
            f"`{INSTALL_HINT}` (or `pip install matplotlib`)."
        ) from exc
    return matplotlib


def backend_needs_main_thread(backend: str) -> bool:
    """True for a backend whose figures live in a GUI toolkit (Qt, Tk, ...).

    Examples
    --------
    >>> backend_needs_main_thread("agg"), backend_needs_main_thread("QtAgg")
    (False, True)
    """
    name = backend.lower()
    return name not in _NO_GUI and not any(marker in name for marker in _WEB)


def on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


class MainThreadWork:
    """Drawing handed from the RunEngine's thread to the main thread.

    Work is queued under a key; work already queued under the same key is
    not queued again (ten redraw requests make one redraw). The queue is
    run, in order, by :meth:`drain` -- after each IPython cell (it hooks
    itself to IPython's ``post_execute`` event when IPython runs) or when
    called, on the main thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._work: dict[Hashable, Callable[[], Any]] = {}
        self._shells: set[int] = set()

    def __len__(self) -> int:
        return len(self._work)

    def submit(self, key: Hashable, work: Callable[[], Any]) -> None:
        """Run ``work`` now if on the main thread, else queue it under ``key``."""
        if on_main_thread():
            with self._lock:
                self._work.pop(key, None)
            work()
            return
        with self._lock:
            self._work.setdefault(key, work)
        self._hook_ipython()
        self._hook_engine()

    def drain(self, *_: Any) -> None:
        """Run the queued work, oldest first; call it on the main thread."""
        while True:
            with self._lock:
                if not self._work:
                    return
                key = next(iter(self._work))
                work = self._work.pop(key)
            try:
                work()
            except Exception:
                logger.exception("A plot could not be drawn; the run and its data are unaffected.")

    def _hook_engine(self) -> None:
        """Draw while ``RE(...)`` blocks the main thread, not only after the cell."""
        from ..engine import add_main_thread_hook

        add_main_thread_hook(self._pump)

    def _pump(self) -> None:
        self.drain()
        import sys

        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:
            for number in pyplot.get_fignums():
                pyplot.figure(number).canvas.flush_events()

    def _hook_ipython(self) -> None:
        import sys

        ipython = sys.modules.get("IPython")
        shell = ipython.get_ipython() if ipython is not None else None
        if shell is None or id(shell) in self._shells:
            return
        shell.events.register("post_execute", self.drain)
        self._shells.add(id(shell))


#: The process's queue of drawing for the main thread.
main_thread_work = MainThreadWork()


def field_label(field: str, data_key: Any = None) -> str:
    """An axis label: the field name, with its units when the data key gives them."""
    if field == "time":
        return "time (s)"
    units = data_key.get("units") if isinstance(data_key, dict) else None
    return f"{field} ({units})" if units else field


class _Trace:
    """The points of one run, and its line once drawn."""

    __slots__ = ("label", "t0", "xs", "ys", "line", "stopped")

    def __init__(self, label: str, t0: float) -> None:
        self.label = label
        self.t0 = t0
        self.xs: list[Any] = []
        self.ys: list[Any] = []
        self.line: Any = None
        self.stopped = False


class LivePlot(DocumentRouter):
    """Plot one field against another as the events of a run arrive.

    Each run draws its own line, labelled with the plan and scan id, on the
    same axes, so successive runs overlay. Events of other streams, and runs
    whose stream lacks the fields, draw nothing.

    Parameters
    ----------
    y : str
        The field on the vertical axis.
    x : str, optional
        The field on the horizontal axis. ``None`` (the default) plots
        against ``seq_num``; ``'time'`` against seconds since the run
        started.
    ax : matplotlib Axes, optional
        Where to draw. By default, the current axes of the current figure
        (``plt.gca()``) when the first run starts -- in Jupyter, the figure
        of the cell that runs the plan -- and again for a later run if that
        figure has been closed.
    stream : str, optional
        The stream whose events are plotted.
    min_interval : float, optional
        Seconds between two updates of the line while a run goes (0.2 by
        default); the line is always brought up to date at the end of a run.
    **line_kwargs
        Passed to ``ax.plot`` for each line (``marker``, ``color``, ...).

    Raises
    ------
    ImportError
        When matplotlib is not installed (``pip install benchplan[plot]``).

    Examples
    --------
    >>> from benchplan.callbacks import LivePlot
    >>> plot = LivePlot("det", "motor", marker="o")
    >>> RE(scan([det], motor, -1, 1, 11), plot)  # doctest: +SKIP
    >>> plot.ax.figure.savefig("peak.png")  # doctest: +SKIP
    """

    def __init__(
        self,
        y: str,
        x: str | None = None,
        *,
        ax: Any = None,
        stream: str = "primary",
        min_interval: float = 0.2,
        **line_kwargs: Any,
    ) -> None:
        super().__init__()
        for name, value in (("y", y), ("x", x), ("stream", stream)):
            if not isinstance(value, str) and not (name == "x" and value is None):
                raise TypeError(
                    f"Cannot make a LivePlot with {name}={value!r}: give a field name (a str)."
                )
        if isinstance(min_interval, bool) or not isinstance(min_interval, int | float) \
                or not min_interval >= 0:
            raise ValueError(
                f"Cannot make a LivePlot with min_interval={min_interval!r}: it is the least "
                "number of seconds between two redraws, 0 or more."
            )
        self._mpl = require_matplotlib("LivePlot")
        self.y = y
        self.x = x
        self.stream = stream
        self.min_interval = float(min_interval)
        self._line_kwargs = line_kwargs
        self._given_ax = ax
        self._ax = ax
        self._labels: tuple[str, str] = (field_label(x or "seq_num"), field_label(y))
        self._lock = threading.Lock()
        self._traces: dict[str, _Trace] = {}  # run uid -> trace, until drawn after its stop
        self._trace_of: dict[str, _Trace] = {}  # descriptor uid -> trace
        self._last_update = float("-inf")
        if ax is None and on_main_thread() and self._gui():
            # Make the window now, on the main thread; the loop thread may not.
            self._ax = self._current_axes()

    @property
    def ax(self) -> Any:
        """The axes drawn on (None until the first run starts, without ``ax=``)."""
        return self._ax

    # -- documents ----------------------------------------------------------------
    def __call__(self, name: str, doc: dict, validate: bool = False) -> Any:
        if name == "event":  # the hot path: skip DocumentRouter's dispatch
            self.event(doc)
            return name, doc
        return super().__call__(name, doc, validate)

    def start(self, doc: Any) -> None:
        with self._lock:
            self._traces[doc["uid"]] = _Trace(run_label(doc), doc["time"])

    def descriptor(self, doc: Any) -> None:
        trace = self._traces.get(doc["run_start"])
        if trace is None or doc.get("name") != self.stream:
            return
        keys = doc["data_keys"]
        missing = [f for f in (self.y, self.x) if f is not None and f not in keys
                   and f not in ("time", "seq_num")]
        if missing:
            logger.warning(
                "LivePlot(%r, x=%r) draws nothing for %s: stream %r has no field %s "
                "(its fields: %s).", self.y, self.x, trace.label, self.stream,
                " or ".join(map(repr, missing)), ", ".join(keys),
            )
            return
        self._trace_of[doc["uid"]] = trace
        self._labels = (field_label(self.x or "seq_num", keys.get(self.x or "")),
                        field_label(self.y, keys.get(self.y)))

    def event(self, doc: Any) -> None:  # type: ignore[override]  # returns nothing to pass on
        trace = self._trace_of.get(doc["descriptor"])
        if trace is None:
            return
        data = doc["data"]
        x = self.x
        if x is None:
            xv = doc["seq_num"]
        elif x in data:
            xv = data[x]
        elif x == "time":
            xv = doc["time"] - trace.t0
        else:
            xv = doc[x]  # 'seq_num'
        yv = data.get(self.y)
        if yv is None or xv is None:
            return
        trace.xs.append(xv)
        trace.ys.append(yv)
        now = time.monotonic()
        if now - self._last_update >= self.min_interval:
            self._last_update = now
            self._update()

    def event_page(self, doc: Any) -> None:  # type: ignore[override]
        trace = self._trace_of.get(doc["descriptor"])
        if trace is None:
            return
        data = doc["data"]
        x = self.x
        if x is None or x == "seq_num" and x not in data:
            xs = list(doc["seq_num"])
        elif x == "time" and x not in data:
            xs = [t - trace.t0 for t in doc["time"]]
        else:
            xs = list(data[x])
        pairs = [(a, b) for a, b in zip(xs, data[self.y]) if a is not None and b is not None]
        trace.xs.extend(a for a, _ in pairs)
        trace.ys.extend(b for _, b in pairs)
        now = time.monotonic()
        if now - self._last_update >= self.min_interval:
            self._last_update = now
            self._update()

    def stop(self, doc: Any) -> None:
        trace = self._traces.get(doc["run_start"])
        if trace is None:
            return
        trace.stopped = True
        for uid in [u for u, t in self._trace_of.items() if t is trace]:
            del self._trace_of[uid]
        self._last_update = time.monotonic()
        self._update()

    # -- drawing ------------------------------------------------------------------
    def refresh(self) -> None:
        """Draw what has arrived, and any drawing queued for the main thread.

        Call it on the main thread. IPython calls it for you after each cell;
        a script using a GUI backend in interactive mode can call it after
        ``RE(...)``.
        """
        main_thread_work.drain()
        if on_main_thread():
            self._render()

    def _gui(self) -> bool:
        return backend_needs_main_thread(str(self._mpl.get_backend()))

    def _update(self) -> None:
        if on_main_thread() or not self._gui():
            self._render()
        elif self._ax is not None and not self._mpl.is_interactive() and self._figure_open():
            self._render(draw=False)  # nothing is shown before plt.show(): no GUI call
        else:
            main_thread_work.submit(self, self._render)

    def _figure_open(self) -> bool:
        if self._given_ax is not None:
            return True
        import matplotlib.pyplot as plt

        return plt.fignum_exists(self._ax.figure.number)

    @staticmethod
    def _current_axes() -> Any:
        import matplotlib.pyplot as plt

        return plt.gca()

    def _render(self, draw: bool = True) -> None:
        with self._lock:
            traces = list(self._traces.items())
            if not any(trace.xs or trace.line is not None for _, trace in traces):
                for uid, trace in traces:  # nothing to draw: make no figure for it
                    if trace.stopped:
                        del self._traces[uid]
                return
            if self._ax is None or not self._figure_open():
                self._ax = self._current_axes()
            ax = self._ax
            for uid, trace in traces:
                xs, ys = trace.xs[:], trace.ys[:]
                if trace.stopped:
                    del self._traces[uid]
                if trace.line is not None:
                    trace.line.set_data(xs, ys)
                elif xs:
                    (trace.line,) = ax.plot(xs, ys, label=trace.label, **self._line_kwargs)
                    ax.set_xlabel(self._labels[0])
                    ax.set_ylabel(self._labels[1])
                    ax.legend(loc="best")
            ax.relim(visible_only=True)
            ax.autoscale_view()
        if draw:
            self._draw(ax.figure)

    def _draw(self, figure: Any) -> None:
        canvas = figure.canvas
        from matplotlib.backend_bases import FigureCanvasBase

        if type(canvas).draw_idle is FigureCanvasBase.draw_idle:
            return  # Agg, inline: nothing on screen to refresh; saving or showing draws
        canvas.draw_idle()
        if on_main_thread() and self._gui():
            canvas.flush_events()
