"""benchplan.suspenders exports its names properly and keeps to the public RunEngine API."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import benchplan.suspenders as suspenders

PACKAGE = pathlib.Path(suspenders.__file__).parent

EXPECTED = {
    "Clock",
    "LoopClock",
    "ManualClock",
    "SuspendBoolHigh",
    "SuspendBoolLow",
    "SuspendCeil",
    "SuspendFloor",
    "SuspendWhenChanged",
    "SuspendWhenOutsideBand",
    "SuspenderBase",
}


def test_all_is_sorted_and_complete():
    assert suspenders.__all__ == sorted(suspenders.__all__)
    assert set(suspenders.__all__) == EXPECTED


def test_exported_names_say_their_public_module():
    for name in suspenders.__all__:
        assert getattr(suspenders, name).__module__ == "benchplan.suspenders", name


def test_public_names_only_in_the_package_namespace():
    public = {n for n in vars(suspenders) if not n.startswith("_")}
    assert public == EXPECTED


def test_the_engine_does_not_import_suspenders():
    code = (
        "import sys, benchplan, benchplan.engine; "
        "print([m for m in sys.modules if m.startswith('benchplan.suspenders')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_suspenders_touch_no_private_attribute_of_another_object():
    """Only ``self._x`` (and ``cls._x`` in class bodies): never ``RE._x`` or ``signal._x``."""
    offences = []
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not (
                node.attr.startswith("__") and node.attr.endswith("__")
            ):
                owner = node.value
                own = isinstance(owner, ast.Name) and owner.id in ("self", "SuspenderBase")
                own_type = (
                    isinstance(owner, ast.Call)
                    and isinstance(owner.func, ast.Name)
                    and owner.func.id == "type"
                    and isinstance(owner.args[0], ast.Name)
                    and owner.args[0].id == "self"
                )
                if not (own or own_type):
                    offences.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
    assert offences == []
