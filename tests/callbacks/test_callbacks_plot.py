"""LivePlot: a line per run, its data and labels, throttling, threads, and no matplotlib."""

from __future__ import annotations

import logging
import sys

import pytest
from event_model import compose_run, pack_event_page

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from benchplan import RunEngine  # noqa: E402
from benchplan.callbacks import DocumentCollector  # noqa: E402
from benchplan.callbacks import _plot  # noqa: E402
from benchplan.callbacks._plot import LivePlot, main_thread_work  # noqa: E402
from benchplan.devices.sim import SimGaussianDetector, SimMotor  # noqa: E402
from benchplan.plans import count, scan  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    plt.close("all")
    yield
    main_thread_work.drain()
    plt.close("all")


@pytest.fixture(scope="module")
def RE():
    return RunEngine()


@pytest.fixture
def motor():
    return SimMotor("mtr")


@pytest.fixture
def det(motor):
    return SimGaussianDetector("dt", motor, "mtr", center=0, Imax=1, sigma=1)


def run_docs(rows, data_keys, *, stream="primary", scan_id=4, pages=False):
    """The documents of one hand-made run, an event per row."""
    run = compose_run(metadata={"plan_name": "scan", "scan_id": scan_id})
    desc = run.compose_descriptor(name=stream, data_keys=data_keys)
    events = [desc.compose_event(data=row, timestamps={k: 0 for k in row}) for row in rows]
    docs = [("start", run.start_doc), ("descriptor", desc.descriptor_doc)]
    if pages:
        docs.append(("event_page", pack_event_page(*events)))
    else:
        docs += [("event", e) for e in events]
    return docs + [("stop", run.compose_stop())]


def number(units=None):
    key = {"dtype": "number", "shape": [], "source": "test"}
    if units:
        key["units"] = units
    return key


def test_scan_draws_one_line_with_every_point(RE, motor, det):
    docs = DocumentCollector()
    plot = LivePlot("dt", "mtr")
    RE(scan([det], motor, -1, 1, 11), [plot, docs])
    (line,) = plot.ax.lines
    assert list(line.get_xdata()) == docs.data("mtr")
    assert list(line.get_ydata()) == docs.data("dt")
    assert plot.ax.get_xlabel() == "mtr"
    assert plot.ax.get_ylabel() == "dt"


def test_each_run_adds_a_labelled_line_to_the_same_axes(RE, motor, det):
    plot = LivePlot("dt", "mtr")
    RE(scan([det], motor, -1, 1, 5), plot, scan_id=7)
    RE(scan([det], motor, 0, 2, 3), plot, scan_id=8)
    assert [len(line.get_xdata()) for line in plot.ax.lines] == [5, 3]
    labels = [text.get_text() for text in plot.ax.get_legend().get_texts()]
    assert labels[0].startswith("scan #") and labels[0] != labels[1]


def test_without_x_the_points_are_plotted_against_seq_num(RE, motor, det):
    plot = LivePlot("dt")
    RE(scan([det], motor, -1, 1, 4), plot)
    assert list(plot.ax.lines[0].get_xdata()) == [1, 2, 3, 4]
    assert plot.ax.get_xlabel() == "seq_num"


def test_x_time_is_seconds_since_the_run_started(RE, det):
    plot = LivePlot("dt", "time")
    RE(count([det], 3), plot)
    xs = list(plot.ax.lines[0].get_xdata())
    assert all(0 <= x < 60 for x in xs) and xs == sorted(xs)
    assert plot.ax.get_xlabel() == "time (s)"


def test_draws_on_the_current_figure_when_given_no_axes(RE, motor, det):
    figure = plt.figure()
    plot = LivePlot("dt", "mtr")
    RE(scan([det], motor, -1, 1, 3), plot)
    assert plot.ax.figure is figure


def test_a_closed_figure_is_replaced_by_the_current_one_at_the_next_run(RE, motor, det):
    # Jupyter's inline backend closes each cell's figures once shown.
    plot = LivePlot("dt", "mtr")
    RE(scan([det], motor, -1, 1, 3), plot)
    first = plot.ax.figure
    plt.close("all")
    RE(scan([det], motor, -1, 1, 4), plot)
    assert plot.ax.figure is not first
    assert [len(line.get_xdata()) for line in plot.ax.lines] == [4]


def test_given_axes_are_used_and_line_options_passed_on(RE, motor, det):
    _, ax = plt.subplots()
    plot = LivePlot("dt", "mtr", ax=ax, marker="x", color="red")
    RE(scan([det], motor, -1, 1, 3), plot)
    assert plot.ax is ax
    assert ax.lines[0].get_marker() == "x" and ax.lines[0].get_color() == "red"


def test_axis_labels_show_units_from_the_data_keys():
    _, ax = plt.subplots()
    plot = LivePlot("current", "voltage", ax=ax)
    keys = {"voltage": number("V"), "current": number("A")}
    for name, doc in run_docs([{"voltage": 1.0, "current": 0.5}], keys):
        plot(name, doc)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("voltage (V)", "current (A)")


def test_event_pages_are_plotted_like_events():
    _, ax = plt.subplots()
    plot = LivePlot("y", "x", ax=ax)
    rows = [{"x": float(i), "y": float(i * i)} for i in range(4)]
    for name, doc in run_docs(rows, {"x": number(), "y": number()}, pages=True):
        plot(name, doc)
    assert list(ax.lines[0].get_ydata()) == [0.0, 1.0, 4.0, 9.0]


def test_runs_without_the_fields_make_no_figure(RE, det):
    plot = LivePlot("not-there", "mtr")
    RE(count([det], 2), plot)
    assert plot.ax is None and plt.get_fignums() == []


def test_other_streams_draw_nothing():
    _, ax = plt.subplots()
    plot = LivePlot("y", "x", ax=ax)
    for name, doc in run_docs([{"x": 1.0, "y": 2.0}], {"x": number(), "y": number()},
                              stream="baseline"):
        plot(name, doc)
    assert len(ax.lines) == 0


def test_a_stream_without_the_field_draws_nothing_and_says_why(caplog):
    _, ax = plt.subplots()
    plot = LivePlot("missing", "x", ax=ax)
    with caplog.at_level(logging.WARNING, logger="benchplan.callbacks._plot"):
        for name, doc in run_docs([{"x": 1.0, "y": 2.0}], {"x": number(), "y": number()}):
            plot(name, doc)
    assert len(ax.lines) == 0
    assert "has no field 'missing'" in caplog.text and "its fields: x, y" in caplog.text


def test_the_line_is_updated_at_most_every_min_interval_and_at_the_stop(RE, motor, det):
    seen = []
    plot = LivePlot("dt", "mtr", min_interval=1e9)

    def watch(name, doc):
        if name == "event":
            seen.append(len(plot.ax.lines[0].get_xdata()))

    RE(scan([det], motor, -1, 1, 6), [plot, watch])
    assert seen == [1] * 6  # drawn at the first point, then not again before the stop
    assert len(plot.ax.lines[0].get_xdata()) == 6


def test_min_interval_zero_updates_the_line_at_every_event(RE, motor, det):
    seen = []
    plot = LivePlot("dt", "mtr", min_interval=0)

    def watch(name, doc):
        if name == "event":
            seen.append(len(plot.ax.lines[0].get_xdata()))

    RE(scan([det], motor, -1, 1, 4), [plot, watch])
    assert seen == [1, 2, 3, 4]


def test_with_a_gui_backend_the_loop_thread_hands_drawing_to_the_main_thread(
    RE, motor, det, monkeypatch
):
    monkeypatch.setattr(_plot, "backend_needs_main_thread", lambda backend: True)
    monkeypatch.setattr(matplotlib, "is_interactive", lambda: True)
    plot = LivePlot("dt", "mtr")
    assert plot.ax is not None  # made at once, on the main thread
    RE(scan([det], motor, -1, 1, 5), plot)
    assert len(plot.ax.lines) == 0 and len(main_thread_work) == 1
    plot.refresh()
    assert len(plot.ax.lines[0].get_xdata()) == 5
    assert len(main_thread_work) == 0


def test_with_a_gui_backend_outside_interactive_mode_lines_update_in_place(
    RE, motor, det, monkeypatch
):
    # A script: nothing is drawn before plt.show(), so the loop thread may set the data.
    monkeypatch.setattr(_plot, "backend_needs_main_thread", lambda backend: True)
    monkeypatch.setattr(matplotlib, "is_interactive", lambda: False)
    plot = LivePlot("dt", "mtr")
    RE(scan([det], motor, -1, 1, 5), plot)
    assert len(plot.ax.lines[0].get_xdata()) == 5
    assert len(main_thread_work) == 0


def test_ipython_draws_the_queued_plots_after_the_cell(RE, motor, det, monkeypatch, tmp_path):
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    if not InteractiveShell.initialized():  # its folder in a temporary one, no history file
        monkeypatch.setenv("IPYTHONDIR", str(tmp_path))
        config = Config()
        config.HistoryManager.hist_file = ":memory:"
        InteractiveShell.instance(config=config)
    shell = InteractiveShell.instance()
    monkeypatch.setattr(_plot, "backend_needs_main_thread", lambda backend: True)
    monkeypatch.setattr(matplotlib, "is_interactive", lambda: True)
    plot = LivePlot("dt", "mtr")
    shell.user_ns.update(RE=RE, plot=plot, scan=scan, det=det, motor=motor)
    result = shell.run_cell("RE(scan([det], motor, -1, 1, 4), plot)")
    assert result.success, result.error_in_exec
    assert len(plot.ax.lines[0].get_xdata()) == 4


def test_without_matplotlib_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"LivePlot needs matplotlib.*pip install benchplan\[plot\]"):
        LivePlot("det")


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"y": 3}, TypeError, "Cannot make a LivePlot with y=3: give a field name"),
        ({"y": "det", "x": ["motor"]}, TypeError, r"x=\['motor'\]"),
        ({"y": "det", "min_interval": -1}, ValueError, "min_interval=-1: it is the least number"),
    ],
)
def test_bad_arguments_are_refused(kwargs, error, text):
    with pytest.raises(error, match=text):
        LivePlot(**kwargs)
