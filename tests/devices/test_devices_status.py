import logging
import threading

import pytest

from benchplan.devices import Status


class Named:
    name = "psu"


def test_finished_status_is_done_and_successful():
    st = Status.finished(Named())
    assert st.done and st.success
    assert st.exception() is None
    st.wait(0)


def test_failed_status_reports_its_exception():
    exc = RuntimeError("boom")
    st = Status.failed(Named(), exc)
    assert st.done and not st.success
    assert st.exception() is exc


def test_new_status_is_pending():
    st = Status()
    assert not st.done and not st.success


def test_callback_added_after_done_runs_immediately():
    calls = []
    st = Status.finished()
    st.add_callback(calls.append)
    assert calls == [st]


def test_callback_runs_once_in_the_thread_that_finishes():
    st = Status()
    seen = []
    st.add_callback(lambda s: seen.append(threading.get_ident()))
    worker = threading.Thread(target=st.set_finished)
    worker.start()
    worker.join()
    assert seen == [worker.ident]
    assert st.success


def test_every_callback_runs_exactly_once_when_added_while_finishing():
    st = Status()
    counts = [0] * 200
    lock = threading.Lock()

    def make(i):
        def cb(_):
            with lock:
                counts[i] += 1
        return cb

    def add_all():
        for i in range(200):
            st.add_callback(make(i))

    adder = threading.Thread(target=add_all)
    adder.start()
    st.set_finished()
    adder.join()
    assert counts == [1] * 200


def test_set_exception_fails_the_status():
    st = Status()
    exc = ValueError("bad")
    st.set_exception(exc)
    assert st.done and not st.success
    assert st.exception() is exc


def test_set_exception_requires_an_exception_instance():
    with pytest.raises(TypeError, match="takes an exception instance"):
        Status(Named()).set_exception("oops")


def test_wait_raises_the_failure():
    st = Status()
    st.set_exception(ValueError("bad value"))
    with pytest.raises(ValueError, match="bad value"):
        st.wait()


def test_wait_returns_once_finished_from_another_thread():
    st = Status()
    threading.Timer(0.01, st.set_finished).start()
    st.wait(5)
    assert st.success


def test_wait_timeout_names_the_timeout_and_device():
    st = Status(Named())
    with pytest.raises(TimeoutError, match=r"Waited 0.01 s for the status of 'psu'"):
        st.wait(0.01)
    assert not st.done


def test_exception_with_timeout_raises_while_pending():
    with pytest.raises(TimeoutError, match="has not finished after waiting 0.01 s"):
        Status(Named()).exception(timeout=0.01)


def test_timeout_fails_the_status_with_a_clear_error():
    st = Status(Named(), timeout=0.02)
    done = threading.Event()
    st.add_callback(lambda s: done.set())
    assert done.wait(5)
    assert not st.success
    exc = st.exception()
    assert isinstance(exc, TimeoutError)
    assert "'psu' did not finish within its timeout of 0.02 s" in str(exc)


def test_finishing_after_the_timeout_is_ignored():
    st = Status(timeout=0.01)
    with pytest.raises(TimeoutError):
        st.wait(5)
    st.set_finished()  # the action lost the race: no error
    assert not st.success


def test_finishing_before_the_timeout_cancels_it():
    st = Status(timeout=0.05)
    st.set_finished()
    with pytest.raises(TimeoutError):
        Status().wait(0.1)  # outlive the first status's timeout
    assert st.success


def test_finishing_twice_raises_naming_the_device():
    st = Status(Named())
    st.set_finished()
    with pytest.raises(RuntimeError, match="status of 'psu' failed: it has already finished"):
        st.set_exception(ValueError())


@pytest.mark.parametrize("kwargs", [{"timeout": 0}, {"timeout": -1}, {"settle_time": -1}])
def test_bad_arguments_are_rejected(kwargs):
    with pytest.raises(ValueError, match="Cannot make a status with"):
        Status(**kwargs)


def test_settle_time_delays_done():
    st = Status(settle_time=0.02)
    st.set_finished()
    assert not st.done
    st.wait(5)
    assert st.success


def test_callback_that_raises_is_logged_not_propagated(caplog):
    st = Status()
    later = []

    def bad(_):
        raise KeyError("nope")

    st.add_callback(bad)
    st.add_callback(later.append)
    with caplog.at_level(logging.ERROR, logger="benchplan.devices._status"):
        st.set_finished()
    assert later == [st]
    assert "raised; ignored" in caplog.text


def test_and_status_is_done_when_both_are():
    a, b = Status(), Status()
    both = a & b
    a.set_finished()
    assert not both.done
    b.set_finished()
    assert both.done and both.success


def test_and_status_fails_as_soon_as_either_fails():
    a, b = Status(), Status()
    both = a & b
    exc = RuntimeError("tripped")
    b.set_exception(exc)
    assert both.done and both.exception() is exc
    a.set_finished()  # no error from the combined status
    assert both.exception() is exc


def test_and_status_of_finished_statuses_is_finished():
    assert (Status.finished() & Status.finished()).success


def test_and_status_works_with_an_ophyd_status():
    from ophyd.status import StatusBase

    ours, theirs = Status(), StatusBase()
    both = ours & theirs
    done = threading.Event()
    both.add_callback(lambda s: done.set())
    theirs.set_finished()
    theirs.wait(5)
    assert not both.done
    ours.set_finished()
    assert done.wait(5)
    assert both.success


def test_repr_shows_state():
    st = Status(Named())
    assert repr(st) == "Status(obj='psu', pending)"
    st.set_finished()
    assert repr(st) == "Status(obj='psu', success)"
