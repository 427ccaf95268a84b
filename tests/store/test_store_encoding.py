"""The JSON encoders of the store: the fast one writes what the careful one writes."""

from __future__ import annotations

import json
import logging
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from benchplan.store._encoding import batch_encoder, encode_for_queries, encoder

careful = encoder()
fast = batch_encoder()

scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=8)
)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=12,
)


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b and type(a) is type(b)


@settings(max_examples=300, deadline=None)
@given(data=st.dictionaries(st.text(max_size=6), values, max_size=4), name=st.sampled_from(["event", "datum"]))
def test_fast_encoder_writes_what_the_careful_one_writes(data, name):
    doc = {"uid": "u", "time": 1.5, "data": data, "timestamps": {k: 1.0 for k in data}, "seq_num": 1}
    assert _same(json.loads(fast(name, doc)), json.loads(careful(doc)))


def test_numpy_values_are_numbers_and_lists():
    doc = {"data": {"a": np.float32(1.5), "b": np.arange(3), "c": np.array([[1.0, np.inf]])},
           "timestamps": {"a": 1.0, "b": 1.0, "c": 1.0}}
    for text in (fast("event", doc), careful(doc)):
        loaded = json.loads(text)["data"]
        assert loaded["a"] == 1.5 and loaded["b"] == [0, 1, 2] and loaded["c"] == [[1.0, math.inf]]


def test_the_careful_encoder_writes_ascii():
    assert careful({"unit": "µA"}) == '{"unit":"\\u00b5A"}'


def test_an_unknown_object_becomes_its_repr_with_a_warning(caplog):
    class Thing:
        def __repr__(self) -> str:
            return "Thing()"

    with caplog.at_level(logging.WARNING, logger="benchplan.store"):
        assert json.loads(careful({"x": Thing()})) == {"x": "Thing()"}
    assert "cannot write a Thing as JSON" in caplog.text


def test_queries_get_strict_json_with_nan_as_null():
    assert json.loads(encode_for_queries({"a": math.nan, "b": [1.0, math.inf], "c": "x"})) == {
        "a": None, "b": [1.0, None], "c": "x"}
