"""The simulated bench: SCPI instruments on 127.0.0.1 for tests, docs and demos.

Each instrument listens on its own TCP port and is reached through the real
pyvisa-py socket path (``TCPIP0::127.0.0.1::<port>::SOCKET``, ``'\\n'``
terminations). All instruments share one bench, so a DMM reads the output of
a supply into its load. Faults are injected from Python (``bench.fault``) or
over the wire (``SIM:...``).

Examples
--------
>>> from benchplan.devices.simbench import SimBench
>>> bench = SimBench({"psu": "DP832", "dmm": "34461A"})
>>> bench.send("psu", ":APPL CH1,5,1;:OUTP CH1,ON")
>>> bench.send("dmm", "MEAS:VOLT:DC?")
'+5.00000000E+00'
"""

from ._bench import MODELS, ManualClock
from ._faults import Faults
from ._instrument import SimInstrument
from ._main import main
from ._scpi import ScpiError
from ._simbench import DEFAULT_INSTRUMENTS, SimBench

__all__ = [
    "DEFAULT_INSTRUMENTS",
    "Faults",
    "MODELS",
    "ManualClock",
    "ScpiError",
    "SimBench",
    "SimInstrument",
    "main",
]

for _obj in (Faults, ManualClock, ScpiError, SimBench, SimInstrument, main):
    _obj.__module__ = __name__
del _obj
