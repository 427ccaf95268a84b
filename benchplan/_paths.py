"""Where benchplan keeps its files: one data folder for the document store, the
station event logs, station files and the instrument lock files."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

__all__ = ["DATA_DIR_ENV", "data_dir"]

#: Environment variable that moves the data folder (tests point it at a temporary one).
DATA_DIR_ENV = "BENCHPLAN_DATA_DIR"


def data_dir() -> Path:
    """The folder benchplan keeps its data in (not created here).

    ``$BENCHPLAN_DATA_DIR`` when it is set, else the platform's user data folder
    from platformdirs (``~/.local/share/benchplan`` on Linux).
    """
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    with warnings.catch_warnings():  # platformdirs warns about unset XDG variables
        warnings.simplefilter("ignore")
        return Path(platformdirs.user_data_dir("benchplan", appauthor=False))
