"""Settings for the whole test session: keep control endpoints, lock files and data in
temporary folders, so tests never touch the user's own, and subprocesses inherit them."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _benchplan_user_dirs(tmp_path_factory: pytest.TempPathFactory) -> None:
    base = tmp_path_factory.mktemp("benchplan-user")
    saved = {k: os.environ.get(k) for k in ("BENCHPLAN_RUNTIME_DIR", "BENCHPLAN_DATA_DIR")}
    os.environ["BENCHPLAN_RUNTIME_DIR"] = str(base / "runtime")
    os.environ["BENCHPLAN_DATA_DIR"] = str(base / "data")
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(autouse=True, scope="session")
def _no_default_store() -> None:
    """RunEngines made by tests keep no documents unless a test asks for a store;
    tests of the store itself set ``BENCHPLAN_STORE`` as they need."""
    saved = os.environ.get("BENCHPLAN_STORE")
    os.environ["BENCHPLAN_STORE"] = "off"
    yield
    if saved is None:
        os.environ.pop("BENCHPLAN_STORE", None)
    else:
        os.environ["BENCHPLAN_STORE"] = saved
