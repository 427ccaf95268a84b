"""Where benchplan keeps its data by default, and whether the default store is on."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from .._paths import DATA_DIR_ENV, data_dir

__all__ = ["DATA_DIR_ENV", "STORE_ENV", "data_dir", "default_store_path", "store_enabled"]

#: Environment variable naming the data folder (tests point it at a temporary folder).
#: Environment variable that turns the default document store off (``off``, ``0``,
#: ``no``) or names another file for it.
STORE_ENV = "BENCHPLAN_STORE"

_OFF = frozenset({"off", "0", "no", "false", "none"})
_ON = frozenset({"", "on", "1", "yes", "true"})


def default_store_path() -> Path:
    """The default document store's file.

    ``$BENCHPLAN_STORE`` when it names a file, else ``documents.sqlite`` in
    :func:`data_dir`.
    """
    configured = os.environ.get(STORE_ENV, "").strip()
    if configured.lower() not in _ON | _OFF:
        return Path(configured).expanduser()
    return data_dir() / "documents.sqlite"


def store_enabled() -> bool:
    """False when ``$BENCHPLAN_STORE`` turns the default store off."""
    return os.environ.get(STORE_ENV, "").strip().lower() not in _OFF
