"""BestEffortCallback: heading, table and plots from hints; switches; headless and GUI fallbacks."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from benchplan import RunEngine  # noqa: E402
from benchplan.callbacks import DocumentCollector, _best_effort, _plot  # noqa: E402
from benchplan.callbacks._best_effort import BestEffortCallback, plot_fields  # noqa: E402
from benchplan.callbacks._plot import main_thread_work  # noqa: E402
from benchplan.devices.sim import SimGaussianDetector, SimMotor  # noqa: E402
from benchplan.plans import count, grid_scan, scan  # noqa: E402


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
    return SimMotor("mx")


@pytest.fixture
def det(motor):
    return SimGaussianDetector("dx", motor, "mx", center=0, Imax=1, sigma=1)


@pytest.fixture
def det2(motor):
    return SimGaussianDetector("dy", motor, "mx", center=1, Imax=2, sigma=0.5)


def table_rows(out):
    """The cells of a LiveTable's data rows."""
    rows = [line.strip("|").split("|") for line in out.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row] for row in rows if row[0].strip() != "seq_num"]


def test_heading_names_scan_id_time_uid_and_plan(RE, motor, det, capsys):
    docs = DocumentCollector()
    (uid,) = RE(scan([det], motor, -1, 1, 3), [BestEffortCallback(plots=False), docs])
    out = capsys.readouterr().out
    assert f"Transient Scan ID: {docs.start['scan_id']}     Time: 20" in out
    assert f"Persistent Unique Scan ID: '{uid}'" in out
    assert "Plan: scan" in out


def test_table_has_the_motor_and_the_hinted_detector_fields(RE, motor, det, det2, capsys):
    RE(scan([det, det2], motor, -1, 1, 3), BestEffortCallback(plots=False))
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if "seq_num" in line)
    assert header.split("|")[3:6] == ["         mx ", "         dx ", "         dy "]
    assert [row[0] for row in table_rows(out)] == ["1", "2", "3"]


def test_a_1d_scan_plots_each_hinted_detector_against_the_motor(RE, motor, det, det2):
    docs = DocumentCollector()
    bec = BestEffortCallback(table=False, heading=False)
    RE(scan([det, det2], motor, -1, 1, 5), [bec, docs])
    figure = bec.figure
    assert figure is not None and len(figure.axes) == 2
    assert [ax.get_ylabel() for ax in figure.axes] == ["dx", "dy"]
    assert figure.axes[-1].get_xlabel() == "mx"
    for ax, field in zip(figure.axes, ("dx", "dy")):
        (line,) = ax.lines
        assert list(line.get_xdata()) == docs.data("mx")
        assert list(line.get_ydata()) == docs.data(field)
    assert "scan #" in figure.get_suptitle()


def test_repeating_a_scan_overlays_its_line_on_the_same_figure(RE, motor, det):
    bec = BestEffortCallback(table=False, heading=False)
    RE(scan([det], motor, -1, 1, 5), bec)
    first = bec.figure
    RE(scan([det], motor, -2, 2, 7), bec)
    assert bec.figure is first
    assert [len(line.get_xdata()) for line in first.axes[0].lines] == [5, 7]


def test_count_is_plotted_against_time(RE, det):
    bec = BestEffortCallback(table=False, heading=False)
    RE(count([det], 3), bec)
    ax = bec.figure.axes[0]
    assert ax.get_xlabel() == "time (s)" and len(ax.lines[0].get_xdata()) == 3


def test_single_points_and_2d_scans_get_a_table_but_no_plot(RE, motor, det, capsys):
    bec = BestEffortCallback(heading=False)
    other = SimMotor("my")
    RE(count([det]), bec)
    RE(grid_scan([det], motor, -1, 1, 2, other, -1, 1, 2), bec)
    assert plt.get_fignums() == [] and bec.figure is None
    assert capsys.readouterr().out.count("seq_num") == 2


def test_disable_table_and_disable_heading_silence_them(RE, motor, det, capsys):
    bec = BestEffortCallback()
    bec.disable_table()
    bec.disable_heading()
    RE(scan([det], motor, -1, 1, 3), bec)
    assert capsys.readouterr().out == ""
    assert bec.figure is not None
    bec.enable_table()
    bec.enable_heading()
    RE(scan([det], motor, -1, 1, 3), bec)
    out = capsys.readouterr().out
    assert "Transient Scan ID" in out and "seq_num" in out


def test_disable_plots_makes_no_figure(RE, motor, det):
    bec = BestEffortCallback(table=False, heading=False)
    bec.disable_plots()
    RE(scan([det], motor, -1, 1, 3), bec)
    assert plt.get_fignums() == [] and bec.plots == []
    bec.enable_plots()
    RE(scan([det], motor, -1, 1, 3), bec)
    assert len(bec.plots) == 1


def test_inline_backend_figures_hold_the_run(RE, motor, det):
    # What a Jupyter kernel uses; the figure is shown by the kernel when the cell ends.
    pytest.importorskip("matplotlib_inline")
    plt.switch_backend("module://matplotlib_inline.backend_inline")
    try:
        bec = BestEffortCallback(table=False, heading=False)
        RE(scan([det], motor, -1, 1, 4), bec)
        assert plt.get_fignums() == [bec.figure.number]
        assert len(bec.figure.axes[0].lines[0].get_xdata()) == 4
    finally:
        plt.switch_backend("Agg")


def test_without_matplotlib_the_table_is_shown_alone(RE, motor, det, monkeypatch, capsys, caplog):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    bec = BestEffortCallback(heading=False)
    with caplog.at_level(logging.INFO, logger="benchplan.callbacks._best_effort"):
        RE(scan([det], motor, -1, 1, 3), bec)
    assert "seq_num" in capsys.readouterr().out and bec.plots == []
    assert "pip install benchplan[plot]" in caplog.text


def test_a_figure_that_cannot_be_made_leaves_the_table_and_the_run(
    RE, motor, det, monkeypatch, capsys, caplog
):
    def no_display(*args, **kwargs):
        raise RuntimeError("cannot connect to display")

    monkeypatch.setattr(plt, "figure", no_display)
    bec = BestEffortCallback(heading=False)
    docs = DocumentCollector()
    with caplog.at_level(logging.WARNING, logger="benchplan.callbacks._best_effort"):
        RE(scan([det], motor, -1, 1, 3), [bec, docs])
    assert docs.stop["exit_status"] == "success"
    assert "seq_num" in capsys.readouterr().out
    assert "could not make a plot (RuntimeError: cannot connect to display)" in caplog.text


def test_a_plot_failing_mid_run_leaves_the_table_and_the_run(
    RE, motor, det, monkeypatch, capsys, caplog
):
    def broken(self, doc):
        raise ValueError("bad point")

    monkeypatch.setattr(_plot.LivePlot, "event", broken)
    docs = DocumentCollector()
    with caplog.at_level(logging.WARNING, logger="benchplan.callbacks._best_effort"):
        RE(scan([det], motor, -1, 1, 4), [BestEffortCallback(heading=False), docs])
    assert docs.stop["exit_status"] == "success"
    assert len(table_rows(capsys.readouterr().out)) == 4
    assert "could not make a plot (ValueError: bad point)" in caplog.text


def test_with_a_gui_backend_figures_are_made_on_the_main_thread(RE, motor, det, monkeypatch):
    monkeypatch.setattr(_plot, "backend_needs_main_thread", lambda backend: True)
    monkeypatch.setattr(_best_effort, "backend_needs_main_thread", lambda backend: True)
    monkeypatch.setattr(matplotlib, "is_interactive", lambda: True)
    bec = BestEffortCallback(table=False, heading=False)
    RE(scan([det], motor, -1, 1, 5), bec)
    assert plt.get_fignums() == []  # not made on the RunEngine's thread
    bec.refresh()
    assert len(bec.figure.axes[0].lines[0].get_xdata()) == 5


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a display-less X11 session")
def test_headless_terminal_falls_back_to_the_table_until_a_backend_is_chosen(tmp_path):
    script = textwrap.dedent("""
        import matplotlib.pyplot as plt
        from benchplan import RunEngine
        from benchplan.callbacks._best_effort import BestEffortCallback
        from benchplan.devices.sim import det, motor
        from benchplan.plans import scan
        RE, bec = RunEngine(), BestEffortCallback()
        RE(scan([det], motor, -1, 1, 3), bec)
        print("figures:", plt.get_fignums())
        import matplotlib
        matplotlib.use("Agg")  # a backend chosen on purpose: figures to save
        RE(scan([det], motor, -1, 1, 3), bec)
        print("then:", plt.get_fignums())
    """)
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND")}
    env["MPLCONFIGDIR"] = str(tmp_path)  # no user matplotlibrc choosing a backend
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=env, timeout=100)
    assert result.returncode == 0, result.stderr
    assert "figures: []" in result.stdout and "then: [1]" in result.stdout
    assert "seq_num" in result.stdout and "Transient Scan ID" in result.stdout


def test_plot_fields_resolves_a_motor_named_as_a_device():
    start = {"uid": "u", "motors": ["stage"]}
    descriptor = {
        "name": "primary",
        "data_keys": {f: {"dtype": "number", "shape": []}
                      for f in ("stage_x", "stage_x_setpoint", "sig", "label")},
        "object_keys": {"stage": ["stage_x", "stage_x_setpoint"], "d": ["sig", "label"]},
        "hints": {"stage": {"fields": ["stage_x"]}},
    }
    descriptor["data_keys"]["label"]["dtype"] = "string"
    assert plot_fields(start, descriptor) == ("stage_x", ["sig"])
