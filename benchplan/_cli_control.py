"""The remote-control subcommands of ``benchplan``: ps, pause, continue, abort, stop, halt,
status, console, run."""

from __future__ import annotations

import argparse
import os
import runpy
import sys
from typing import Any

from ._remote import RemoteControl
from .engine._endpoint import list_endpoints
from .errors import ControlError

__all__ = ["add_control_commands"]


def _client(args: argparse.Namespace) -> RemoteControl:
    return RemoteControl(args.id)


def _answer(result: dict) -> int:
    print(result.get("msg", ""))
    return 0 if result.get("success") else 1


def _ps(args: argparse.Namespace) -> int:
    rows = []
    for entry in list_endpoints():
        try:
            status = RemoteControl(entry["id"], timeout=2).status()
        except (ControlError, OSError, ValueError):
            continue
        rows.append(
            (
                entry["id"],
                str(entry["pid"]),
                entry.get("program", "?"),
                status.get("state") or "?",
                status.get("plan") or "-",
                (status.get("run_uid") or "-")[:8],
                status.get("breakpoint") or "-",
            )
        )
    header = ("ID", "PID", "PROGRAM", "STATE", "PLAN", "RUN", "BREAKPOINT")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0


def _status(args: argparse.Namespace) -> int:
    status = _client(args).status()
    for key in ("id", "pid", "kind", "state", "pause_pending", "plan", "run_uid", "breakpoint"):
        print(f"{key}: {status.get(key)}")
    return 0 if status.get("success") else 1


def _run(args: argparse.Namespace) -> int:
    from . import _script_control

    for pair in args.env:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            print(f"benchplan run: --env takes KEY=VALUE, not {pair!r}", file=sys.stderr)
            return 2
        os.environ[key] = value
    if args.timeout is not None:
        os.environ["BENCHPLAN_BREAKPOINT_TIMEOUT"] = str(args.timeout)
    if not os.path.exists(args.script):
        print(f"benchplan run: no such script: {args.script}", file=sys.stderr)
        return 2
    sys.argv = [args.script, *args.args]
    _script_control.script_endpoint()
    sys.breakpointhook = _script_control.breakpointhook
    sys.path.insert(0, os.path.dirname(os.path.abspath(args.script)))
    try:
        runpy.run_path(args.script, run_name="__main__")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def add_control_commands(sub: Any) -> dict:
    """Add the subcommands to an argparse subparsers object; return name -> handler."""
    sub.add_parser("ps", help="list the RunEngines and paused scripts of this user")
    p = sub.add_parser("pause", help="pause a running plan (deferred by default)")
    p.add_argument("id")
    p.add_argument("--immediate", action="store_true", help="pause now, not at the next checkpoint")
    p = sub.add_parser("continue", help="resume a paused plan or release a breakpoint")
    p.add_argument("id")
    p = sub.add_parser("abort", help="abort a plan (its cleanup runs)")
    p.add_argument("id")
    p.add_argument("--reason", default="", help="recorded in the stop document")
    for name, text in (("stop", "stop a plan, marking it successful"), ("halt", "halt a plan, skipping its cleanup")):
        sub.add_parser(name, help=text).add_argument("id")
    sub.add_parser("status", help="show the state of an endpoint").add_argument("id")
    sub.add_parser("console", help="open the console of an interactive breakpoint").add_argument("id")
    p = sub.add_parser("run", help="run a script with breakpoints and its control endpoint")
    p.add_argument("script")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")
    p.add_argument("--env", action="append", default=[], metavar="K=V", help="set an environment variable")
    p.add_argument("--timeout", type=float, default=None, help="breakpoint auto-resume seconds (0: never)")
    return {
        "ps": _ps,
        "pause": lambda a: _answer(_client(a).re_pause("immediate" if a.immediate else "deferred")),
        "continue": lambda a: _answer(_client(a).re_resume()),
        "abort": lambda a: _answer(_client(a).re_abort(a.reason)),
        "stop": lambda a: _answer(_client(a).re_stop()),
        "halt": lambda a: _answer(_client(a).re_halt()),
        "status": _status,
        "console": lambda a: (_client(a).console(), 0)[1],
        "run": _run,
    }
