"""Scans: the plans of bluesky's ``bluesky.plans``, with the same names and signatures.

Plan stubs are in :mod:`benchplan.plans.stubs`, preprocessors in
:mod:`benchplan.plans.preprocessors`, scan trajectories in
:mod:`benchplan.plans.patterns`.
"""

from ._scans import count, list_scan, log_scan, rel_list_scan, rel_log_scan, rel_scan, scan, scan_nd
from ._scans_adaptive import adaptive_scan, fly, ramp_plan, rel_adaptive_scan
from ._scans_grid import grid_scan, list_grid_scan, rel_grid_scan, rel_list_grid_scan

__all__ = [
    "adaptive_scan",
    "count",
    "fly",
    "grid_scan",
    "list_grid_scan",
    "list_scan",
    "log_scan",
    "ramp_plan",
    "rel_adaptive_scan",
    "rel_grid_scan",
    "rel_list_grid_scan",
    "rel_list_scan",
    "rel_log_scan",
    "rel_scan",
    "scan",
    "scan_nd",
]

for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
