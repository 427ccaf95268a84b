"""Fixtures for the RunEngine tests: a fresh RunEngine and a document collector."""

from __future__ import annotations

import time

import pytest

from benchplan import RunEngine
from benchplan.callbacks import DocumentCollector


def _settle(RE: RunEngine) -> None:
    """Leave the RunEngine idle, whatever the test did to it."""
    deadline = time.monotonic() + 5
    while RE.state != "idle" and time.monotonic() < deadline:
        state = RE.state
        try:
            if state == "paused":
                RE.halt()
            elif state in ("running", "suspending", "pausing", "panicked"):
                RE.halt()
        except Exception:
            pass
        time.sleep(0.01)


@pytest.fixture
def RE():
    """A RunEngine with the default settings, left idle after the test."""
    engine = RunEngine()
    yield engine
    _settle(engine)
    engine.clear_suspenders()
    if engine.state == "idle":
        engine.close()


@pytest.fixture
def docs(RE):
    """A DocumentCollector subscribed to ``RE``."""
    collector = DocumentCollector()
    RE.subscribe(collector)
    return collector
