"""Fixtures of the simulated-bench tests: a manual clock and a pyvisa-py resource manager."""

import pytest
import pyvisa

from benchplan.devices.simbench import ManualClock


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def rm():
    manager = pyvisa.ResourceManager("@py")
    yield manager
    manager.close()
