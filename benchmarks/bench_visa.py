"""VISA layer overhead: queries through the session pool against raw pyvisa-py.

Run ``python benchmarks/bench_visa.py`` (``--quick`` for a short run). Both
paths talk to the same simulated instrument (benchplan's simulated bench, a
SCPI server on 127.0.0.1, run in a process of its own so it does not compete
for this one's GIL) through pyvisa-py sockets, each on its own connection,
their cases interleaved; the figures are medians of several
repeats. The "bluesky" column holds raw pyvisa-py here (bluesky has no
session layer), so the ratio is our overhead: the target is under 10 %.
The raw session gets TCP_NODELAY like ours, for a like-for-like figure; the
last row shows what raw pyvisa-py's default (Nagle's algorithm on) costs a
command followed by its error check. The script always exits 0.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
from typing import Iterator

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pyvisa  # noqa: E402
from _common import Figure, interleave, parse_args, print_header, print_table, print_timings  # noqa: E402

from benchplan.devices.instruments import RigolDP832  # noqa: E402
from benchplan.devices.visa import SessionPool  # noqa: E402

RAW = "raw pyvisa-py"


@contextlib.contextmanager
def simulated_supply() -> Iterator[str]:
    """Run a simulated DP832 in a subprocess; yield its VISA address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "benchplan.devices.simbench", "--port-base", str(port), "-i", "psu=DP832"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert server.stdout is not None
        lines = []
        for line in server.stdout:
            lines.append(line)
            if "ready" in line:
                break
        else:
            raise RuntimeError("the simulated bench did not start:\n" + "".join(lines))
        yield f"TCPIP0::127.0.0.1::{port}::SOCKET"
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    args = parse_args("Query throughput through benchplan's VISA pool vs raw pyvisa-py.", repeats=7)
    n = 500 if args.quick else 2000
    print_header("visa", args)
    os.environ.setdefault("BENCHPLAN_DATA_DIR", tempfile.mkdtemp(prefix="bench-visa-"))
    with simulated_supply() as address:
        rm = pyvisa.ResourceManager("@py")
        raw = rm.open_resource(address, read_termination="\n", write_termination="\n", timeout=2000)
        nagle = rm.open_resource(address, read_termination="\n", write_termination="\n", timeout=2000)
        raw.visalib.sessions[raw.session].interface.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pool = SessionPool("@py", timeout=2.0)
        transport = pool.open(address, holder="bench")
        psu = RigolDP832(address, name="psu", pool=pool)
        psu.ch1.voltage.put(5)

        def pool_idn() -> None:
            for _ in range(n):
                transport.query("*IDN?")

        def raw_idn() -> None:
            for _ in range(n):
                raw.query("*IDN?")

        def signal_get() -> None:
            for _ in range(n):
                psu.ch1.measured_voltage.get()

        def raw_get() -> None:
            for _ in range(n):
                float(raw.query(":MEAS:VOLT? CH1"))

        def signal_put() -> None:
            for _ in range(n // 4):
                psu.ch1.voltage.put(5)

        def raw_put() -> None:  # the same round trips: the command, then its error check
            for _ in range(n // 4):
                raw.write(":SOUR1:VOLT 5")
                raw.query("SYST:ERR?")

        def nagle_put() -> None:
            for _ in range(10):
                nagle.write(":SOUR1:VOLT 5")
                nagle.query("SYST:ERR?")

        times = interleave(
            {"pool query": pool_idn, f"{RAW} query": raw_idn,
             "signal get": signal_get, f"{RAW} get": raw_get,
             "signal put": signal_put, f"{RAW} put": raw_put, f"{RAW} put, Nagle on": nagle_put},
            repeats=args.repeats,
        )
        pool.close()
        raw.close()
        nagle.close()
    counts = {"signal put": n // 4, f"{RAW} put": n // 4, f"{RAW} put, Nagle on": 10}
    per = {name: t.scaled(1e6 / counts.get(name, n)) for name, t in times.items()}
    print_timings("visa", list(per.values()), unit="us per transaction")
    note = f"'bluesky' column: {RAW} on the same simulated instrument; ratio = our overhead"
    figures = [
        Figure("query *IDN? (transport)", per["pool query"].median, per[f"{RAW} query"].median,
               "us/query", target=("<= 1.10", 1.10), on_ratio=True, note=note),
        Figure("read a measurement (signal.get)", per["signal get"].median, per[f"{RAW} get"].median,
               "us/read", target=("<= 1.10", 1.10), on_ratio=True, note=note),
        Figure("checked set (signal.put + SYST:ERR?)", per["signal put"].median,
               per[f"{RAW} put"].median, "us/set", target=("<= 1.10", 1.10), on_ratio=True, note=note),
        Figure("checked set vs raw pyvisa-py defaults", per["signal put"].median,
               per[f"{RAW} put, Nagle on"].median, "us/set",
               note="raw pyvisa-py leaves Nagle's algorithm on for SOCKET resources: a command "
                    "then SYST:ERR? waits ~40 ms for a delayed ACK; the pool sets TCP_NODELAY"),
    ]
    for fig in figures:
        print(f"{fig.name}: {1e6 / fig.ours:,.0f}/s through benchplan, "
              f"{1e6 / fig.bluesky:,.0f}/s raw, ratio {fig.ratio:.3f}")
    print_table("visa", figures)


if __name__ == "__main__":
    main()
