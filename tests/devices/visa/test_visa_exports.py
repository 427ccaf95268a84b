"""benchplan.devices.visa re-exports its public names, sorted, under its own name."""

from __future__ import annotations

import benchplan.devices.visa as visa


def test_exports_are_sorted_and_present():
    assert visa.__all__ == sorted(visa.__all__)
    assert all(hasattr(visa, name) for name in visa.__all__)


def test_exported_classes_and_functions_name_the_public_module():
    for name in visa.__all__:
        obj = getattr(visa, name)
        if callable(obj):
            assert obj.__module__ == "benchplan.devices.visa", name
