"""Fixtures for the station tests: a simulated bench, station files pointing at it, and a
data folder per test (for the event log and the user-wide station files)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from benchplan.devices.simbench import SimBench


@pytest.fixture(scope="module")
def bench():
    with SimBench({"dp832": "DP832", "dmm": "34461A", "k2281s": "2281S"}) as bench:
        yield bench


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder, made the current folder, with an empty stations/ in it."""
    folder = tmp_path / "project"
    (folder / "stations").mkdir(parents=True)
    monkeypatch.chdir(folder)
    return folder


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


@pytest.fixture
def write_file():
    """``write_file(path, text)``: write dedented YAML, making folders; returns the path."""
    return write


@pytest.fixture
def station_file(project: Path, bench: SimBench) -> Path:
    """stations/bench-a.yaml: the DP832 as 'psu', its channel 2 as 'vbat', the DMM as 'dmm'."""
    return write(project / "stations" / "bench-a.yaml", f"""
        description: the test bench
        instruments:
          psu:
            driver: RigolDP832
            address: {bench.address("dp832")}
            options: {{poll_rate: 50}}
          vbat:
            driver: RigolDP832
            address: {bench.address("dp832")}
            channel: 2
          dmm:
            driver: Keysight34461A
            address: {bench.address("dmm")}
        """)
