"""RunProgress: a tqdm bar per run that knows how many points it will take."""

from __future__ import annotations

from typing import Any, TextIO

from event_model import DocumentRouter
from tqdm import tqdm

from ._core import run_label

__all__ = ["RunProgress"]


class RunProgress(DocumentRouter):
    """Show a progress bar for each run whose start document has ``num_points``.

    The bar counts the events of one stream (``'primary'``) against the
    start document's ``num_points`` and is closed by the run's stop
    document; a run that did not end with ``'success'`` shows its exit
    status and reason on the bar. Runs without ``num_points`` (a plan of
    unknown length) show nothing. Several runs, one after the other or
    open at once, each get their own bar.

    Parameters
    ----------
    stream : str, optional
        The stream whose events are counted.
    file : file-like, optional
        Where tqdm draws the bars; standard error by default.
    leave : bool, optional
        Keep each finished bar on screen (the default) or erase it.

    Without ``file``, bars go to the terminal (standard error) and are not drawn
    at all when it is redirected to a file or a pipe, so logs stay clean.
    **tqdm_kwargs
        Passed on to :class:`tqdm.tqdm` for every bar (``ncols``,
        ``mininterval``, ``disable``, ``unit``, ...).

    Examples
    --------
    >>> from benchplan.callbacks import RunProgress
    >>> RE(scan([det], motor, -1, 1, 30), RunProgress())  # doctest: +SKIP
    scan #3: 100%|██████████| 30/30 [00:01<00:00, 29.8pt/s]
    """

    def __init__(
        self,
        *,
        stream: str = "primary",
        file: TextIO | None = None,
        leave: bool = True,
        **tqdm_kwargs: Any,
    ) -> None:
        super().__init__()
        self._stream = stream
        self._tqdm_kwargs: dict[str, Any] = {"unit": "pt", "dynamic_ncols": True}
        if file is None:  # the terminal: no bar when it is redirected to a file or a pipe
            self._tqdm_kwargs["disable"] = None
        self._tqdm_kwargs.update(tqdm_kwargs, file=file, leave=leave)
        self._bars: dict[str, tqdm] = {}  # run uid -> bar
        self._bar_of_descriptor: dict[str, tqdm] = {}
        self._descriptors_of_run: dict[str, list[str]] = {}

    @property
    def bars(self) -> dict[str, tqdm]:
        """The bars of the runs now open, by run uid (a copy)."""
        return dict(self._bars)

    def start(self, doc: Any) -> None:
        total = doc.get("num_points")
        if isinstance(total, bool) or not isinstance(total, int) or total < 1:
            return
        self._bars[doc["uid"]] = tqdm(total=total, desc=run_label(doc), **self._tqdm_kwargs)
        self._descriptors_of_run[doc["uid"]] = []

    def descriptor(self, doc: Any) -> None:
        bar = self._bars.get(doc["run_start"])
        if bar is not None and doc.get("name") == self._stream:
            self._bar_of_descriptor[doc["uid"]] = bar
            self._descriptors_of_run[doc["run_start"]].append(doc["uid"])

    def event(self, doc: Any) -> None:  # type: ignore[override]  # returns nothing to pass on
        bar = self._bar_of_descriptor.get(doc["descriptor"])
        if bar is not None:
            bar.update(1)

    def event_page(self, doc: Any) -> None:  # type: ignore[override]
        bar = self._bar_of_descriptor.get(doc["descriptor"])
        if bar is not None:
            bar.update(len(doc["seq_num"]))

    def stop(self, doc: Any) -> None:
        run = doc["run_start"]
        bar = self._bars.pop(run, None)
        if bar is None:
            return
        for uid in self._descriptors_of_run.pop(run, ()):
            self._bar_of_descriptor.pop(uid, None)
        status = doc.get("exit_status", "success")
        if status != "success":
            reason = doc.get("reason") or ""
            bar.set_postfix_str(f"{status}: {reason}" if reason else status, refresh=False)
        bar.close()
