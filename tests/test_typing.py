"""``mypy`` passes, strict, on ``benchplan.engine`` and ``benchplan.devices`` (STYLE.md:
"mypy in CI, strict for engine/ and devices/"), using the [mypy*] sections of setup.cfg."""

from __future__ import annotations

import configparser
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETUP_CFG = ROOT / "setup.cfg"
STRICT_PACKAGES = ("benchplan.engine", "benchplan.devices")
#: the per-module options that ``mypy --strict`` turns on (warn_redundant_casts is global-only)
STRICT_OPTIONS = (
    "disallow_any_generics",
    "disallow_subclassing_any",
    "disallow_untyped_calls",
    "disallow_untyped_defs",
    "disallow_incomplete_defs",
    "check_untyped_defs",
    "disallow_untyped_decorators",
    "warn_unused_ignores",
    "warn_return_any",
    "no_implicit_reexport",
    "strict_equality",
    "extra_checks",
)

needs_mypy = pytest.mark.skipif(
    importlib.util.find_spec("mypy") is None, reason="mypy is not installed (test extra)"
)


def test_setup_cfg_makes_the_engine_and_devices_strict():
    config = configparser.ConfigParser()
    config.read(SETUP_CFG)
    assert config.getboolean("mypy", "warn_redundant_casts")
    for package in STRICT_PACKAGES:
        section = f"mypy-{package}.*"
        assert config.has_section(section), f"setup.cfg has no [{section}] section"
        off = [opt for opt in STRICT_OPTIONS if not config.getboolean(section, opt, fallback=False)]
        assert not off, f"[{section}] in setup.cfg does not turn on {', '.join(off)}"


@pytest.mark.slow
@needs_mypy
def test_mypy_strict_passes_on_the_engine_and_devices(tmp_path):
    paths = [package.replace(".", "/") for package in STRICT_PACKAGES]
    result = subprocess.run(
        [
            sys.executable, "-m", "mypy",
            "--config-file", str(SETUP_CFG),
            "--cache-dir", str(tmp_path / "mypy_cache"),
            *paths,
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=110,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, f"mypy found type errors:\n{report}"
    assert "Success: no issues found" in result.stdout, report
