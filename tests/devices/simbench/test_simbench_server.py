"""SimBench lifecycle, ports, asyncio mode and the `benchplan sim` process."""

import asyncio
import os
import signal
import socket
import subprocess
import sys

import pytest
import pyvisa

import benchplan.devices.simbench as simbench
from benchplan.devices.simbench import SimBench, main


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_exports_are_sorted_and_public():
    assert simbench.__all__ == sorted(simbench.__all__)
    for name in simbench.__all__:
        obj = getattr(simbench, name)
        if callable(obj):
            assert obj.__module__ == "benchplan.devices.simbench", name


def test_address_before_start_says_how_to_start():
    bench = SimBench({"psu": "DP832"})
    with pytest.raises(RuntimeError, match=r"address of 'psu': the simulated bench is not running; call start\(\)"):
        bench.address("psu")


def test_unknown_names_and_models_are_reported():
    with pytest.raises(ValueError, match=r"unknown model 'HP3478A'; the simulated bench has DP832, "):
        SimBench({"x": "HP3478A"})
    with pytest.raises(ValueError, match=r"port_base=70000"):
        SimBench(port_base=70000)
    with pytest.raises(ValueError, match=r"latency=-1 s, load=10.0 ohm, noise=0.0: each must be >= 0"):
        SimBench(latency=-1)
    with pytest.raises(KeyError, match=r"no instrument 'dmm'; it has psu"):
        SimBench({"psu": "DP832"}).address("dmm")


def test_start_twice_fails_and_stop_then_start_serves_again():
    bench = SimBench({"psu": "DP832"})
    bench.start()
    try:
        with pytest.raises(RuntimeError, match=r"already running at psu=\d+; stop\(\) it first"):
            bench.start()
    finally:
        bench.stop()
    bench.stop()  # stopping a stopped bench is harmless
    assert not bench.running
    with bench:
        with socket.create_connection(("127.0.0.1", bench.port("psu"))) as s:
            s.sendall(b"*OPC?\n")
            assert s.recv(100) == b"1\n"


def test_port_base_assigns_consecutive_ports_and_reports_a_busy_one():
    base = free_port()
    with SimBench({"a": "DP832", "b": "34461A"}, port_base=base) as bench:
        assert [bench.port("a"), bench.port("b")] == [base, base + 1]
        clash = SimBench({"c": "DP832"}, port_base=base)
        with pytest.raises(OSError, match=rf"port {base} for 'c' on 127.0.0.1 is not free"):
            clash.start()
        assert not clash.running


def test_stop_closes_client_connections():
    with SimBench({"psu": "DP832"}) as bench:
        s = socket.create_connection(("127.0.0.1", bench.port("psu")))
    with s, pytest.raises(ConnectionError):
        s.sendall(b"*IDN?\n")
        if s.recv(100) == b"":
            raise ConnectionResetError("closed")


async def test_async_start_serves_from_the_running_loop():
    async with SimBench({"psu": "E36312A"}) as bench:
        reader, writer = await asyncio.open_connection("127.0.0.1", bench.port("psu"))
        writer.write(b"VOLT 1.5,(@2);VOLT? (@2)\r\n")
        assert await reader.readline() == b"+1.50000000E+00\n"
        writer.close()
        await writer.wait_closed()
    assert not bench.running


def test_send_runs_a_message_without_tcp():
    bench = SimBench({"psu": "DP832"})
    assert bench.send("psu", ":APPL CH1,1,1;:APPL? CH1") == "CH1,1.000,1.0000"
    assert bench.instrument("psu").channel(1).vset == 1.0


def test_main_reports_a_busy_port(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        assert main(["--port-base", str(s.getsockname()[1]), "-i", "psu=DP832"]) == 1
    assert "is not free" in capsys.readouterr().err


def test_main_rejects_an_unknown_model(capsys):
    with pytest.raises(SystemExit):
        main(["-i", "psu=HP3478A"])
    assert "'psu=HP3478A' is not NAME=MODEL with MODEL one of DP832" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_process_prints_addresses_serves_and_stops_on_signal(sig):
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchplan.devices.simbench", "--port-base", "0", "-i", "psu=DP832", "-i", "dmm=34461A"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    try:
        lines = [proc.stdout.readline() for _ in range(3)]
        assert lines[2].startswith("simulated bench ready")
        name, model, address = lines[0].split()
        assert (name, model) == ("psu", "DP832") and address.startswith("TCPIP0::127.0.0.1::")
        rm = pyvisa.ResourceManager("@py")
        psu = rm.open_resource(address, read_termination="\n", write_termination="\n")
        assert psu.query("*IDN?").split(",")[1] == "DP832"
        psu.close()
        rm.close()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, err
    assert "simulated bench stopped" in out
