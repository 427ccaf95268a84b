"""Where benchplan keeps its data by default, and whether the default store is on."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

__all__ = ["DATA_DIR_ENV", "STORE_ENV", "data_dir", "default_store_path", "store_enabled"]

#: Environment variable naming the data folder (tests point it at a temporary folder).
DATA_DIR_ENV = "BENCHPLAN_DATA_DIR"
#: Environment variable that turns the default document store off (``off``, ``0``,
#: ``no``) or names another file for it.
STORE_ENV = "BENCHPLAN_STORE"

_OFF = frozenset({"off", "0", "no", "false", "none"})
_ON = frozenset({"", "on", "1", "yes", "true"})


def data_dir() -> Path:
    """The folder benchplan keeps its data in.

    ``$BENCHPLAN_DATA_DIR`` when it is set, else the user data folder of the
    platform (``~/.local/share/benchplan`` on Linux), as platformdirs finds
    it. The folder is not made here.

    Examples
    --------
    >>> from benchplan.store._paths import data_dir
    >>> data_dir().name  # doctest: +SKIP
    'benchplan'
    """
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Path(platformdirs.user_data_dir("benchplan", appauthor=False))


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
