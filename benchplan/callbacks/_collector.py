"""DocumentCollector: keep every document, and find them again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from event_model import EventPage, unpack_event_page

__all__ = ["DocumentCollector"]


class DocumentCollector:
    """A callback that keeps every ``(name, doc)`` pair it is given, in order.

    Made for tests and notebooks: subscribe it, run plans, then look at what
    came out. Keeping a document costs one list append; the views below are
    computed when asked for. The documents are kept as given, not copied.

    Examples
    --------
    >>> from event_model import compose_run
    >>> collector = DocumentCollector()
    >>> run = compose_run(metadata={"plan_name": "count"})
    >>> collector("start", run.start_doc)
    >>> desc = run.compose_descriptor(
    ...     name="primary",
    ...     data_keys={"det": {"dtype": "number", "shape": [], "source": "sim"}},
    ... )
    >>> collector("descriptor", desc.descriptor_doc)
    >>> collector("event", desc.compose_event(data={"det": 1.5}, timestamps={"det": 0}))
    >>> collector("stop", run.compose_stop())
    >>> collector.names
    ['start', 'descriptor', 'event', 'stop']
    >>> collector.data("det")
    [1.5]
    >>> collector.stop["exit_status"]
    'success'
    """

    def __init__(self) -> None:
        #: Every ``(name, doc)`` pair, in the order they came.
        self.docs: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, name: str, doc: dict[str, Any]) -> None:
        self.docs.append((name, doc))

    def __len__(self) -> int:
        return len(self.docs)

    def __iter__(self) -> Iterator[tuple[str, dict[str, Any]]]:
        return iter(self.docs)

    def clear(self) -> None:
        """Forget every document."""
        self.docs.clear()

    @property
    def names(self) -> list[str]:
        """The document names, in order, e.g. ``['start', 'descriptor', ...]``."""
        return [name for name, _ in self.docs]

    def of_type(self, name: str) -> list[dict[str, Any]]:
        """Every document called ``name`` (``'resource'``, ``'datum'``, ...)."""
        return [doc for n, doc in self.docs if n == name]

    @property
    def starts(self) -> list[dict[str, Any]]:
        """Every start document."""
        return self.of_type("start")

    @property
    def stops(self) -> list[dict[str, Any]]:
        """Every stop document."""
        return self.of_type("stop")

    @property
    def descriptors(self) -> list[dict[str, Any]]:
        """Every descriptor document, of every stream."""
        return self.of_type("descriptor")

    @property
    def start(self) -> dict[str, Any]:
        """The start document, when exactly one run has started."""
        return self._only("start")

    @property
    def stop(self) -> dict[str, Any]:
        """The stop document, when exactly one run has stopped."""
        return self._only("stop")

    def _only(self, name: str) -> dict[str, Any]:
        found = self.of_type(name)
        if len(found) != 1:
            raise LookupError(
                f"DocumentCollector.{name} needs exactly one {name!r} document, "
                f"but it holds {len(found)}; use .{name}s for several runs."
            )
        return found[0]

    def events(self, stream: str = "primary", *, run: str | None = None) -> list[dict[str, Any]]:
        """The events of one stream, in order, event pages unpacked.

        Parameters
        ----------
        stream : str, optional
            The stream name (the descriptor's ``name``).
        run : str, optional
            Only the events of the run with this start uid; by default, the
            events of every run.
        """
        wanted = {
            doc["uid"]
            for doc in self.descriptors
            if doc.get("name") == stream and (run is None or doc["run_start"] == run)
        }
        events: list[dict[str, Any]] = []
        for name, doc in self.docs:
            if name == "event":
                if doc["descriptor"] in wanted:
                    events.append(doc)
            elif name == "event_page" and doc["descriptor"] in wanted:
                events.extend(unpack_event_page(cast(EventPage, doc)))
        return events

    def data(self, field: str, stream: str = "primary", *, run: str | None = None) -> list[Any]:
        """The values of one field, event by event (see :meth:`events`)."""
        return [event["data"][field] for event in self.events(stream, run=run)]
