"""``benchplan sim``: run the simulated bench as a process until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Sequence

from ._bench import MODELS
from ._simbench import DEFAULT_INSTRUMENTS, SimBench

__all__ = ["main"]


def _report(text: str, *, error: bool = False) -> None:
    """Show ``text`` to the user at the terminal (the one place this module prints)."""
    print(text, file=sys.stderr if error else sys.stdout, flush=True)


def _instrument(text: str) -> tuple[str, str]:
    name, sep, model = text.partition("=")
    if not (sep and name and model.upper() in MODELS):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not NAME=MODEL with MODEL one of {', '.join(MODELS)}"
        )
    return name, model.upper()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="benchplan sim",
        description="Serve simulated SCPI instruments on 127.0.0.1, one TCP port each, "
        "until Ctrl+C or SIGTERM.",
    )
    p.add_argument("--port-base", type=int, default=5025,
                   help="port of the first instrument, the next ones follow (0: free ports; default 5025)")
    p.add_argument("--latency", type=float, default=0.0, help="seconds each reply is delayed (default 0)")
    p.add_argument("--single-client", action="store_true",
                   help="serve one connection per instrument at a time")
    p.add_argument("--noise", type=float, default=0.0,
                   help="DMM noise, relative standard deviation (default 0)")
    p.add_argument("--seed", type=int, default=0, help="seed of the DMM noise (default 0)")
    p.add_argument("--load", type=float, default=10.0, help="load on every supply output, ohms (default 10)")
    p.add_argument("--instrument", "-i", action="append", type=_instrument, metavar="NAME=MODEL",
                   help="an instrument to serve (repeatable; default: "
                   + ", ".join(f"{n}={m}" for n, m in DEFAULT_INSTRUMENTS.items()) + ")")
    return p  # fmt: skip


async def _serve(bench: SimBench) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await bench.start_async()
        width = max(map(len, bench.names))
        for name in bench.names:
            model = bench.instrument(name).model
            _report(f"{name:<{width}}  {model:<10}  {bench.address(name)}")
        _report("simulated bench ready; Ctrl+C to stop")
        await stop.wait()
    finally:
        await bench.stop_async()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    _report("simulated bench stopped")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the simulated bench until SIGINT or SIGTERM; return the exit status.

    Prints one line per instrument, ``name  model  address``, then serves.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (``sys.argv[1:]`` by default): ``--port-base``,
        ``--latency``, ``--single-client``, ``--noise``, ``--seed``,
        ``--load``, ``--instrument NAME=MODEL``.

    Examples
    --------
    From a shell: ``benchplan sim --port-base 5025`` (or
    ``python -m benchplan.devices.simbench``), then open
    ``TCPIP0::127.0.0.1::5025::SOCKET`` with pyvisa-py.
    """
    args = _parser().parse_args(argv)
    try:
        bench = SimBench(
            dict(args.instrument) if args.instrument else None,
            port_base=args.port_base,
            latency=args.latency,
            single_client=args.single_client,
            load=args.load,
            noise=args.noise,
            seed=args.seed,
        )
        asyncio.run(_serve(bench))
    except (OSError, ValueError) as exc:
        _report(f"benchplan sim: {exc}", error=True)
        return 1
    return 0
