"""The documentation builds without a warning, its examples run, and it covers the API and CLI.

Each build runs ``sphinx-build`` in a subprocess, as CI and a developer would, into a
temporary folder, so nothing is written into ``docs/``.
"""

from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

pytest.importorskip("sphinx", reason="the docs extra (sphinx, numpydoc) is not installed")
pytest.importorskip("numpydoc", reason="the docs extra (sphinx, numpydoc) is not installed")

pytestmark = pytest.mark.slow

DOCS = Path(__file__).resolve().parents[2] / "docs"

#: The public modules whose ``__all__`` classes and functions the API reference must document.
PUBLIC_MODULES = (
    "benchplan",
    "benchplan.errors",
    "benchplan.plans",
    "benchplan.plans.stubs",
    "benchplan.plans.preprocessors",
    "benchplan.plans.patterns",
    "benchplan.devices",
    "benchplan.devices.sim",
    "benchplan.protocols",
    "benchplan.callbacks",
    "benchplan.suspenders",
    "benchplan.devices.instruments",
    "benchplan.devices.visa",
    "benchplan.devices.simbench",
    "benchplan.station",
    "benchplan.store",
    "benchplan.testing",
)


def sphinx_build(builder: str, out: Path) -> subprocess.CompletedProcess:
    """Run ``sphinx-build -W --keep-going -b BUILDER docs OUT``; doctrees go under ``out``."""
    return subprocess.run(
        [
            sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q",
            "-b", builder, "-d", str(out / ".doctrees"), str(DOCS), str(out),
        ],
        capture_output=True,
        text=True,
        timeout=110,
    )


@pytest.fixture(scope="module")
def html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs-html")
    result = sphinx_build("html", out)
    assert result.returncode == 0, f"sphinx-build -W -b html failed:\n{result.stderr}"
    return out


def inventory_names(path: Path) -> set[str]:
    """The Python object names in a Sphinx ``objects.inv`` (format version 2)."""
    with path.open("rb") as f:
        header = [f.readline() for _ in range(4)]
        body = zlib.decompress(f.read()).decode()
    assert header[0].startswith(b"# Sphinx inventory version 2"), header[0]
    names = set()
    for line in body.splitlines():
        name, role = line.split(" ", 2)[:2]
        if role.startswith("py:"):
            names.add(name)
    return names


def test_html_build_has_no_warnings(html: Path) -> None:
    for page in ("index", "tutorial/getting-started", "tutorial/pausing", "cli",
                 "explanation/architecture", "explanation/bluesky", "how-to/index"):
        assert (html / f"{page}.html").is_file(), page


def test_docs_examples_run_and_give_the_output_shown(tmp_path: Path) -> None:
    result = sphinx_build("doctest", tmp_path)
    report = (tmp_path / "output.txt").read_text() if (tmp_path / "output.txt").exists() else ""
    assert result.returncode == 0, f"sphinx-build -b doctest failed:\n{result.stderr}\n{report}"
    summary = report.rsplit("Doctest summary", 1)[-1]
    assert re.search(r"^\s+0 failures in tests$", summary, flags=re.MULTILINE), report
    tests = int(re.search(r"^\s+(\d+) tests$", summary, flags=re.MULTILINE).group(1))
    assert tests >= 50, f"only {tests} doctests ran; were pages or examples dropped?\n{report}"


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_api_reference_documents_every_public_class_and_function(html: Path, module_name: str) -> None:
    documented = inventory_names(html / "objects.inv")
    module = importlib.import_module(module_name)
    missing = []
    for name in module.__all__:
        obj = getattr(module, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        full = f"{obj.__module__}.{obj.__qualname__}"
        if full not in documented:
            missing.append(f"{module_name}.{name} (documented as {full})")
    assert not missing, (
        "not in the API reference (docs/reference/*.rst), or its __module__ is not "
        f"the public module: {', '.join(missing)}"
    )


def test_cli_page_describes_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    from benchplan.cli import main

    with pytest.raises(SystemExit):
        main(["--help"])
    listing = capsys.readouterr().out.split("positional arguments:", 1)[1]
    commands = re.findall(r"^    (\w+)  ", listing, flags=re.MULTILINE)
    assert {"demo", "sim"} <= set(commands), listing
    page = (DOCS / "cli.rst").read_text()
    missing = [name for name in commands if f"benchplan {name}" not in page]
    assert not missing, f"docs/cli.rst does not describe: {', '.join(missing)}"
