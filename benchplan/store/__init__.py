"""Keep every document in an embedded SQLite store, and find runs again.

:class:`DocumentStore` is a subscriber that writes each document as it is
emitted to one SQLite file (by default ``documents.sqlite`` in the data
folder), safely shared by threads and processes, and reads runs back:
summaries, documents, replay, JSON-lines and CSV export.
:class:`PersistentMetadata` keeps ``RE.md`` -- and so ``scan_id`` -- in the
same file, across sessions and processes.
"""

from ._metadata import PersistentMetadata
from ._reader import RunSummary, StoreReader, parse_time
from ._sqlite import DocumentStore, default_store

__all__ = [
    "DocumentStore",
    "PersistentMetadata",
    "RunSummary",
    "StoreReader",
    "default_store",
    "parse_time",
]

for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
