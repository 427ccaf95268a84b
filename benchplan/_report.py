"""The one function that shows text to the user at the prompt.

Library code logs with :mod:`logging`. What the user must *see* while a plan
runs -- a LiveTable's rows, a pause banner, a suspension notice -- goes
through :func:`report` instead of scattered ``print()`` calls, so that all of
it:

- goes to the same stream (standard output, looked up at each call so that
  ``contextlib.redirect_stdout``, pytest's ``capsys`` and Jupyter's captured
  output all work),
- is flushed at once (the prompt is not left waiting on a buffer while the
  plan blocks),
- does not tear a live tqdm progress bar: the line is written with
  :meth:`tqdm.tqdm.write`, which clears the bars sharing the terminal, writes,
  and redraws them, under tqdm's lock, so lines from several threads never
  interleave.
"""

from __future__ import annotations

import shutil
import sys
import textwrap
from typing import TextIO

from tqdm import tqdm

__all__ = ["notice", "report"]


def report(message: str, *, file: TextIO | None = None) -> None:
    """Show one message to the user, followed by a newline, and flush.

    Parameters
    ----------
    message : str
        The text to show. It may span several lines; a newline is added.
    file : file-like, optional
        Where to write. The default is ``sys.stdout`` as it is at the time of
        the call. If the stream is ``None`` (as under ``pythonw``), nothing is
        written.

    Examples
    --------
    >>> from benchplan._report import report
    >>> report("Suspending: the beam is down.")
    Suspending: the beam is down.
    """
    stream = sys.stdout if file is None else file
    if stream is None:
        return
    tqdm.write(message, file=stream)
    flush = getattr(stream, "flush", None)
    if flush is not None:
        flush()


def notice(message: str, *, file: TextIO | None = None) -> None:
    """Show a notice (a suspension, a resume), wrapped to the terminal's width.

    Each paragraph is wrapped at word boundaries, continuation lines indented by two
    spaces, so a long notice never breaks mid-word at 80 columns.

    Examples
    --------
    >>> from benchplan._report import notice
    >>> notice("Suspending: the beam is down.")
    Suspending: the beam is down.
    """
    width = max(40, min(100, shutil.get_terminal_size((80, 24)).columns - 1))
    lines = [
        textwrap.fill(paragraph, width=width, subsequent_indent="  ", break_on_hyphens=False)
        for paragraph in message.splitlines() or [""]
    ]
    report("\n".join(lines), file=file)
