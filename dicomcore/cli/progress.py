"""Progress of a batch: a tqdm bar on a terminal, plain lines otherwise.

Both show files/s and MB/s (megabytes of input read per second). Messages about
single files (failures, warnings) go through the reporter so that they do not
break the bar.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

__all__ = ["BarProgress", "LineProgress", "NoProgress", "Progress", "make_progress"]

MEGABYTE = 1_000_000


class Progress:
    """Counts finished files and input bytes; subclasses show them."""

    def __init__(self, total_files: int, total_bytes: int, stream: TextIO) -> None:
        self.total_files = total_files
        self.total_bytes = total_bytes
        self.stream = stream
        self.files = 0
        self.bytes = 0
        self.failures = 0
        self.started = time.perf_counter()

    def rates(self) -> tuple[float, float]:
        """Files per second and megabytes (of input) per second so far."""
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        return self.files / elapsed, self.bytes / MEGABYTE / elapsed

    def advance(self, size: int, failed: bool) -> None:
        """Count one finished file of ``size`` input bytes."""
        self.files += 1
        self.bytes += size
        self.failures += failed
        self._shown()

    def message(self, text: str) -> None:
        """Print a line about one file."""
        print(text, file=self.stream, flush=True)

    def close(self) -> None:
        """Finish the display."""

    def _shown(self) -> None:
        pass


class NoProgress(Progress):
    """Shows nothing but the messages."""


class LineProgress(Progress):
    """A plain status line at most every ``interval`` seconds, and one at the end.

    For logs and pipes, where a redrawn bar would be noise.
    """

    def __init__(self, total_files: int, total_bytes: int, stream: TextIO,
                 interval: float = 2.0) -> None:
        super().__init__(total_files, total_bytes, stream)
        self.interval = interval
        self.last_line = self.started

    def line(self) -> str:
        files_per_s, megabytes_per_s = self.rates()
        percent = 100.0 * self.files / self.total_files if self.total_files else 100.0
        return (
            f"progress: {self.files}/{self.total_files} files ({percent:.0f}%), "
            f"{files_per_s:.1f} files/s, {megabytes_per_s:.1f} MB/s, {self.failures} failed"
        )

    def _shown(self) -> None:
        now = time.perf_counter()
        if now - self.last_line >= self.interval:
            self.last_line = now
            print(self.line(), file=self.stream, flush=True)

    def close(self) -> None:
        print(self.line(), file=self.stream, flush=True)


class BarProgress(Progress):
    """A tqdm bar counting files, with MB/s and failures after it."""

    def __init__(self, total_files: int, total_bytes: int, stream: TextIO) -> None:
        super().__init__(total_files, total_bytes, stream)
        from tqdm import tqdm

        self.bar: Any = tqdm(
            total=total_files, unit="file", file=stream, dynamic_ncols=True, smoothing=0.1
        )

    def _shown(self) -> None:
        _, megabytes_per_s = self.rates()
        self.bar.set_postfix_str(f"{megabytes_per_s:.1f} MB/s, {self.failures} failed",
                                 refresh=False)
        self.bar.update(1)

    def message(self, text: str) -> None:
        self.bar.write(text, file=self.stream)

    def close(self) -> None:
        self.bar.close()


def make_progress(mode: str, total_files: int, total_bytes: int,
                  stream: TextIO | None = None) -> Progress:
    """The reporter for ``--progress`` ``mode``.

    Parameters
    ----------
    mode : str
        ``"auto"`` (a bar when ``stream`` is a terminal, else lines), ``"bar"``,
        ``"lines"`` or ``"none"``.
    total_files, total_bytes : int
        The size of the batch.
    stream : text file, optional
        Where progress goes (default ``sys.stderr``, keeping stdout for results).
    """
    stream = sys.stderr if stream is None else stream
    if mode == "auto":
        mode = "bar" if stream.isatty() else "lines"
    if mode == "bar":
        return BarProgress(total_files, total_bytes, stream)
    if mode == "lines":
        return LineProgress(total_files, total_bytes, stream)
    if mode == "none":
        return NoProgress(total_files, total_bytes, stream)
    raise ValueError(f"unknown progress mode {mode!r}: use auto, bar, lines or none")
