"""The ``benchplan`` command.

Subcommands
-----------
demo
    A scan of a simulated supply read by a simulated DMM, with a live table, a progress
    bar and a suspender that trips on an injected over-current.
sim
    Run the simulated SCPI bench as a process.
ps, pause, continue, abort, stop, halt, status, console
    Remote control of RunEngines and paused scripts of this user.
run
    Run a script with breakpoints and a control endpoint.
runs, show, export
    List the stored runs, show one as a table, export one to JSON lines or CSV.
plot
    Render a stored run to a PNG.
read, set
    Read or set a signal of an instrument that another process holds and shares.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable, Optional, Sequence

from ._version import __version__
from .errors import ControlError

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    from ._demo import run_demo

    return run_demo(points=args.points, delay=args.delay, bench=args.bench)


def _sim(args: argparse.Namespace, extra: Sequence[str]) -> int:
    from .devices.simbench import main as sim_main

    result = sim_main(list(extra))
    return int(result or 0)


def _parser() -> tuple[argparse.ArgumentParser, Any]:
    parser = argparse.ArgumentParser(
        prog="benchplan",
        description="benchplan: plans, a RunEngine and instruments for lab and test benches.",
    )
    parser.add_argument("--version", action="version", version=f"benchplan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser(
        "demo", help="scan a simulated supply; an injected over-current suspends the scan"
    )
    demo.add_argument("--points", type=int, default=11, help="number of points (default 11)")
    demo.add_argument(
        "--delay",
        type=float,
        default=0.1,
        help="seconds each step settles before it is read (default 0.1)",
    )
    demo.add_argument(
        "--bench",
        metavar="HOST:PORT",
        default=None,
        help="use the `benchplan sim` serving at HOST:PORT (its first port) instead of "
        "starting a bench",
    )
    sub.add_parser(
        "sim",
        help="run the simulated SCPI bench (see `benchplan sim --help`)",
        add_help=False,
    )
    return parser, sub


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the ``benchplan`` command with ``argv`` (default: ``sys.argv[1:]``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "sim":
        return _sim(argparse.Namespace(), argv[1:])
    from ._cli_control import add_control_commands
    from ._cli_data import add_data_commands
    from ._cli_plot import add_plot_commands
    from ._cli_station import add_station_commands

    parser, sub = _parser()
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {"demo": _demo}
    handlers.update(add_control_commands(sub))
    handlers.update(add_data_commands(sub))
    handlers.update(add_plot_commands(sub))
    handlers.update(add_station_commands(sub))
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return handlers[args.command](args)
    except ControlError as exc:
        print(f"benchplan {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
