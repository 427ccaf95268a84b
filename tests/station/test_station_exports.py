"""benchplan.station re-exports its public names, sorted, under its own module name."""

from __future__ import annotations

import inspect
import signal

import benchplan.station as bs


def test_all_is_sorted_and_complete():
    assert bs.__all__ == sorted(bs.__all__)
    public = {n for n, obj in vars(bs).items() if not n.startswith("_") and not inspect.ismodule(obj)}
    assert public == set(bs.__all__)


def test_reexported_classes_and_functions_say_benchplan_station():
    for name in bs.__all__:
        obj = getattr(bs, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            # the errors may live in benchplan.errors; connect may be labelled benchplan's
            assert obj.__module__ in ("benchplan.station", "benchplan.errors", "benchplan"), name
            assert obj.__module__ != "benchplan" or name == "connect", name


def test_errors_are_benchplan_errors():
    from benchplan.errors import BenchplanError

    assert issubclass(bs.StationConfigError, bs.StationError)
    assert issubclass(bs.StationError, BenchplanError)
    assert issubclass(bs.StationConfigError, ValueError)


def test_the_sigterm_handler_is_installed_only_while_a_station_runs(station_file, data_dir):
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    with bs.connect("bench-a", data_dir=data_dir):
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
