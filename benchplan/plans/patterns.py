"""Trajectories of the standard scans (the ``plan_pattern`` of their start documents)."""

from ._patterns import (
    OuterProductArgsPattern,
    chunk_outer_product_args,
    classify_outer_product_args_pattern,
    inner_list_product,
    inner_product,
    outer_list_product,
    outer_product,
    snake_cyclers,
)

__all__ = [
    "OuterProductArgsPattern",
    "chunk_outer_product_args",
    "classify_outer_product_args_pattern",
    "inner_list_product",
    "inner_product",
    "outer_list_product",
    "outer_product",
    "snake_cyclers",
]

for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
