"""Helpers for the document store tests: runs composed with event-model, and a JSON round trip."""

from __future__ import annotations

import json
from typing import Any, Optional

from event_model import compose_run


def json_copy(docs: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    """``(name, doc)`` pairs as they look after a trip through JSON (tuples become lists)."""
    return [(name, json.loads(json.dumps(doc, default=lambda o: o.tolist()))) for name, doc in docs]


def make_run(
    *,
    plan_name: str = "count",
    scan_id: Optional[int] = 1,
    num: int = 3,
    exit_status: Optional[str] = "success",
    start_time: Optional[float] = None,
    streams: tuple = ("primary",),
    **md: Any,
) -> list[tuple[str, dict]]:
    """The documents of one run: start, a descriptor per stream, ``num`` events each, stop.

    ``exit_status=None`` leaves the stop document out (an incomplete run).
    """
    metadata: dict[str, Any] = {"plan_name": plan_name, **md}
    if scan_id is not None:
        metadata["scan_id"] = scan_id
    run = compose_run(metadata=metadata, time=start_time)
    docs: list[tuple[str, dict]] = [("start", run.start_doc)]
    bundles = []
    for stream in streams:
        bundle = run.compose_descriptor(
            name=stream,
            data_keys={
                "x": {"dtype": "number", "shape": [], "source": "sim"},
                "label": {"dtype": "string", "shape": [], "source": "sim"},
            },
        )
        docs.append(("descriptor", bundle.descriptor_doc))
        bundles.append(bundle)
    for bundle in bundles:
        for i in range(1, num + 1):
            event = bundle.compose_event(
                data={"x": i * 1.5, "label": f"p{i}"}, timestamps={"x": 1.0 * i, "label": 1.0 * i}
            )
            docs.append(("event", event))
    if exit_status is not None:
        docs.append(("stop", run.compose_stop(exit_status=exit_status)))
    return docs


def feed(store: Any, docs: list[tuple[str, dict]]) -> None:
    for name, doc in docs:
        store(name, doc)
