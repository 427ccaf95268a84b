"""``benchplan plot UID``: draw a stored run to a PNG file.

The documents come from the document store (:func:`load_run`); the figure is
made from documents alone (:func:`render_run`), so any source of documents
-- a store, a JSON-lines file, a DocumentCollector -- can be drawn. The
figure is made without pyplot, so no GUI backend is ever involved.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from event_model import unpack_event_page

__all__ = ["add_plot_commands", "load_run", "render_run"]

Documents = Iterable[tuple[str, dict[str, Any]]]


def load_run(uid: str, store: str | os.PathLike[str] | None = None) -> list[tuple[str, dict]]:
    """Every ``(name, doc)`` of a stored run.

    Parameters
    ----------
    uid : str
        The run's uid, its first characters, or ``-1`` for the last run.
    store : path, optional
        The store file; by default the default document store.

    Raises
    ------
    LookupError
        No store file there, or no such run in it.
    """
    from .store import DocumentStore

    reader = DocumentStore(store)
    if not reader.path.exists():
        raise LookupError(
            f"Cannot read run {uid!r}: there is no document store at {os.fspath(reader.path)!r}. "
            "Runs are stored there by a RunEngine subscribed to a DocumentStore; give the "
            "file with --store PATH."
        )
    try:
        return reader.documents(uid)
    finally:
        reader.close()


def _one(docs: list[tuple[str, dict]], name: str) -> dict:
    found = [doc for n, doc in docs if n == name]
    if not found:
        raise ValueError(f"Cannot plot the documents: they hold no {name!r} document.")
    return found[0]


def _numeric(field: str, keys: dict[str, Any], stream: str) -> None:
    if field in ("time", "seq_num"):
        return
    if field not in keys:
        raise LookupError(
            f"Cannot plot field {field!r}: stream {stream!r} has no such field. "
            f"Its fields: {', '.join(keys) or 'none'}."
        )
    key = keys[field]
    if key.get("dtype") not in ("number", "integer") or key.get("shape"):
        raise ValueError(
            f"Cannot plot field {field!r}: its values are {key.get('dtype')!r} with shape "
            f"{key.get('shape')!r}, not single numbers. Choose a numeric field with --y/--x."
        )


def render_run(
    documents: Documents,
    *,
    x: str | None = None,
    y: Sequence[str] | None = None,
    stream: str = "primary",
) -> Any:
    """Draw one run's fields as a matplotlib Figure, one axes per y field.

    Parameters
    ----------
    documents : iterable of (name, doc)
        The documents of one run, start first.
    x : str, optional
        The field along the horizontal axis: by default the run's hinted
        dimension (the scanned motor; ``time`` for ``count``), else
        ``seq_num``. ``'time'`` is seconds since the run started.
    y : list of str, optional
        The fields to plot; by default the numeric fields the devices hint at.
    stream : str, optional
        The stream whose events are plotted.

    Returns
    -------
    matplotlib.figure.Figure
        Labelled with the field names (and units from the data keys) and
        titled with the plan, scan id and uid; save it with ``savefig``.

    Examples
    --------
    >>> from benchplan.callbacks import DocumentCollector
    >>> docs = DocumentCollector()
    >>> RE(scan([det], motor, -1, 1, 5), docs)  # doctest: +SKIP
    >>> render_run(docs).savefig("run.png")  # doctest: +SKIP
    """
    from .callbacks._best_effort import plot_fields
    from .callbacks._plot import field_label, require_matplotlib

    require_matplotlib("benchplan plot")
    from matplotlib.figure import Figure

    docs = list(documents)
    start = _one(docs, "start")
    descriptors = [d for n, d in docs if n == "descriptor" and d.get("name") == stream]
    if not descriptors:
        streams = sorted({d.get("name", "?") for n, d in docs if n == "descriptor"})
        raise LookupError(
            f"Cannot plot stream {stream!r} of run {start['uid']}: it has no such stream. "
            f"Its streams: {', '.join(map(repr, streams)) or 'none'}."
        )
    keys: dict[str, Any] = {}
    for desc in descriptors:
        keys.update(desc["data_keys"])
    hinted_x, hinted_y = plot_fields(start, descriptors[0])
    x = x or hinted_x or "seq_num"
    ys = list(y or [f for f in hinted_y if f != x])
    if not ys:
        raise ValueError(
            f"Cannot choose what to plot in run {start['uid']}: its devices hint at no numeric "
            f"field besides {x!r}. Name the fields with --y; the stream has "
            f"{', '.join(keys) or 'no fields'}."
        )
    for field in (x, *ys):
        _numeric(field, keys, stream)
    columns = _columns(docs, {d["uid"] for d in descriptors}, start["time"], [x, *ys])

    figure = Figure(figsize=(6.4, 1.6 + 2.4 * len(ys)), layout="constrained")
    axes = figure.subplots(len(ys), 1, sharex=True, squeeze=False)[:, 0]
    style = {"marker": "o"} if len(columns[x]) <= 50 else {}
    for field, ax in zip(ys, axes):
        points = [(a, b) for a, b in zip(columns[x], columns[field]) if a is not None and b is not None]
        ax.plot([a for a, _ in points], [b for _, b in points], **style)
        ax.set_ylabel(field_label(field, keys.get(field)))
        ax.grid(True, alpha=0.3)
    axes[-1].set_xlabel(field_label(x, keys.get(x)))
    stop = next((d for n, d in docs if n == "stop"), None)
    status = stop.get("exit_status", "success") if stop else "incomplete"
    title = f"scan {start.get('scan_id', '?')}: {start.get('plan_name', '?')}  ({start['uid'][:8]})"
    axes[0].set_title(title if status == "success" else f"{title}  [{status}]")
    return figure


def _columns(
    docs: list[tuple[str, dict]], descriptors: set[str], t0: float, fields: list[str]
) -> dict[str, list[Any]]:
    """Each field's values, event by event, ``None`` where an event lacks it."""
    columns: dict[str, list[Any]] = {f: [] for f in fields}
    for name, doc in docs:
        if name == "event_page" and doc["descriptor"] in descriptors:
            events: Iterable[dict] = unpack_event_page(doc)  # type: ignore[arg-type]
        elif name == "event" and doc["descriptor"] in descriptors:
            events = (doc,)
        else:
            continue
        for event in events:
            data = event["data"]
            for field in fields:
                if field in data:
                    columns[field].append(data[field])
                elif field == "time":
                    columns[field].append(event["time"] - t0)
                elif field == "seq_num":
                    columns[field].append(event["seq_num"])
                else:
                    columns[field].append(None)
    return columns


def _plot(args: argparse.Namespace) -> int:
    try:
        docs = load_run(args.uid, args.store)
        figure = render_run(docs, x=args.x, y=args.y, stream=args.stream)
        uid = _one(docs, "start")["uid"]
        path = Path(args.output or f"{uid[:8]}.png")
        figure.savefig(path, dpi=args.dpi)
    except (LookupError, ValueError, ImportError, OSError, sqlite3.Error) as exc:
        print(f"benchplan plot: {exc}", file=sys.stderr)
        return 1
    print(f"Wrote {path}")
    return 0


def add_plot_commands(sub: Any) -> dict[str, Callable[[argparse.Namespace], int]]:
    """Add ``plot`` to an argparse subparsers object; return name -> handler.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="benchplan")
    >>> handlers = add_plot_commands(parser.add_subparsers(dest="command"))
    >>> sorted(handlers)
    ['plot']
    """
    p = sub.add_parser(
        "plot", help="draw a stored run to a PNG file",
        description="Draw a run from the document store: the hinted detector fields against "
        "the scanned motor, unless --x/--y say otherwise.",
    )
    p.add_argument("uid", help="the run: its uid or first characters, or -1 for the last run")
    p.add_argument("--x", metavar="FIELD", help="field along x (default: the scanned motor)")
    p.add_argument("--y", metavar="FIELD", nargs="+", action="extend",
                   help="fields to plot (default: the hinted detector fields)")
    p.add_argument("--stream", default="primary", help="stream to plot (default: primary)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="image file to write (default: UID8.png in the current folder)")
    p.add_argument("--store", metavar="PATH", help="document store file (default: the default store)")
    p.add_argument("--dpi", type=float, default=100.0, help="resolution of the image (default 100)")
    return {"plot": _plot}
