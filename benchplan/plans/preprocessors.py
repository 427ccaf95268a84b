"""Preprocessors: functions that take a plan and return a changed plan
(bluesky's ``bluesky.preprocessors``).

Each ``*_wrapper(plan, ...)`` has a ``*_decorator(...)`` twin for generator
functions::

    @run_decorator(md={'sample': 'A1'})
    def my_run():
        yield from trigger_and_read([dmm])
"""

from ._mutators import (
    contingency_decorator,
    contingency_wrapper,
    finalize_decorator,
    finalize_wrapper,
    inject_md_decorator,
    inject_md_wrapper,
    msg_mutator,
    pchain,
    plan_mutator,
    rewindable_wrapper,
    set_run_key_decorator,
    set_run_key_wrapper,
    stub_decorator,
    stub_wrapper,
)
from ._preprocessors import (
    baseline_decorator,
    baseline_wrapper,
    configure_count_time_decorator,
    configure_count_time_wrapper,
    fly_during_decorator,
    fly_during_wrapper,
    lazily_stage_decorator,
    lazily_stage_wrapper,
    monitor_during_decorator,
    monitor_during_wrapper,
    print_summary_wrapper,
    run_decorator,
    run_wrapper,
    stage_decorator,
    stage_wrapper,
    subs_decorator,
    subs_wrapper,
    suspend_decorator,
    suspend_wrapper,
)
from ._relative import (
    relative_set_decorator,
    relative_set_wrapper,
    reset_positions_decorator,
    reset_positions_wrapper,
)
from ._supplemental import SupplementalData
from ._utils import make_decorator

__all__ = [
    "SupplementalData",
    "baseline_decorator",
    "baseline_wrapper",
    "configure_count_time_decorator",
    "configure_count_time_wrapper",
    "contingency_decorator",
    "contingency_wrapper",
    "finalize_decorator",
    "finalize_wrapper",
    "fly_during_decorator",
    "fly_during_wrapper",
    "inject_md_decorator",
    "inject_md_wrapper",
    "lazily_stage_decorator",
    "lazily_stage_wrapper",
    "make_decorator",
    "monitor_during_decorator",
    "monitor_during_wrapper",
    "msg_mutator",
    "pchain",
    "plan_mutator",
    "print_summary_wrapper",
    "relative_set_decorator",
    "relative_set_wrapper",
    "reset_positions_decorator",
    "reset_positions_wrapper",
    "rewindable_wrapper",
    "run_decorator",
    "run_wrapper",
    "set_run_key_decorator",
    "set_run_key_wrapper",
    "stage_decorator",
    "stage_wrapper",
    "stub_decorator",
    "stub_wrapper",
    "subs_decorator",
    "subs_wrapper",
    "suspend_decorator",
    "suspend_wrapper",
]

for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
