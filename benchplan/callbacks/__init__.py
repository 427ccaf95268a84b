"""Document consumers: tables, progress bars, writers and collectors.

Each is a callable taking ``(name, doc)``, to pass to ``RE(plan, subs)`` or
``RE.subscribe``. They read event-model documents only, so they work as well
on documents from bluesky's RunEngine or read back from a file.
"""

from ._best_effort import BestEffortCallback
from ._collector import DocumentCollector
from ._jsonl import JSONLinesWriter
from ._plot import LivePlot
from ._progress import RunProgress
from ._table import LiveTable

__all__ = [
    "BestEffortCallback",
    "DocumentCollector",
    "JSONLinesWriter",
    "LivePlot",
    "LiveTable",
    "RunProgress",
]

for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
