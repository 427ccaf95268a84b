"""What the calling thread does while ``RE(...)`` blocks: wait, running main-thread hooks.

Callbacks run on the engine's loop thread; some work must happen on the main thread
(drawing with a GUI toolkit). A library registers such work with
:func:`add_main_thread_hook`; while a plan runs, the blocked caller runs the hooks
about 20 times a second.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

__all__ = ["add_main_thread_hook", "default_during_task", "remove_main_thread_hook"]

logger = logging.getLogger("benchplan.engine")

_hooks: list[Callable[[], None]] = []
_lock = threading.Lock()


def add_main_thread_hook(hook: Callable[[], None]) -> None:
    """Run ``hook()`` repeatedly on the thread blocked in ``RE(...)`` while a plan runs."""
    with _lock:
        if hook not in _hooks:
            _hooks.append(hook)


def remove_main_thread_hook(hook: Callable[[], None]) -> None:
    """Stop running ``hook``."""
    with _lock:
        if hook in _hooks:
            _hooks.remove(hook)


def default_during_task(done: threading.Event) -> None:
    """Wait until ``done`` is set, running the registered hooks meanwhile."""
    while not done.wait(0.05 if _hooks else 0.5):
        if threading.current_thread() is not threading.main_thread():
            continue
        for hook in list(_hooks):
            try:
                hook()
            except Exception:
                logger.exception("A main-thread hook failed; removing it")
                remove_main_thread_hook(hook)
