"""The station subcommands of ``benchplan``: read and set a signal of an instrument that
another process holds and shares (``station.share()``)."""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

from ._remote import RemoteControl

__all__ = ["add_station_commands"]


def _format(value: Any) -> str:
    return f"{value:.12g}" if isinstance(value, float) else str(value)


def _refused(command: str, answer: dict) -> int:
    print(f"benchplan {command}: {answer.get('msg', 'refused')}", file=sys.stderr)
    return 1


def _read(args: argparse.Namespace) -> int:
    answer = RemoteControl(args.id).request("device_read", target=args.target)
    if not answer.get("success"):
        return _refused("read", answer)
    units = answer.get("units") or {}
    for key, reading in (answer.get("reading") or {}).items():
        unit = f" {units[key]}" if units.get(key) else ""
        print(f"{key} = {_format(reading.get('value'))}{unit}")
    return 0


def _set(args: argparse.Namespace) -> int:
    answer = RemoteControl(args.id).request(
        "device_set", target=args.target, value=args.value, text=True
    )
    if not answer.get("success"):
        return _refused("set", answer)
    print(answer.get("msg", ""))
    return 0


def add_station_commands(sub: Any) -> dict[str, Callable[[argparse.Namespace], int]]:
    """Add ``read`` and ``set`` to an argparse subparsers object; return name -> handler."""
    p = sub.add_parser(
        "read", help="read a signal (or device) of an instrument another process shares"
    )
    p.add_argument("id", help="the holder's endpoint id (see `benchplan ps`)")
    p.add_argument("target", metavar="DEVICE.SIGNAL", help="e.g. psu.ch1.measured_current, or psu")
    p = sub.add_parser("set", help="set a signal of an instrument another process shares")
    p.add_argument("id", help="the holder's endpoint id (see `benchplan ps`)")
    p.add_argument("target", metavar="DEVICE.SIGNAL", help="e.g. psu.ch1.voltage")
    p.add_argument("value", help="the value (a number, on/off, or text)")
    return {"read": _read, "set": _set}
