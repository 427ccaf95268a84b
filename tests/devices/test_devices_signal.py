import logging
import threading
import time

import numpy as np
import pytest

from benchplan.devices import (
    SignalR,
    SignalRW,
    SoftSignalBackend,
    soft_signal_r_and_setter,
    soft_signal_rw,
)


class Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)


class SlowBackend:
    """A blocking backend whose put waits for the test to release it."""

    blocking = True

    def __init__(self, limits=None, fail=None):
        self.value = 0.0
        self.release = threading.Event()
        self.limits = limits
        self.fail = fail
        self.put_threads = []

    def source(self, name):
        return f"slow://{name}"

    def datakey(self, name):
        key = {"dtype": "number", "shape": [], "source": self.source(name)}
        if self.limits:
            key["units"] = "V"
            key["limits"] = {"control": {"low": self.limits[0], "high": self.limits[1]}}
        return key

    def get(self):
        return self.value, 1.0

    def put(self, value):
        self.put_threads.append(threading.get_ident())
        assert self.release.wait(5)
        if self.fail is not None:
            raise self.fail
        self.value = value

    def subscribe(self, callback):
        pass


def test_read_gives_value_and_timestamp():
    sig = soft_signal_rw(float, 1.5, name="x")
    before = time.time()
    sig.put(2.5)
    reading = sig.read()
    assert list(reading) == ["x"]
    assert reading["x"]["value"] == 2.5
    assert before <= reading["x"]["timestamp"] <= time.time()


def test_describe_reports_dtype_shape_source_and_metadata():
    sig = soft_signal_rw(float, 0.0, name="v", units="V", limits=(0, 30), precision=2)
    assert sig.describe() == {
        "v": {
            "dtype": "number",
            "shape": [],
            "source": "soft://v",
            "units": "V",
            "precision": 2,
            "limits": {"control": {"low": 0, "high": 30}},
        }
    }


@pytest.mark.parametrize(
    "datatype, value, dtype",
    [(int, 3, "integer"), (bool, True, "boolean"), (str, "on", "string"), (float, 1.0, "number")],
)
def test_describe_dtype_follows_datatype(datatype, value, dtype):
    assert soft_signal_rw(datatype, value, name="s").describe()["s"]["dtype"] == dtype


def test_array_signal_reports_its_shape():
    sig = soft_signal_rw(np.ndarray, np.zeros((2, 3)), name="img")
    assert sig.describe()["img"]["dtype"] == "array"
    assert sig.describe()["img"]["shape"] == [2, 3]


def test_describe_returns_a_copy_each_time():
    sig = soft_signal_rw(float, name="x")
    sig.describe()["x"]["object_name"] = "someone"
    assert "object_name" not in sig.describe()["x"]


def test_rename_updates_read_and_describe():
    sig = soft_signal_rw(float, name="old")
    sig.describe()
    sig.name = "new"
    assert list(sig.read()) == ["new"] and list(sig.describe()) == ["new"]


def test_configuration_is_empty():
    sig = soft_signal_rw(float, name="x")
    assert sig.read_configuration() == {} and sig.describe_configuration() == {}


def test_hints_follow_kind():
    assert soft_signal_rw(float, name="x").hints == {"fields": ["x"]}
    assert soft_signal_rw(float, name="x", kind="normal").hints == {"fields": []}


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="Cannot give signal 'x' the kind 'loud': use one of"):
        soft_signal_rw(float, name="x", kind="loud")


def test_soft_set_is_done_on_return_and_locate_reports_it():
    sig = soft_signal_rw(int, 0, name="n")
    st = sig.set(4)
    assert st.done and st.success
    assert sig.get() == 4
    assert sig.locate() == {"setpoint": 4, "readback": 4}


def test_set_converts_to_the_datatype():
    sig = soft_signal_rw(float, name="x")
    sig.put(3)
    assert sig.get() == 3.0 and type(sig.get()) is float


def test_set_outside_limits_raises_naming_signal_value_and_limits():
    sig = soft_signal_rw(float, 0.0, name="psu_voltage", units="V", limits=(0, 30))
    with pytest.raises(ValueError) as info:
        sig.set(31)
    assert str(info.value) == (
        "Cannot set 'psu_voltage' to 31: the value is outside the limits [0, 30] V; "
        "choose a value from 0 to 30."
    )
    assert sig.get() == 0.0


def test_nan_is_outside_any_limits():
    sig = soft_signal_rw(float, name="x", limits=(None, 10))
    with pytest.raises(ValueError, match=r"outside the limits \[-inf, 10\]"):
        sig.put(float("nan"))


def test_wrong_type_is_rejected_with_the_reason():
    sig = soft_signal_rw(float, name="x")
    with pytest.raises(ValueError, match="Cannot set 'x' to 'high': expected a number, got str"):
        sig.set("high")


def test_non_integral_value_for_int_signal_is_rejected():
    with pytest.raises(ValueError, match="expected an integer, got float"):
        soft_signal_rw(int, name="n").put(2.5)


def test_choices_are_enforced():
    sig = SignalRW(SoftSignalBackend(str, "a", choices=("a", "b")), name="mode")
    with pytest.raises(ValueError, match="Cannot set 'mode' to 'c': the value must be one of 'a', 'b'"):
        sig.put("c")


def test_inverted_limits_are_rejected():
    with pytest.raises(ValueError, match=r"Cannot use limits \(5, 1\): the low limit is above"):
        soft_signal_rw(float, limits=(5, 1))


def test_read_only_signal_and_setter():
    temp, set_temp = soft_signal_r_and_setter(float, 20.0, name="temp", units="degC")
    assert isinstance(temp, SignalR) and not hasattr(temp, "set")
    set_temp(21.5)
    assert temp.read()["temp"]["value"] == 21.5


def test_subscribe_runs_now_with_ophyd_keywords():
    sig = soft_signal_rw(float, 1.0, name="x")
    rec = Recorder()
    sig.subscribe(rec)
    assert rec.calls == [
        {"value": 1.0, "old_value": None, "timestamp": sig.read()["x"]["timestamp"],
         "obj": sig, "sub_type": "value"}
    ]


def test_subscriber_sees_each_put_with_old_value():
    sig = soft_signal_rw(float, 1.0, name="x")
    rec = Recorder()
    sig.subscribe(rec, run=False)
    sig.put(2.0)
    sig.set(3.0)
    assert [(c["value"], c["old_value"]) for c in rec.calls] == [(2.0, 1.0), (3.0, 2.0)]


def test_clear_sub_by_token_and_by_callback():
    sig = soft_signal_rw(float, name="x")
    a, b = Recorder(), Recorder()
    token = sig.subscribe(a, run=False)
    sig.subscribe(b, run=False)
    sig.clear_sub(token)
    sig.put(1.0)
    sig.clear_sub(b)
    sig.put(2.0)
    assert a.calls == [] and [c["value"] for c in b.calls] == [1.0]


def test_unknown_event_type_is_rejected():
    sig = soft_signal_rw(float, name="x")
    with pytest.raises(ValueError, match="Cannot subscribe to 'x' for 'meta' events"):
        sig.subscribe(Recorder(), event_type="meta")


def test_subscriber_that_raises_is_logged_and_writer_unaffected(caplog):
    sig = soft_signal_rw(float, name="x")
    rec = Recorder()

    def bad(**kwargs):
        raise RuntimeError("subscriber bug")

    sig.subscribe(bad, run=False)
    sig.subscribe(rec, run=False)
    with caplog.at_level(logging.ERROR, logger="benchplan.devices._signal"):
        assert sig.set(5.0).success
    assert [c["value"] for c in rec.calls] == [5.0]
    assert "Subscriber" in caplog.text and "'x'" in caplog.text


def test_two_threads_putting_keep_subscribers_consistent():
    sig = soft_signal_rw(int, 0, name="n")
    calls = []
    lock = threading.Lock()

    def count(value, old_value, **kwargs):
        with lock:
            calls.append((old_value, value))

    sig.subscribe(count, run=False)
    start = threading.Barrier(2)

    def writer(base):
        start.wait()
        for i in range(2000):
            sig.put(base + i)

    threads = [threading.Thread(target=writer, args=(b,)) for b in (1, 100_000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 4000
    # each update's old value is the previous update's value: none lost or reordered
    assert all(calls[i][0] == calls[i - 1][1] for i in range(1, len(calls)))
    assert calls[-1][1] == sig.get()


def test_blocking_set_runs_in_a_worker_and_finishes_when_put_returns():
    backend = SlowBackend()
    sig = SignalRW(backend, name="slow")
    st = sig.set(4.0)
    assert not st.done
    backend.release.set()
    st.wait(5)
    assert st.success and sig.get() == 4.0
    assert backend.put_threads[0] != threading.get_ident()
    assert sig.locate() == {"setpoint": 4.0, "readback": 4.0}


def test_blocking_set_fails_with_the_backend_error():
    error = OSError("instrument went away")
    backend = SlowBackend(fail=error)
    backend.release.set()
    st = SignalRW(backend, name="slow").set(1.0)
    with pytest.raises(OSError, match="instrument went away"):
        st.wait(5)
    assert st.exception() is error


def test_blocking_set_times_out():
    backend = SlowBackend()
    st = SignalRW(backend, name="slow").set(1.0, timeout=0.02)
    with pytest.raises(TimeoutError, match="'slow' did not finish within its timeout of 0.02 s"):
        st.wait(5)
    backend.release.set()  # the late put finishing must not disturb the failed status


def test_blocking_set_checks_datakey_limits_before_any_write():
    backend = SlowBackend(limits=(0, 10))
    sig = SignalRW(backend, name="volts")
    with pytest.raises(ValueError, match=r"Cannot set 'volts' to 11: .*\[0, 10\] V"):
        sig.set(11)
    assert backend.put_threads == []


def test_invalid_initial_value_is_rejected():
    with pytest.raises(ValueError, match=r"Cannot start a soft signal at 40: the value is outside the limits \[0, 30\]"):
        soft_signal_rw(float, 40, limits=(0, 30))
