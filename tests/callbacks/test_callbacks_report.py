"""benchplan._report.report: the one way text reaches the user's prompt."""

from __future__ import annotations

import contextlib
import io

from tqdm import tqdm

from benchplan._report import report


class Recorder(io.StringIO):
    def __init__(self):
        super().__init__()
        self.flushes = 0

    def flush(self):
        self.flushes += 1
        super().flush()


def test_report_writes_a_line_to_stdout(capsys):
    report("Suspending: the beam is down.")
    assert capsys.readouterr() == ("Suspending: the beam is down.\n", "")


def test_report_follows_stdout_redirection():
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        report("two\nlines")
    assert buf.getvalue() == "two\nlines\n"


def test_report_flushes_the_given_file():
    out = Recorder()
    report("hello", file=out)
    assert out.getvalue() == "hello\n"
    assert out.flushes >= 1


def test_report_keeps_a_live_progress_bar_intact():
    out = io.StringIO()
    with tqdm(total=4, file=out, desc="scan", mininterval=0) as bar:
        bar.update(1)
        report("a line", file=out)
        cleared_and_redrawn = out.getvalue().split("a line\n", 1)[1]
        assert "scan:  25%" in cleared_and_redrawn  # the bar comes back below the line
