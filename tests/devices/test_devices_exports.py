"""Every public module's ``__all__`` is sorted, resolves, and hides private modules."""

import importlib
import inspect
import pkgutil

import pytest

import benchplan


def public_modules():
    names = ["benchplan"]
    for info in pkgutil.walk_packages(benchplan.__path__, "benchplan.", onerror=lambda name: None):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


MUST_EXPORT = ["benchplan.devices", "benchplan.devices.sim", "benchplan.protocols"]


def test_device_modules_are_found():
    assert set(MUST_EXPORT) <= set(public_modules())


@pytest.mark.parametrize("name", MUST_EXPORT)
def test_device_modules_declare_all(name):
    assert hasattr(importlib.import_module(name), "__all__")


@pytest.mark.parametrize("name", public_modules())
def test_all_is_sorted_unique_and_resolves(name):
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        pytest.skip(f"{name} has no __all__")
    assert list(exported) == sorted(set(exported)), f"{name}.__all__ is not sorted and unique"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what it lacks: {missing}"


@pytest.mark.parametrize("name", public_modules())
def test_exported_names_report_a_public_module(name):
    module = importlib.import_module(name)
    private = []
    for attr in getattr(module, "__all__", ()):
        obj = getattr(module, attr)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            owner = obj.__module__ or ""
            if owner.startswith("benchplan") and any(p.startswith("_") for p in owner.split(".")):
                private.append(f"{attr} ({owner})")
    assert not private, f"{name} re-exports names still claiming private modules: {private}"
