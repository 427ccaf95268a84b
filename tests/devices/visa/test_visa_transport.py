"""The transport: locked transactions, error checks, modes and roles."""

from __future__ import annotations

import threading
import time

import pytest

from benchplan.errors import InstrumentError, InstrumentTimeout, ResourceInUse

POW = (":ENTR:FUNC", ":ENTR:FUNC POW")
SIM = (":ENTR:FUNC", ":ENTR:FUNC SIM")


def test_query_returns_the_reply_without_termination(pool, scpi_server):
    transport = pool.open(scpi_server.address, holder="dmm")
    assert transport.query("ECHO? 4.998") == "4.998"


def test_write_checks_the_error_queue_and_raises_the_instruments_error(pool, scpi_server):
    transport = pool.open(scpi_server.address, holder="psu")
    transport.write("VOLT 5")
    with pytest.raises(InstrumentError) as info:
        transport.write("BAD 99")
    err = info.value
    assert (err.code, err.command, err.address) == (-222, "BAD 99", scpi_server.address)
    assert f"The instrument at {scpi_server.address} rejected 'BAD 99': error -222" in str(err)
    assert scpi_server.received[-3:] == ["BAD 99", "SYST:ERR?", "SYST:ERR?"]


def test_without_error_checks_nothing_is_asked_unless_confirming(pool, scpi_server):
    transport = pool.open(scpi_server.address, holder="psu", check_errors=False)
    transport.write("BAD 99")
    transport.write("VOLT 5", confirm=True)
    assert scpi_server.commands() == ["BAD 99", "VOLT 5", "*OPC?"]


def test_an_unknown_query_reports_the_instruments_error_not_a_timeout(pool, scpi_server):
    transport = pool.open(scpi_server.address, holder="psu", timeout=0.2)
    with pytest.raises(InstrumentError) as info:
        transport.query("NOPE?")
    assert info.value.code == -113
    assert isinstance(info.value.__cause__, InstrumentTimeout)
    assert transport.query("ECHO? fine") == "fine"


def test_an_instrument_that_stops_answering_gives_a_timeout_naming_address_and_command(pool, scpi_server):
    transport = pool.open(scpi_server.address, holder="psu", timeout=0.2)
    assert transport.query("ECHO? alive") == "alive"
    scpi_server.hang = True
    with pytest.raises(InstrumentTimeout) as info:
        transport.query(":MEAS:CURR?")
    err = info.value
    assert (err.address, err.command) == (scpi_server.address, ":MEAS:CURR?")
    assert f"Sending ':MEAS:CURR?' to the instrument at {scpi_server.address} timed out" in str(err)
    assert "no answer within 0.2 s" in str(err)


def test_a_late_reply_is_never_taken_for_the_next_answer(pool, scpi_server):
    transport = pool.open(scpi_server.address, holder="psu", timeout=0.2, check_errors=False)
    with pytest.raises(InstrumentTimeout):
        transport.query("SLOW?")
    scpi_server.release_slow.set()  # now 'late' arrives, before the next reply
    assert transport.query("ECHO? next") == "next"
    assert transport.query("ECHO? after") == "after"


def test_a_dropped_connection_is_reopened_on_a_later_use(pool, scpi_server):
    transport = pool.open(scpi_server.address, holder="psu", timeout=0.2, check_errors=False)
    transport.write("DROP")
    replies = []
    for _ in range(4):
        try:
            replies.append(transport.query("ECHO? back"))
            break
        except InstrumentError:  # the failure that reveals the lost connection
            continue
    assert replies == ["back"]
    assert scpi_server.connections == 2


def test_two_threads_hammering_one_instrument_get_their_own_replies(pool, scpi_server):
    first = pool.open(scpi_server.address, holder="poller")
    second = pool.open(scpi_server.address, holder="plan")
    crossed: list[tuple[str, str]] = []

    def hammer(transport, tag):
        for i in range(300):
            sent = f"{tag}-{i}"
            reply = transport.query(f"ECHO? {sent}")
            if reply != sent:
                crossed.append((sent, reply))

    threads = [threading.Thread(target=hammer, args=(t, tag)) for t, tag in ((first, "a"), (second, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert crossed == []
    assert len(scpi_server.commands()) == 600


def test_locked_holds_the_address_across_transactions(pool, scpi_server):
    plan = pool.open(scpi_server.address, holder="plan")
    poller = pool.open(scpi_server.address, holder="poller")
    other = threading.Thread(target=poller.query, args=("ECHO? poll",))
    with plan.locked():
        plan.query("ECHO? step-1")
        other.start()
        time.sleep(0.05)  # give the poller every chance to cut in (it must not)
        plan.query("ECHO? step-2")
    other.join()
    assert scpi_server.commands() == ["ECHO? step-1", "ECHO? step-2", "ECHO? poll"]


def test_the_mode_is_switched_once_and_cached_per_session(pool, scpi_server):
    supply = pool.open(scpi_server.address, holder="psu", role="power-supply", mode=POW)
    battery = pool.open(scpi_server.address, holder="batt", role="battery-simulator", mode=SIM)
    supply.query("ECHO? 1")
    supply.query("ECHO? 2")
    battery.query("ECHO? 3")
    supply.query("ECHO? 4")
    assert scpi_server.commands() == [
        ":ENTR:FUNC POW", "ECHO? 1", "ECHO? 2",
        ":ENTR:FUNC SIM", "ECHO? 3",
        ":ENTR:FUNC POW", "ECHO? 4",
    ]


def test_an_error_forgets_the_mode_so_it_is_sent_again(pool, scpi_server):
    supply = pool.open(scpi_server.address, holder="psu", role="power-supply", mode=POW)
    supply.write("VOLT 1")
    with pytest.raises(InstrumentError):
        supply.write("BAD 1")
    supply.write("VOLT 2")
    assert scpi_server.commands() == [":ENTR:FUNC POW", "VOLT 1", "BAD 1", ":ENTR:FUNC POW", "VOLT 2"]


def test_a_held_role_blocks_the_other_role_naming_it(pool, scpi_server):
    supply = pool.open(scpi_server.address, holder="psu", role="power-supply", mode=POW)
    battery = pool.open(scpi_server.address, holder="batt", role="battery-simulator", mode=SIM)
    supply.claim()
    with pytest.raises(ResourceInUse) as info:
        battery.claim()
    text = str(info.value)
    assert "in its battery-simulator role for 'batt'" in text
    assert "held in its power-supply role by 'psu'" in text
    assert "modes are exclusive" in text
    before = list(scpi_server.received)
    with pytest.raises(ResourceInUse, match="Cannot send ':BATT:SIM:SOC\\?' for 'batt'"):
        battery.query(":BATT:SIM:SOC?")
    assert scpi_server.received == before  # nothing was sent
    supply.unclaim()
    battery.claim()
    assert battery.query("ECHO? sim") == "sim"


def test_claims_of_one_role_nest_and_roleless_transports_never_conflict(pool, scpi_server):
    supply = pool.open(scpi_server.address, holder="psu", role="power-supply", mode=POW)
    monitor = pool.open(scpi_server.address, holder="monitor", role="power-supply", mode=POW)
    raw = pool.open(scpi_server.address, holder="raw")
    supply.claim()
    monitor.claim()
    raw.claim()
    assert raw.query("*IDN?") == scpi_server.idn
    supply.unclaim()
    assert supply.session.held_role == "power-supply"
    monitor.close()  # closing releases its claims
    assert supply.session.held_role is None


def test_hold_is_a_context_manager(pool, scpi_server):
    supply = pool.open(scpi_server.address, holder="psu", role="power-supply")
    battery = pool.open(scpi_server.address, holder="batt", role="battery-simulator")
    with supply.hold():
        with pytest.raises(ResourceInUse):
            battery.claim()
    battery.claim()
