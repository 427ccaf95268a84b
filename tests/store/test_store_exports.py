"""benchplan.store exports its public names, sorted, as its own."""

from __future__ import annotations

import inspect

import benchplan.store as store


def test_all_is_sorted_and_complete():
    assert store.__all__ == sorted(store.__all__)
    public = {
        name
        for name, value in vars(store).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert public == set(store.__all__)


def test_exported_names_belong_to_the_public_module():
    for name in store.__all__:
        assert getattr(store, name).__module__ == "benchplan.store", name


def test_exported_names_are_documented_with_an_example():
    for name in store.__all__:
        doc = inspect.getdoc(getattr(store, name))
        assert doc and "Examples" in doc, name
