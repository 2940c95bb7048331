"""Progress display: tqdm on a terminal, plain lines otherwise."""

from __future__ import annotations

import io
import re

import pytest

from dicomcore.cli import progress as progress_module
from dicomcore.cli.progress import BarProgress, LineProgress, NoProgress, make_progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auto_is_a_bar_on_a_terminal_and_lines_otherwise() -> None:
    bar = make_progress("auto", 3, 300, _Terminal())
    assert isinstance(bar, BarProgress)
    bar.close()
    assert isinstance(make_progress("auto", 3, 300, io.StringIO()), LineProgress)
    assert isinstance(make_progress("none", 3, 300, io.StringIO()), NoProgress)
    with pytest.raises(ValueError, match="unknown progress mode 'fancy'"):
        make_progress("fancy", 1, 1, io.StringIO())


def test_lines_report_files_rates_and_failures(monkeypatch) -> None:
    clock = iter([100.0, 100.5, 103.0, 104.0, 104.0, 104.0])
    monkeypatch.setattr(progress_module.time, "perf_counter", lambda: next(clock))
    stream = io.StringIO()
    lines = LineProgress(4, 4_000_000, stream, interval=2.0)  # started at 100.0
    lines.advance(1_000_000, failed=False)  # 100.5: too soon for a line
    assert stream.getvalue() == ""
    lines.advance(1_000_000, failed=True)  # 103.0: a line; rates at 104.0
    lines.message("b.dcm: FAILED: reason")
    lines.close()  # 104.0
    shown = stream.getvalue().splitlines()
    assert shown == [
        "progress: 2/4 files (50%), 0.5 files/s, 0.5 MB/s, 1 failed",
        "b.dcm: FAILED: reason",
        "progress: 2/4 files (50%), 0.5 files/s, 0.5 MB/s, 1 failed",
    ]


def test_the_bar_counts_files_and_shows_megabytes_per_second() -> None:
    stream = _Terminal()
    bar = BarProgress(2, 2_000_000, stream)
    bar.advance(1_000_000, failed=False)
    bar.message("a.dcm: warning: something")
    bar.advance(1_000_000, failed=True)
    bar.close()
    text = stream.getvalue()
    assert "a.dcm: warning: something" in text
    assert re.search(r"2/2 \[", text)
    assert "file/s" in text or "files/s" in text or "s/file" in text
    assert re.search(r"\d+\.\d MB/s, 1 failed", text)
