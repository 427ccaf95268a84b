"""benchplan.callbacks exports its public names, sorted, as its own."""

from __future__ import annotations

import inspect

import benchplan.callbacks as callbacks


def test_all_is_sorted_and_complete():
    assert callbacks.__all__ == sorted(callbacks.__all__)
    public = {
        name
        for name, value in vars(callbacks).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert public == set(callbacks.__all__)


def test_exported_names_belong_to_the_public_module():
    for name in callbacks.__all__:
        assert getattr(callbacks, name).__module__ == "benchplan.callbacks", name


def test_exported_names_are_documented_with_an_example():
    for name in callbacks.__all__:
        doc = inspect.getdoc(getattr(callbacks, name))
        assert doc and "Examples" in doc, name
