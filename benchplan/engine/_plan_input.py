"""What RE(...) is given: the plan (turned into a generator) and the metadata checks."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Iterable

__all__ = ["default_md_validator", "default_scan_id_source", "ensure_generator", "plan_name"]


def default_scan_id_source(md: MutableMapping[str, Any]) -> int:
    """The next scan id: one more than ``md['scan_id']`` (0 if absent).

    A mapping with a ``next_scan_id(md)`` method (a persistent one shared by several
    processes) takes the next id itself, atomically.
    """
    take = getattr(md, "next_scan_id", None)
    if callable(take):
        return int(take(md))
    return int(md.get("scan_id", 0)) + 1


def default_md_validator(md: MutableMapping[str, Any]) -> None:
    """Refuse metadata keys the RunEngine sets itself."""
    for key in ("uid", "time"):
        if key in md:
            raise ValueError(
                f"Metadata key {key!r} is set by the RunEngine for each run; remove it from "
                "RE.md or from the keywords of RE(...)."
            )
    for key in md:
        if not isinstance(key, str):
            raise ValueError(f"Metadata keys must be strings, not {key!r}.")


def ensure_generator(plan: Any) -> Any:
    if hasattr(plan, "send") and hasattr(plan, "throw"):
        return plan
    if callable(plan) and not isinstance(plan, Iterable):
        raise TypeError(
            f"RE() was given {plan!r}, a callable, not a plan. Call it to make the plan: "
            "RE(my_plan(...)), not RE(my_plan)."
        )
    try:
        iterator = iter(plan)
    except TypeError:
        raise TypeError(
            f"RE() needs a plan (a generator or an iterable of messages), not a "
            f"{type(plan).__name__}: {plan!r:.80}"
        ) from None

    def from_iterable() -> Any:
        response = None
        for msg in iterator:
            response = yield msg
        return response

    return from_iterable()


def plan_name(plan: Any) -> str:
    return getattr(plan, "__qualname__", None) or getattr(plan, "__name__", None) or type(plan).__name__
