"""``benchplan plot``: the figure made from a run's documents, and the PNG from the store."""

from __future__ import annotations

import argparse
import copy

import pytest

matplotlib = pytest.importorskip("matplotlib")
import matplotlib.image  # noqa: E402

from benchplan import RunEngine  # noqa: E402
from benchplan._cli_plot import add_plot_commands, render_run  # noqa: E402
from benchplan.callbacks import DocumentCollector  # noqa: E402
from benchplan.devices.sim import SimGaussianDetector, SimMotor  # noqa: E402
from benchplan.plans import count, scan  # noqa: E402
from benchplan.store import DocumentStore  # noqa: E402


@pytest.fixture(scope="module")
def RE():
    return RunEngine()


@pytest.fixture(scope="module")
def devices():
    motor = SimMotor("pm")
    return motor, SimGaussianDetector("pd", motor, "pm", center=0, Imax=1, sigma=1), \
        SimGaussianDetector("pe", motor, "pm", center=1, Imax=2, sigma=1)


@pytest.fixture(scope="module")
def scan_docs(RE, devices):
    motor, det, det2 = devices
    docs = DocumentCollector()
    RE(scan([det, det2], motor, -1, 1, 5), docs)
    return docs


def cli(argv):
    parser = argparse.ArgumentParser(prog="benchplan")
    handlers = add_plot_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return handlers[args.command](args)


def test_a_scan_is_drawn_against_its_motor_one_axes_per_hinted_detector(scan_docs):
    figure = render_run(scan_docs)
    top, bottom = figure.axes
    assert (top.get_ylabel(), bottom.get_ylabel(), bottom.get_xlabel()) == ("pd", "pe", "pm")
    assert list(top.lines[0].get_xdata()) == scan_docs.data("pm")
    assert list(bottom.lines[0].get_ydata()) == scan_docs.data("pe")
    start = scan_docs.start
    assert top.get_title() == f"scan {start['scan_id']}: scan  ({start['uid'][:8]})"


def test_labels_carry_units_from_the_data_keys(scan_docs):
    docs = copy.deepcopy(scan_docs.docs)
    for name, doc in docs:
        if name == "descriptor":
            doc["data_keys"]["pm"]["units"] = "mm"
            doc["data_keys"]["pd"]["units"] = "counts"
    figure = render_run(docs, y=["pd"])
    assert (figure.axes[0].get_xlabel(), figure.axes[0].get_ylabel()) == ("pm (mm)", "pd (counts)")


def test_x_and_y_can_be_chosen(scan_docs):
    figure = render_run(scan_docs, x="pe", y=["pd"])
    (ax,) = figure.axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("pe", "pd")
    assert list(ax.lines[0].get_xdata()) == scan_docs.data("pe")


def test_count_is_drawn_against_seconds_since_the_start(RE, devices):
    docs = DocumentCollector()
    RE(count([devices[1]], 3), docs)
    (ax,) = render_run(docs).axes
    assert ax.get_xlabel() == "time (s)" and len(ax.lines[0].get_xdata()) == 3


def test_an_aborted_run_says_so_in_the_title(scan_docs):
    docs = copy.deepcopy(scan_docs.docs)
    docs[-1][1]["exit_status"] = "abort"
    assert render_run(docs).axes[0].get_title().endswith("[abort]")


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"y": ["nope"]}, LookupError,
         "Cannot plot field 'nope': stream 'primary' has no such field. Its fields: "),
        ({"x": "nope"}, LookupError, "Cannot plot field 'nope'"),
        ({"stream": "baseline"}, LookupError,
         "Cannot plot stream 'baseline' .* Its streams: 'primary'"),
    ],
)
def test_bad_choices_name_what_there_is(scan_docs, kwargs, error, text):
    with pytest.raises(error, match=text):
        render_run(scan_docs, **kwargs)


def test_a_non_numeric_field_is_refused(scan_docs):
    docs = copy.deepcopy(scan_docs.docs)
    for name, doc in docs:
        if name == "descriptor":
            doc["data_keys"]["pd"]["dtype"] = "string"
    with pytest.raises(ValueError, match="Cannot plot field 'pd': its values are 'string'"):
        render_run(docs, y=["pd"])


def test_documents_without_a_start_are_refused():
    with pytest.raises(ValueError, match="they hold no 'start' document"):
        render_run([])


@pytest.fixture(scope="module")
def stored(RE, devices, tmp_path_factory):
    path = tmp_path_factory.mktemp("store") / "runs.sqlite"
    motor, det, _ = devices
    with DocumentStore(path) as store:
        (uid,) = RE(scan([det], motor, -1, 1, 7), store)
    return path, uid


def test_plot_writes_a_png_named_after_the_run(stored, tmp_path, monkeypatch, capsys):
    path, uid = stored
    monkeypatch.chdir(tmp_path)
    assert cli(["plot", uid[:6], "--store", str(path)]) == 0
    image = matplotlib.image.imread(tmp_path / f"{uid[:8]}.png")
    assert image.shape[0] > 100 and image.shape[1] > 100
    assert capsys.readouterr().out.strip() == f"Wrote {uid[:8]}.png"


def test_plot_of_the_last_run_to_a_chosen_file(stored, tmp_path):
    path, _ = stored
    out = tmp_path / "last.png"
    assert cli(["plot", "-1", "--store", str(path), "--y", "pd", "-o", str(out)]) == 0
    assert out.stat().st_size > 0


@pytest.mark.parametrize(
    ("argv", "text"),
    [
        (["plot", "zzzz"], "benchplan plot: No run in "),
        (["plot", "-1", "--y", "nope"], "benchplan plot: Cannot plot field 'nope'"),
    ],
)
def test_plot_errors_exit_1_with_the_reason(stored, argv, text, capsys):
    assert cli([*argv, "--store", str(stored[0])]) == 1
    assert text in capsys.readouterr().err


def test_plot_without_a_store_file_makes_none(tmp_path, capsys):
    missing = tmp_path / "none.sqlite"
    assert cli(["plot", "-1", "--store", str(missing)]) == 1
    assert "there is no document store at" in capsys.readouterr().err
    assert not missing.exists()
