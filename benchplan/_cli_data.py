"""The data subcommands of ``benchplan``: runs, show, export."""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from .store import DocumentStore
from .store._paths import default_store_path

__all__ = ["add_data_commands"]

_CELL = 24  # widest value shown in a table cell


def _open_store(args: argparse.Namespace) -> DocumentStore:
    path = Path(args.store).expanduser() if args.store else default_store_path()
    if not path.is_file():
        where = "--store" if args.store else "the default store"
        raise FileNotFoundError(
            f"There is no document store at {os.fspath(path)!r} ({where}): runs are stored "
            "there once a RunEngine has run a plan. Give the file with --store PATH."
        )
    return DocumentStore(path)


def _when(timestamp: Optional[float], *, precise: bool = False) -> str:
    if timestamp is None:
        return "-"
    moment = _dt.datetime.fromtimestamp(timestamp)
    return moment.strftime("%H:%M:%S.%f")[:-3] if precise else moment.strftime("%Y-%m-%d %H:%M:%S")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, (list, dict)):
        text = json.dumps(value)
    else:
        text = str(value)
    return text if len(text) <= _CELL else text[: _CELL - 3] + "..."


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], *, right: Sequence[int] = ()) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths))
        ]
        print("  ".join(cells).rstrip())


def _runs(args: argparse.Namespace) -> int:
    store = _open_store(args)
    runs = store.runs(plan_name=args.plan, exit_status=args.status, since=args.since,
                      limit=args.limit)
    if not runs:
        print(f"No runs in {os.fspath(store.path)} match.")
        return 0
    rows = [
        (run.uid[:8], "-" if run.scan_id is None else str(run.scan_id), run.plan_name or "-",
         _when(run.time), run.exit_status, str(run.num_events))
        for run in runs
    ]
    _table(("UID", "SCAN", "PLAN", "START", "STATUS", "EVENTS"), rows, right=(1, 5))
    return 0


def _show(args: argparse.Namespace) -> int:
    store = _open_store(args)
    run = store.run(args.uid)
    streams = ", ".join(f"{name} ({n})" for name, n in run.streams.items()) or "none"
    print(f"run {run.uid}  scan {run.scan_id}  {run.plan_name or '-'}  {_when(run.time)}  "
          f"{run.exit_status}{': ' + run.reason if run.reason else ''}")
    print(f"streams: {streams}")
    descriptors = store.descriptors(run.uid, args.stream)
    if not descriptors:
        if not run.streams:
            print("The run has no events.")
            return 0
        print(f"benchplan show: run {run.uid} has no stream {args.stream!r}; its streams: "
              f"{', '.join(run.streams)}. Show one with --stream NAME.", file=sys.stderr)
        return 1
    fields: dict[str, None] = {}
    for desc in descriptors:
        fields.update(dict.fromkeys(desc.get("data_keys", {})))
    rows = [
        (str(event["seq_num"]), _when(event["time"], precise=True),
         *(_cell(event["data"].get(field, "")) for field in fields))
        for event in store.events(run.uid, args.stream)
    ]
    print()
    _table(("seq_num", "time", *fields), rows, right=(0, *range(2, 2 + len(fields))))
    return 0


def _export(args: argparse.Namespace) -> int:
    store = _open_store(args)
    uid = store.resolve(args.uid)
    fmt = args.format or ("csv" if args.output and args.output.endswith(".csv") else "jsonl")
    out = args.output if args.output and args.output != "-" else sys.stdout
    if fmt == "csv":
        count = store.export_csv(uid, out, stream=args.stream)
        what = f"{count} events of stream {args.stream!r}"
    else:
        count = store.export_jsonl(uid, out)
        what = f"{count} documents"
    if out is not sys.stdout:
        print(f"Wrote {what} of run {uid} to {args.output}.", file=sys.stderr)
    return 0


def _guarded(command: str, handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except (LookupError, FileNotFoundError, ValueError, TypeError, sqlite3.Error) as exc:
            print(f"benchplan {command}: {exc}", file=sys.stderr)
            return 1

    return run


def add_data_commands(sub: Any) -> dict:
    """Add the subcommands to an argparse subparsers object; return name -> handler.

    Examples
    --------
    >>> import argparse
    >>> from benchplan._cli_data import add_data_commands
    >>> parser = argparse.ArgumentParser(prog="benchplan")
    >>> handlers = add_data_commands(parser.add_subparsers(dest="command"))
    >>> sorted(handlers)
    ['export', 'runs', 'show']
    """
    store_help = "the document store file (default: documents.sqlite in the data folder)"
    p = sub.add_parser("runs", help="list the runs in the document store")
    p.add_argument("--plan", help="only runs of this plan")
    p.add_argument("--status", choices=("success", "abort", "fail", "incomplete"),
                   help="only runs that ended so ('incomplete': no stop document)")
    p.add_argument("--since", help="only runs started since: 2024-05-01, '2024-05-01 14:30', "
                   "today, yesterday, or an age such as 2h, 3d")
    p.add_argument("--limit", type=int, default=20, help="show the last N runs (default 20)")
    p.add_argument("--store", help=store_help)
    p = sub.add_parser("show", help="show the events of a run as a table")
    p.add_argument("uid", help="a run: its uid, the first characters of it, or -1 for the last run")
    p.add_argument("--stream", default="primary", help="the stream to show (default primary)")
    p.add_argument("--store", help=store_help)
    p = sub.add_parser("export", help="write a run as JSON lines or CSV")
    p.add_argument("uid", help="a run: its uid, the first characters of it, or -1 for the last run")
    p.add_argument("--format", choices=("jsonl", "csv"),
                   help="jsonl: every document (default); csv: the events of one stream")
    p.add_argument("-o", "--output", help="the file to write (default: standard output)")
    p.add_argument("--stream", default="primary", help="the stream for CSV (default primary)")
    p.add_argument("--store", help=store_help)
    return {
        "runs": _guarded("runs", _runs),
        "show": _guarded("show", _show),
        "export": _guarded("export", _export),
    }
