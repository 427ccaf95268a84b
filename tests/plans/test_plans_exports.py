"""The public names of benchplan.plans and its submodules: sorted, homed, and shaped like bluesky's."""

import importlib
import inspect
import pathlib
import re

import pytest

PUBLIC = {
    "benchplan.plans": "bluesky.plans",
    "benchplan.plans.stubs": "bluesky.plan_stubs",
    "benchplan.plans.preprocessors": "bluesky.preprocessors",
    "benchplan.plans.patterns": "bluesky.plan_patterns",
}

REQUIRED = {
    "benchplan.plans": [
        "count", "scan", "rel_scan", "list_scan", "rel_list_scan", "list_grid_scan", "rel_list_grid_scan",
        "grid_scan", "rel_grid_scan", "scan_nd", "log_scan", "rel_log_scan", "ramp_plan", "adaptive_scan",
        "rel_adaptive_scan",
    ],
    "benchplan.plans.stubs": [
        "abs_set", "rel_set", "mv", "mvr", "rd", "locate", "trigger", "read", "trigger_and_read", "create",
        "save", "drop", "declare_stream", "sleep", "wait", "wait_for", "null", "checkpoint",
        "clear_checkpoint", "pause", "input_plan", "open_run", "close_run", "stage", "unstage", "stage_all",
        "unstage_all", "configure", "kickoff", "complete", "collect", "kickoff_all", "complete_all",
        "prepare", "monitor", "unmonitor", "subscribe", "unsubscribe", "install_suspender",
        "remove_suspender", "stop", "broadcast_msg", "repeater", "caching_repeater", "repeat", "one_shot",
        "one_1d_step", "one_nd_step", "move_per_step", "breakpoint",
    ],
    "benchplan.plans.preprocessors": [
        "plan_mutator", "msg_mutator", "pchain", "finalize_wrapper", "finalize_decorator",
        "contingency_wrapper", "run_wrapper", "run_decorator", "stage_wrapper", "stage_decorator",
        "lazily_stage_wrapper", "baseline_wrapper", "baseline_decorator", "suspend_wrapper",
        "suspend_decorator", "subs_wrapper", "subs_decorator", "monitor_during_wrapper",
        "monitor_during_decorator", "fly_during_wrapper", "relative_set_wrapper",
        "reset_positions_wrapper", "reset_positions_decorator", "inject_md_wrapper",
        "configure_count_time_wrapper", "rewindable_wrapper", "make_decorator", "SupplementalData",
    ],
}


@pytest.mark.parametrize("module_name", sorted(PUBLIC))
def test_all_is_sorted_and_complete(module_name):
    module = importlib.import_module(module_name)
    assert module.__all__ == sorted(module.__all__)
    public = {n for n, v in vars(module).items() if not n.startswith("_") and not inspect.ismodule(v)}
    assert public == set(module.__all__)


@pytest.mark.parametrize("module_name", sorted(PUBLIC))
def test_exported_names_say_they_live_in_public_module(module_name):
    module = importlib.import_module(module_name)
    for name in module.__all__:
        assert getattr(module, name).__module__ == module_name, name


@pytest.mark.parametrize("module_name", sorted(REQUIRED))
def test_required_names_are_exported(module_name):
    module = importlib.import_module(module_name)
    assert set(REQUIRED[module_name]) <= set(module.__all__)


def _parameters(func):
    target = func if isinstance(func, type) else inspect.unwrap(func)
    return [(p.name, p.kind, p.default) for p in inspect.signature(target).parameters.values()]


@pytest.mark.parametrize("module_name", sorted(PUBLIC))
def test_signatures_match_bluesky(module_name):
    ours = importlib.import_module(module_name)
    theirs = importlib.import_module(PUBLIC[module_name])
    shared = [n for n in ours.__all__ if callable(getattr(theirs, n, None)) and callable(getattr(ours, n))]
    assert shared
    mismatched = {n: (_parameters(getattr(ours, n)), _parameters(getattr(theirs, n)))
                  for n in shared if _parameters(getattr(ours, n)) != _parameters(getattr(theirs, n))}
    assert mismatched == {}


def test_plan_library_never_imports_bluesky_or_ophyd():
    package = pathlib.Path(importlib.import_module("benchplan.plans").__file__).parent
    pattern = re.compile(r"^\s*(import|from)\s+(bluesky|ophyd)\b", re.MULTILINE)
    for path in package.glob("*.py"):
        assert not pattern.search(path.read_text()), f"{path.name} imports bluesky or ophyd"


def test_public_functions_have_docstrings_with_examples():
    for module_name in REQUIRED:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            doc = getattr(module, name).__doc__ or ""
            assert "Examples" in doc, f"{module_name}.{name} has no example"
