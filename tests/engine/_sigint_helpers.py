"""Shared by the real-process Ctrl+C tests (tests/engine/test_sigint_*.py).

The child script and the interactive session's set-up code live in
``tests/engine/scripts/``. The texts below are the issue's, written out here
rather than imported from the engine, so a change to what the user sees fails
these tests.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

SCRIPTS = Path(__file__).resolve().parent / "scripts"
CHILD_SCRIPT = SCRIPTS / "sigint_child.py"
SESSION_SETUP = SCRIPTS / "sigint_session.py"
PYTHON = sys.executable

#: What the first Ctrl+C prints while ``RE(...)`` runs.
DEFERRED_PAUSE_TEXT = (
    "A 'deferred pause' has been requested. The RunEngine will pause at the next "
    "checkpoint. To pause immediately, hit Ctrl+C again in the next 10 seconds."
)
#: What ``RunEngineInterrupted`` must list when a plan pauses.
PAUSE_OPTIONS = ("RE.resume()", "RE.abort()", "RE.stop()", "RE.halt()")
#: Seconds any one wait for a child's output may take.
TIMEOUT = 30


def child_env(tmp_path: Path) -> dict[str, str]:
    """The environment for a child: unbuffered, no user profile or history touched."""
    env = dict(os.environ)
    env.update(
        PYTHONUNBUFFERED="1",
        PYTHONIOENCODING="utf-8",
        IPYTHONDIR=str(tmp_path / "ipython"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
        TERM="dumb",
        NO_COLOR="1",
    )
    env.pop("PYTHONSTARTUP", None)
    return env


def load_result(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def streams_of(docs: list) -> dict[str, list[int]]:
    """Map each stream name to the seq_nums of its events, in emission order."""
    names: dict[str, str] = {}
    seq: dict[str, list[int]] = {}
    for name, doc in docs:
        if name == "descriptor":
            names[doc["uid"]] = doc["name"]
        elif name == "event":
            seq.setdefault(names[doc["descriptor"]], []).append(doc["seq_num"])
    return seq


def interruption_values(docs: list) -> list[str]:
    """The values of the 'interruptions' stream, in order."""
    names = {doc["uid"]: doc["name"] for name, doc in docs if name == "descriptor"}
    return [
        doc["data"]["interruptions"]
        for name, doc in docs
        if name == "event" and names[doc["descriptor"]] == "interruptions"
    ]


def assert_one_closed_run(docs: list, exit_status: str, *, primary: int | None = None) -> None:
    """One start, one stop for it with ``exit_status``, primary seq_nums 1..N without gaps."""
    starts = [doc for name, doc in docs if name == "start"]
    stops = [doc for name, doc in docs if name == "stop"]
    assert len(starts) == 1, f"expected one start document, got {len(starts)}"
    assert len(stops) == 1, f"expected one stop document, got {len(stops)}: {stops}"
    assert stops[0]["run_start"] == starts[0]["uid"]
    assert stops[0]["exit_status"] == exit_status, stops[0]
    seq = streams_of(docs).get("primary", [])
    assert seq == list(range(1, len(seq) + 1)), f"primary seq_nums have gaps or repeats: {seq}"
    if primary is not None:
        assert len(seq) == primary
    assert stops[0].get("num_events", {}).get("primary", 0) == len(seq)


def assert_summary_one_closed_run(summary: dict, exit_status: str) -> None:
    """The same checks on the ``SUMMARY`` an interactive session printed."""
    assert len(summary["starts"]) == 1, summary["starts"]
    assert len(summary["stops"]) == 1, summary["stops"]
    stop = summary["stops"][0]
    assert stop["run_start"] == summary["starts"][0]
    assert stop["exit_status"] == exit_status, stop
    seq = summary["streams"].get("primary", {"seq_nums": []})["seq_nums"]
    assert seq == list(range(1, len(seq) + 1)), f"primary seq_nums have gaps or repeats: {seq}"
    assert stop["num_events"].get("primary", 0) == len(seq)
    assert "panicked" not in summary["states"]
