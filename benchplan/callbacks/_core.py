"""Shared pieces of the document consumers.

Dispatch by document name is :class:`event_model.DocumentRouter`'s job; the
callbacks here subclass it where they need per-name methods. What
event-model does not offer is a light way to tell which run a document
belongs to *without* rewriting the documents: its ``RunRouter`` turns every
``event`` into an ``event_page`` and fills external data, which a writer that
must keep the documents as they came cannot use. :class:`RunIndex` is that
light way. :func:`hinted_fields` and :func:`field_names` choose table columns
the way bluesky's callbacks do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["RunIndex", "field_names", "hinted_fields", "run_label"]


def field_names(fields: Iterable[Any]) -> list[str]:
    """Turn a list of field names and devices into field names.

    A string is a field name. A device contributes the fields its
    ``hints['fields']`` names, or else its ``name``, as in bluesky.
    """
    names: list[str] = []
    for item in fields:
        if isinstance(item, str):
            names.append(item)
            continue
        hints = getattr(item, "hints", None)
        if isinstance(hints, Mapping) and "fields" in hints:
            names.extend(hints["fields"])
        else:
            name = getattr(item, "name", None)
            if not isinstance(name, str):
                raise TypeError(
                    f"Cannot make a table column from {item!r}: give a field "
                    "name (a str) or a device with a 'name' or hints['fields']."
                )
            names.append(name)
    return names


def hinted_fields(descriptor: Mapping[str, Any]) -> list[str]:
    """The fields a descriptor's devices hint at, device by device.

    A device with ``hints['fields']`` contributes those; a device without
    contributes all its fields (``object_keys``). A descriptor with neither
    hints nor ``object_keys`` (one not made by a RunEngine) contributes all
    its data keys.
    """
    object_keys = descriptor.get("object_keys") or {}
    hints = descriptor.get("hints") or {}
    if not object_keys:
        hinted = [f for obj in hints.values() for f in obj.get("fields", ())]
        return hinted or list(descriptor["data_keys"])
    columns: list[str] = []
    for obj_name, keys in object_keys.items():
        obj_hints = hints.get(obj_name)
        if isinstance(obj_hints, Mapping) and "fields" in obj_hints:
            columns.extend(obj_hints["fields"])
        else:
            columns.extend(keys)
    return columns


class RunIndex:
    """Which run each document belongs to.

    Feed it every document with :meth:`run_of`, which returns the uid of the
    run's start document, or ``None`` for a document of a run it never saw
    start. Call :meth:`forget` when a run has stopped to drop its entries.

    Examples
    --------
    >>> from event_model import compose_run
    >>> run = compose_run()
    >>> index = RunIndex()
    >>> index.run_of("start", run.start_doc) == run.start_doc["uid"]
    True
    """

    __slots__ = ("starts", "descriptors", "_run_of_key", "_keys_of_run")

    def __init__(self) -> None:
        #: Start documents of the runs now open, by uid.
        self.starts: dict[str, Mapping[str, Any]] = {}
        #: Descriptor documents of the runs now open, by uid.
        self.descriptors: dict[str, Mapping[str, Any]] = {}
        # descriptor, resource and stream-resource uids -> run uid
        self._run_of_key: dict[str, str] = {}
        self._keys_of_run: dict[str, list[str]] = {}

    def _remember(self, key: str, run: str | None) -> str | None:
        if run is None:
            return None
        keys = self._keys_of_run.get(run)
        if keys is None:
            return None
        self._run_of_key[key] = run
        keys.append(key)
        return run

    def run_of(self, name: str, doc: Mapping[str, Any]) -> str | None:
        """Register ``doc`` and return the uid of the run it belongs to."""
        if name == "event" or name == "event_page":
            return self._run_of_key.get(doc["descriptor"])
        if name == "datum" or name == "datum_page":
            return self._run_of_key.get(doc["resource"])
        if name == "stream_datum":
            return self._run_of_key.get(doc["stream_resource"])
        if name == "start":
            uid: str = doc["uid"]
            self.starts[uid] = doc
            self._keys_of_run[uid] = []
            return uid
        if name == "stop":
            stopped: str = doc["run_start"]
            return stopped if stopped in self.starts else None
        if name == "descriptor":
            owner = self._remember(doc["uid"], doc["run_start"])
            if owner is not None:
                self.descriptors[doc["uid"]] = doc
            return owner
        if name == "resource" or name == "stream_resource":
            run = doc.get("run_start")
            if run is None and len(self.starts) == 1:
                # Old resources do not name their run: with one run open,
                # it can only be that one.
                run = next(iter(self.starts))
            return self._remember(doc["uid"], run)
        return None

    def forget(self, run: str) -> None:
        """Drop everything known about the run whose start uid is ``run``."""
        self.starts.pop(run, None)
        for key in self._keys_of_run.pop(run, ()):
            self._run_of_key.pop(key, None)
            self.descriptors.pop(key, None)


def run_label(start: Mapping[str, Any]) -> str:
    """'scan #3', or the plan name alone, or the short uid of the run."""
    name = start.get("plan_name")
    scan_id = start.get("scan_id")
    if name and scan_id is not None:
        return f"{name} #{scan_id}"
    return str(name or f"run {start['uid'][:8]}")
