"""Where the store lives by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchplan.store._paths import data_dir, default_store_path, store_enabled


def test_data_dir_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("BENCHPLAN_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path
    assert default_store_path() == tmp_path / "documents.sqlite"


def test_data_dir_defaults_to_the_platform_user_data_dir(monkeypatch):
    monkeypatch.delenv("BENCHPLAN_DATA_DIR", raising=False)
    path = data_dir()
    assert path.is_absolute() and "benchplan" in path.parts


def test_benchplan_store_may_name_another_file(monkeypatch, tmp_path):
    monkeypatch.setenv("BENCHPLAN_STORE", str(tmp_path / "elsewhere.sqlite"))
    assert default_store_path() == tmp_path / "elsewhere.sqlite"
    assert store_enabled()


@pytest.mark.parametrize("value", ["off", "OFF", "0", "no", "false"])
def test_benchplan_store_turns_the_store_off(monkeypatch, value):
    monkeypatch.setenv("BENCHPLAN_STORE", value)
    assert not store_enabled()


@pytest.mark.parametrize("value", ["", "on", "1"])
def test_benchplan_store_on_keeps_the_default_path(monkeypatch, tmp_path, value):
    monkeypatch.setenv("BENCHPLAN_STORE", value)
    monkeypatch.setenv("BENCHPLAN_DATA_DIR", str(tmp_path))
    assert store_enabled()
    assert default_store_path() == Path(tmp_path) / "documents.sqlite"
