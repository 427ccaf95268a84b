"""benchplan.engine's public names, and the kernel's layering."""

from __future__ import annotations

import subprocess
import sys

import benchplan
import benchplan.engine as engine
import benchplan.errors as errors


def test_engine_all_is_sorted_and_complete():
    assert engine.__all__ == sorted(engine.__all__)
    assert set(engine.__all__) == {
        "Msg", "NO_PLAN_RETURN", "RunEngine", "RunEngineResult", "SigintHandler", "State",
        "add_main_thread_hook", "remove_main_thread_hook"}
    for name in engine.__all__:
        assert hasattr(engine, name)


def test_engine_names_say_their_public_module():
    for name in ("Msg", "RunEngine", "RunEngineResult", "State"):
        assert getattr(engine, name).__module__ == "benchplan", name
    assert engine.SigintHandler.__module__ == "benchplan.engine"


def test_top_level_reexports_the_engine_and_its_errors():
    assert benchplan.RunEngine is engine.RunEngine
    assert benchplan.Msg is engine.Msg
    for name in ("RunEngineInterrupted", "TransitionError", "IllegalMessageSequence",
                 "InvalidCommand", "FailedPause", "FailedStatus", "WaitForTimeoutError",
                 "NoReplayAllowed", "ResourceInUse", "InstrumentError"):
        assert getattr(benchplan, name) is getattr(errors, name), name
    assert benchplan.__all__ == sorted(benchplan.__all__)


def test_errors_keep_bluesky_base_classes():
    assert issubclass(errors.InvalidCommand, KeyError)
    assert issubclass(errors.WaitForTimeoutError, TimeoutError)
    assert not issubclass(errors.RunEngineInterrupted, errors.BenchplanError)
    assert issubclass(errors.InvalidMessage, errors.BenchplanError)


def test_msg_is_a_namedtuple_with_bluesky_fields():
    msg = engine.Msg("set", "obj", 1, 2, run="r", group="g")
    assert msg._fields == ("command", "obj", "args", "kwargs", "run")
    assert msg == ("set", "obj", (1, 2), {"group": "g"}, "r")
    assert engine.Msg("null") == ("null", None, (), {}, None)
    assert "Msg('set'" in repr(msg)


def test_importing_the_engine_imports_no_plans_devices_suspenders_or_bluesky():
    code = (
        "import sys, benchplan.engine\n"
        "bad = [m for m in sys.modules if m.startswith(('benchplan.plans', "
        "'benchplan.devices', 'benchplan.suspenders', 'bluesky', 'ophyd'))]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_constructing_a_run_engine_starts_no_thread():
    code = (
        "import threading\n"
        "from benchplan import RunEngine\n"
        "before = threading.active_count()\n"
        "RE = RunEngine()\n"
        "after_init = threading.active_count()\n"
        "RE.loop\n"
        "print(before, after_init, threading.active_count())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    before, after_init, after_loop = map(int, out.stdout.split())
    assert after_init == before
    assert after_loop == before + 1
