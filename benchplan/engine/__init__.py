"""The RunEngine kernel. It imports nothing from plans, suspenders or devices."""

from ._during import add_main_thread_hook, remove_main_thread_hook
from ._msg import Msg
from ._result import NO_PLAN_RETURN, RunEngineResult
from ._run_engine import RunEngine
from ._sigint import SigintHandler
from ._state import State

__all__ = [
    "Msg",
    "NO_PLAN_RETURN",
    "RunEngine",
    "RunEngineResult",
    "SigintHandler",
    "State",
    "add_main_thread_hook",
    "remove_main_thread_hook",
]

for _name in ("Msg", "RunEngine", "RunEngineResult", "State"):
    globals()[_name].__module__ = "benchplan"
for _name in ("SigintHandler", "add_main_thread_hook", "remove_main_thread_hook"):
    globals()[_name].__module__ = "benchplan.engine"
del _name
