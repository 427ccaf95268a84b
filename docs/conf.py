"""Sphinx configuration for benchplan's documentation.

Build it with ``sphinx-build -W -b html docs docs/_build/html`` (warnings are
errors in CI). Nothing here reaches the network: there is no intersphinx
inventory to fetch.
"""

from __future__ import annotations

import os
import sys

# The docs build against the benchplan in this tree, installed or not.
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

import benchplan  # noqa: E402

project = "benchplan"
author = "the benchplan developers"
copyright = "the benchplan developers"
release = benchplan.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
    "numpydoc",
]

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []
root_doc = "index"
default_role = "py:obj"
nitpicky = False

# -- autodoc and numpydoc -----------------------------------------------------------
autodoc_default_options = {
    "members": True,
    "member-order": "bysource",
}
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
autodoc_preserve_defaults = True
autosummary_generate = False  # no stub files written into the source tree
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- doctest (``sphinx-build -b doctest docs docs/_build/doctest``) ------------------
# Only the ``doctest``/``testcode`` directives of these pages are run; the
# ``>>>`` examples of docstrings are tested with the code, not here.
doctest_test_doctest_blocks = ""
# Each page starts as a fresh session would: the shared simulated motors at 0.
doctest_global_setup = """
from benchplan.devices.sim import motor as _m0, motor1 as _m1, motor2 as _m2
for _m in (_m0, _m1, _m2):
    _m.set(0.0).wait(5)
del _m, _m0, _m1, _m2
"""

# -- HTML -------------------------------------------------------------------------
html_theme = "alabaster"
html_title = f"benchplan {release}"
html_static_path: list[str] = []
html_theme_options = {
    "description": "Plans for lab and test benches: pausable, fast, bluesky-compatible.",
    "fixed_sidebar": True,
}

# notices are wrapped to the terminal's width: compare whitespace loosely
import doctest as _doctest  # noqa: E402

doctest_default_flags = (
    _doctest.ELLIPSIS | _doctest.NORMALIZE_WHITESPACE | _doctest.DONT_ACCEPT_TRUE_FOR_1
)
