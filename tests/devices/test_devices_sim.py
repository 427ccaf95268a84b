import math
import threading
import time

import numpy as np
import pytest

from benchplan.devices import Status
from benchplan.devices import sim
from benchplan.devices.sim import SimGaussianDetector, SimMotor
from benchplan.errors import BenchplanError


def gauss(x, center, imax, sigma):
    return imax * math.exp(-((x - center) ** 2) / (2 * sigma**2))


def test_motor_reads_like_ophyd_synaxis():
    m = SimMotor("m")
    assert list(m.read()) == ["m", "m_setpoint"]
    assert list(m.describe()) == ["m", "m_setpoint"]
    assert m.describe()["m"] == {"dtype": "number", "shape": [], "source": "SIM:m", "precision": 3}
    assert list(m.read_configuration()) == ["m_velocity", "m_acceleration"]
    assert list(m.describe_configuration()) == ["m_velocity", "m_acceleration"]
    assert m.hints == {"fields": ["m"]}


def test_motor_set_without_delay_is_done_at_once():
    m = SimMotor("m")
    st = m.set(2.5)
    assert isinstance(st, Status) and st.done and st.success
    assert m.position == 2.5
    assert m.locate() == {"setpoint": 2.5, "readback": 2.5}
    assert m.read()["m_setpoint"]["value"] == 2.5


def test_motor_set_outside_limits_raises_and_does_not_move():
    m = SimMotor("m", limits=(-10, 10))
    with pytest.raises(ValueError, match=r"Cannot set 'm_setpoint' to 11: the value is outside the limits \[-10, 10\]"):
        m.set(11)
    assert m.locate() == {"setpoint": 0.0, "readback": 0.0}


def test_negative_delay_is_rejected():
    with pytest.raises(ValueError, match="Cannot make motor 'm' with delay=-1"):
        SimMotor("m", delay=-1)


def test_motor_move_with_delay_finishes_later_and_updates_readback_at_the_end():
    m = SimMotor("m", delay=0.05)
    seen = []
    m.subscribe(lambda value, **kw: seen.append(value), run=False)
    st = m.set(3.0)
    assert not st.done
    assert m.position == 0.0 and m.locate()["setpoint"] == 3.0
    st.wait(5)
    assert st.success and m.position == 3.0
    assert seen == [3.0]


def test_stop_during_move_fails_status_and_leaves_motor_partway():
    m = SimMotor("m", delay=5)
    st = m.set(10.0)
    time.sleep(0.01)
    m.stop()
    assert st.done and not st.success
    exc = st.exception()
    assert isinstance(exc, BenchplanError)
    assert "The move of 'm' from 0.000 to 10.000 did not finish: stop() was called" in str(exc)
    assert 0.0 < m.position < 10.0


def test_stop_with_success_finishes_the_status_successfully():
    m = SimMotor("m", delay=5)
    st = m.set(1.0)
    m.stop(success=True)
    assert st.success


def test_stop_when_idle_does_nothing():
    m = SimMotor("m")
    m.set(1.0)
    m.stop()
    assert m.position == 1.0


def test_new_set_during_move_fails_the_previous_status():
    m = SimMotor("m", delay=5)
    first = m.set(1.0)
    m.delay = 0
    second = m.set(2.0)
    assert second.success and m.position == 2.0
    assert "it was replaced by a move to 2.0" in str(first.exception())


def test_safe_state_stops_a_move():
    m = SimMotor("m", delay=5)
    st = m.set(1.0)
    m.safe_state()
    assert st.done and not st.success


def test_stop_racing_with_arrival_finishes_status_once():
    for _ in range(50):
        m = SimMotor("m", delay=0.001)
        st = m.set(1.0)
        stopper = threading.Thread(target=m.stop)
        time.sleep(0.001)
        stopper.start()
        stopper.join()
        st.exception(timeout=5)  # finished by whichever came first, exactly once
        assert st.done


@pytest.mark.parametrize("x", [-2.0, -0.5, 0.0, 0.3, 1.7])
def test_gaussian_detector_follows_the_motor(x):
    m = SimMotor("m")
    d = SimGaussianDetector("d", m, "m", center=0.5, Imax=3, sigma=0.8)
    m.set(x)
    assert d.trigger().success
    assert d.read()["d"]["value"] == pytest.approx(gauss(x, 0.5, 3, 0.8))


def test_gaussian_detector_reads_like_ophyd_synguass():
    m = SimMotor("m")
    d = SimGaussianDetector("d", m, "m", center=0, Imax=1)
    assert list(d.read()) == ["d"]
    assert d.describe() == {"d": {"dtype": "number", "shape": [], "source": "SIM:d", "precision": 3}}
    assert list(d.read_configuration()) == ["d_Imax", "d_center", "d_sigma", "d_noise", "d_noise_multiplier"]
    assert d.hints == {"fields": ["d"]}


def test_detector_configuration_can_be_changed():
    m = SimMotor("m")
    d = SimGaussianDetector("d", m, "m", center=0, Imax=1)
    d.Imax.put(4.0)
    d.trigger()
    assert d.read()["d"]["value"] == 4.0


def test_uniform_noise_stays_within_the_multiplier():
    m = SimMotor("m")
    d = SimGaussianDetector("d", m, "m", center=0, Imax=1, noise="uniform",
                            noise_multiplier=0.1, random_state=np.random.default_rng(0))
    values = []
    for _ in range(50):
        d.trigger()
        values.append(d.read()["d"]["value"])
    assert all(0.9 <= v <= 1.1 for v in values)
    assert len(set(values)) > 1


def test_poisson_noise_gives_counts():
    m = SimMotor("m")
    d = SimGaussianDetector("d", m, "m", center=0, Imax=100, noise="poisson",
                            random_state=np.random.RandomState(0))
    d.trigger()
    value = d.read()["d"]["value"]
    assert value == int(value) and 50 < value < 150


def test_bad_noise_is_rejected_naming_the_choices():
    m = SimMotor("m")
    with pytest.raises(ValueError, match="Cannot make detector 'd' with noise='gauss': use one of 'none', 'poisson', 'uniform'"):
        SimGaussianDetector("d", m, "m", center=0, Imax=1, noise="gauss")


def test_bad_sigma_is_rejected():
    with pytest.raises(ValueError, match="Cannot make detector 'd' with sigma=0"):
        SimGaussianDetector("d", SimMotor("m"), "m", center=0, Imax=1, sigma=0)


def test_detector_subscription_sees_triggers():
    m = SimMotor("m")
    d = SimGaussianDetector("d", m, "m", center=0, Imax=1)
    seen = []
    token = d.subscribe(lambda value, **kw: seen.append(value), run=False)
    m.set(1.0)
    d.trigger()
    d.clear_sub(token)
    d.trigger()
    assert seen == [pytest.approx(gauss(1.0, 0, 1, 1))]


def test_ready_instances_match_ophyd_sim():
    assert [sim.motor.name, sim.motor1.name, sim.motor2.name] == ["motor", "motor1", "motor2"]
    assert list(sim.det.read()) == ["det"] and list(sim.noisy_det.read()) == ["noisy_det"]
    params = {
        "det": (0, 1, 1),
        "det1": (0, 5, 0.5),
        "det2": (1, 2, 2),
    }
    for name, (center, imax, sigma) in params.items():
        d = getattr(sim, name)
        config = d.read_configuration()
        assert (config[f"{name}_center"]["value"], config[f"{name}_Imax"]["value"],
                config[f"{name}_sigma"]["value"]) == (center, imax, sigma)
    assert sim.noisy_det.read_configuration()["noisy_det_noise"]["value"] == "uniform"
    assert sim.bool_sig.read()["bool_sig"]["value"] is False
    assert sim.bool_sig.describe()["bool_sig"]["dtype"] == "boolean"
