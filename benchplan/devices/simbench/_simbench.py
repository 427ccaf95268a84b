"""SimBench: the simulated bench a test, a doc or the README demo starts."""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType
from typing import Callable, Mapping

from ._bench import Bench
from ._dmm import DMM34461A
from ._faults import Faults
from ._instrument import DropConnection, SimInstrument
from ._psu import SupplyInstrument
from ._server import InstrumentPort

__all__ = ["DEFAULT_INSTRUMENTS", "SimBench"]

#: The instruments of a bench made without ``instruments``: name -> model.
DEFAULT_INSTRUMENTS: Mapping[str, str] = {
    "dp832": "DP832",
    "dp821": "DP821",
    "e36312a": "E36312A",
    "k2281s": "2281S",
    "dmm": "34461A",
}

_HOST = "127.0.0.1"
_TIMEOUT = 10.0


class SimBench:
    """Simulated SCPI instruments on 127.0.0.1, one TCP port each.

    Reach an instrument with pyvisa-py at ``bench.address(name)``, a
    ``TCPIP0::127.0.0.1::<port>::SOCKET`` resource with ``'\\n'`` read and
    write terminations. The constructor does no I/O; :meth:`start` serves
    the ports from a thread of its own (or ``await`` :meth:`start_async` to
    serve them from the running loop).

    Parameters
    ----------
    instruments : mapping of str to str, optional
        Instrument name -> model (``'DP832'``, ``'DP821'``, ``'E36312A'``,
        ``'2281S'``, ``'34461A'``); :data:`DEFAULT_INSTRUMENTS` by default.
    port_base : int
        0: each instrument on a free port; otherwise the instruments take
        ``port_base``, ``port_base + 1``, ... in order.
    latency : float
        Seconds each reply is delayed.
    single_client : bool
        Serve one connection per instrument at a time; a second client gets
        a line naming the one connected, and is closed.
    clock : callable, optional
        Seconds for spikes, battery discharge and timestamps
        (``time.monotonic`` by default; a :class:`ManualClock` in tests).
    load : float
        The load on every supply output, in ohms.
    noise, seed
        DMM reading noise (relative standard deviation) and its seed.
    dmm_node : str, optional
        The node DMMs read (``'dp832.ch1'``); by default channel 1 of the
        first supply.

    Examples
    --------
    >>> import pyvisa
    >>> with SimBench({"psu": "DP832"}) as bench:
    ...     rm = pyvisa.ResourceManager("@py")
    ...     psu = rm.open_resource(bench.address("psu"), read_termination="\\n",
    ...                            write_termination="\\n")
    ...     psu.query("*IDN?").split(",")[1]
    ...     psu.close(); rm.close()
    'DP832'
    """

    def __init__(
        self,
        instruments: Mapping[str, str] | None = None,
        *,
        port_base: int = 0,
        latency: float = 0.0,
        single_client: bool = False,
        clock: Callable[[], float] | None = None,
        load: float = 10.0,
        noise: float = 0.0,
        seed: int = 0,
        dmm_node: str | None = None,
    ) -> None:
        if not 0 <= port_base <= 65535:
            raise ValueError(f"Cannot use port_base={port_base}: it must be 0 (free ports) or 1..65535.")
        if not (latency >= 0 and load >= 0 and noise >= 0):
            raise ValueError(
                f"Cannot make a simulated bench with latency={latency!r} s, load={load!r} ohm, "
                f"noise={noise!r}: each must be >= 0."
            )
        self._bench = Bench(clock, load=load)
        for name, model in (DEFAULT_INSTRUMENTS if instruments is None else instruments).items():
            self._bench.add(name, model).latency = latency
        insts = self._bench.instruments.values()
        supplies = [i for i in insts if isinstance(i, SupplyInstrument)]
        if dmm_node is None and supplies:
            dmm_node = f"{supplies[0].name}.ch1"
        for dmm in (i for i in insts if isinstance(i, DMM34461A)):
            dmm.node = dmm_node
            dmm.noise = noise
            dmm.rng.seed(seed)
        self._port_base = port_base
        self._single_client = single_client
        self._ports: dict[str, InstrumentPort] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        #: Fault injection (:class:`Faults`).
        self.fault = Faults(self._bench, self._drop)

    # -- what is on the bench ------------------------------------------------

    @property
    def names(self) -> list[str]:
        """The instrument names, in port order."""
        return list(self._bench.instruments)

    @property
    def clock(self) -> Callable[[], float]:
        """The bench clock."""
        return self._bench.clock

    @property
    def running(self) -> bool:
        """Whether the ports are being served."""
        return self._loop is not None

    def instrument(self, name: str) -> SimInstrument:
        """The model of instrument ``name``, to inspect its state."""
        return self._bench.instrument(name)

    def port(self, name: str) -> int:
        """The TCP port of instrument ``name`` (the bench must be running)."""
        return self._served(name).port

    def address(self, name: str) -> str:
        """The VISA resource string of ``name``: ``TCPIP0::127.0.0.1::<port>::SOCKET``."""
        return self._served(name).address

    def _served(self, name: str) -> InstrumentPort:
        self._bench.instrument(name)
        if not self.running:
            raise RuntimeError(
                f"Cannot give the address of '{name}': the simulated bench is not running; "
                "call start() first, or use 'with SimBench() as bench:'."
            )
        return self._ports[name]

    @property
    def addresses(self) -> dict[str, str]:
        """Instrument name -> VISA resource string."""
        return {name: self.address(name) for name in self.names}

    def send(self, name: str, message: str) -> str | None:
        """Handle ``message`` as instrument ``name`` would, without TCP.

        Returns the reply line without its terminator, or None.
        """
        inst = self._bench.instrument(name)
        try:
            with self._bench.lock:
                return inst.handle(message)
        except DropConnection:
            self._drop([name])
            return None

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> SimBench:
        """Serve the instruments from a background thread; returns ``self``."""
        self._check_stopped()
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="benchplan-simbench", daemon=True)
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._open(loop), loop).result(_TIMEOUT)
        except BaseException:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(_TIMEOUT)
            loop.close()
            raise
        self._thread = thread
        return self

    def stop(self) -> None:
        """Close the ports and the connections; a stopped bench can start again."""
        loop, thread = self._loop, self._thread
        if loop is None:
            return
        if thread is None:
            raise RuntimeError(
                "Cannot stop() a simulated bench started with start_async(); "
                "await stop_async() in its loop."
            )
        try:
            asyncio.run_coroutine_threadsafe(self._close_and_drain(), loop).result(_TIMEOUT)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(_TIMEOUT)
            loop.close()
            self._thread = None

    async def start_async(self) -> SimBench:
        """Serve the instruments from the running loop; returns ``self``."""
        self._check_stopped()
        await self._open(asyncio.get_running_loop())
        return self

    async def stop_async(self) -> None:
        """Close the ports and connections served by :meth:`start_async`."""
        if self._loop is not None:
            await self._close()

    def __enter__(self) -> SimBench:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> SimBench:
        return await self.start_async()

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop_async()

    def _check_stopped(self) -> None:
        if self._loop is not None:
            raise RuntimeError(
                f"Cannot start the simulated bench: it is already running at "
                f"{', '.join(f'{n}={p.port}' for n, p in self._ports.items())}; stop() it first."
            )

    async def _open(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        try:
            for k, (name, inst) in enumerate(self._bench.instruments.items()):
                port = InstrumentPort(inst, self._bench.lock, single_client=self._single_client)
                wanted = self._port_base + k if self._port_base else 0
                try:
                    await port.open(_HOST, wanted)
                except OSError as exc:
                    raise OSError(
                        exc.errno,
                        f"Cannot start the simulated bench: port {wanted} for '{name}' on {_HOST} "
                        f"is not free ({exc.strerror}); choose another port base, or 0 for free ports.",
                    ) from exc
                self._ports[name] = port
        except BaseException:
            await self._close()
            raise

    async def _close(self) -> None:
        ports, self._ports = self._ports, {}
        for port in ports.values():
            await port.close()
        self._loop = None

    async def _close_and_drain(self) -> None:
        await self._close()
        # the loop is ours: let accepts still in flight finish (they reset themselves)
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if others:
            await asyncio.wait(others, timeout=1.0)

    def _drop(self, names: list[str]) -> None:
        loop = self._loop
        if loop is None:
            return

        def drop() -> None:
            for name in names:
                port = self._ports.get(name)
                if port is not None:
                    port.drop()

        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            drop()
        else:
            asyncio.run_coroutine_threadsafe(_call(drop), loop).result(_TIMEOUT)


async def _call(func: Callable[[], None]) -> None:
    func()
