"""Set-up code for the interactive Ctrl+C tests (IPython through a terminal, a Jupyter kernel).

The tests run it in the session's namespace with ``exec(open(path).read())``.
It defines ``RE``, a document list ``docs``, plans that announce when the
RunEngine's Ctrl+C handler is in (``SESSION ARMED``), and ``summary()``, which
prints one line ``SUMMARY {json}`` that the test parses.
"""

import json
import signal

from benchplan import RunEngine
from benchplan.devices.sim import det
from benchplan.plans import count
from benchplan.plans.stubs import sleep as _sleep_stub

RE = RunEngine(record_interruptions=True)
docs = []
states = []
commands = []
RE.state_hook = lambda new, old: states.append(str(new))
RE.msg_hook = lambda msg: commands.append(msg.command)


_announce = []


def _on_doc(name, doc):
    docs.append((name, doc))
    if name == "event" and _announce:
        _announce.clear()
        print("SESSION ARMED", flush=True)


RE.subscribe(_on_doc)


def armed_count(num, delay):
    """``count([det], num, delay)`` that prints ``SESSION ARMED`` at its first event,
    by when Ctrl+C goes to the RunEngine.

    The handler in force when this is called (before ``RE(...)``) is the one
    ``RE(...)`` replaces; the plan waits (in 10 ms sleeps, before the run opens)
    until it has been replaced.
    """
    before = signal.getsignal(signal.SIGINT)

    def plan():
        while signal.getsignal(signal.SIGINT) is before:
            yield from _sleep_stub(0.01)
        _announce.append(True)
        return (yield from count([det], num, delay=delay))

    return plan()


def summary():
    """Print ``SUMMARY {json}``: what the last plan's documents and the RunEngine look like."""
    descriptors = {}
    streams = {}
    starts, stops = [], []
    for name, doc in docs:
        if name == "start":
            starts.append(doc["uid"])
        elif name == "stop":
            stops.append({"run_start": doc["run_start"], "exit_status": doc["exit_status"],
                          "num_events": doc.get("num_events", {})})
        elif name == "descriptor":
            descriptors[doc["uid"]] = doc["name"]
        elif name == "event":
            stream = streams.setdefault(descriptors[doc["descriptor"]], {"seq_nums": [], "data": []})
            stream["seq_nums"].append(doc["seq_num"])
            stream["data"].append(doc["data"])
    result = {
        "state": str(RE.state),
        "starts": starts,
        "stops": stops,
        "streams": streams,
        "states": states,
        "last_command": commands[-1] if commands else None,
        "handler_is_default": signal.getsignal(signal.SIGINT) is signal.default_int_handler,
    }
    print("SUMMARY " + json.dumps(result, default=repr), flush=True)
