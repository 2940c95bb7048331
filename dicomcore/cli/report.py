"""The end of a batch: a summary table, the failures, and a JSON report."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from dicomcore.cli.batch import BatchOutcome
from dicomcore.cli.convert import FileResult
from dicomcore.cli.progress import MEGABYTE

__all__ = ["format_summary", "format_table", "human_bytes", "write_json_report"]


def human_bytes(count: float) -> str:
    """``count`` bytes in B, kB, MB or GB (powers of 1000)."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return f"{count / size:.2f} {unit}"
    return f"{int(count)} B"


def format_table(header: Sequence[str], rows: Sequence[Sequence[Any]], align: str = "") -> str:
    """Rows as text columns under a ruled header.

    ``align`` has one letter per column, ``l`` or ``r``; by default the first
    column is left-aligned and the others right-aligned.
    """
    align = align or "l" + "r" * (len(header) - 1)
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for number, row in enumerate(cells):
        parts = [c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(row, widths, align)]
        lines.append("  ".join(parts).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _ratio(bytes_in: int, bytes_out: int) -> str:
    return f"{bytes_in / bytes_out:.2f}" if bytes_out else "-"


def _verification_line(results: Sequence[FileResult]) -> str:
    verified = [r for r in results if r.verified]
    if not verified:
        return ""
    exact = sum(r.verified == "exact" for r in verified)
    parts = [f"{exact} exact"] if exact else []
    bounded = [r.max_error for r in verified if r.verified.startswith("max error")]
    if bounded:
        parts.append(f"{len(bounded)} within the bound (max error {max(bounded):g})")
    psnrs = [r.psnr for r in verified if r.psnr is not None]
    if psnrs:
        finite = [p for p in psnrs if math.isfinite(p)]
        low = f"{min(finite):.1f} dB" if finite else "inf"
        parts.append(f"{len(psnrs)} lossy, PSNR min {low}")
    return f"verified: {len(verified)} files: " + ", ".join(parts)


def format_summary(outcome: BatchOutcome, action: str) -> str:
    """The table printed after a batch: files, bytes in and out, ratio, time, failures.

    Parameters
    ----------
    outcome : BatchOutcome
    action : str
        What the batch did, e.g. ``"compress to JPEG-LS Lossless"``.
    """
    results = outcome.results
    rows = []
    for status in ("converted", "copied", "failed"):
        group = [r for r in results if r.status == status]
        if not group:
            continue
        bytes_in = sum(r.bytes_in for r in group)
        bytes_out = sum(r.bytes_out for r in group)
        rows.append((status, len(group), human_bytes(bytes_in),
                     human_bytes(bytes_out) if status != "failed" else "-",
                     _ratio(bytes_in, bytes_out) if status != "failed" else "-"))
    written = [r for r in results if r.status != "failed"]
    total_in = sum(r.bytes_in for r in results)
    total_out = sum(r.bytes_out for r in written)
    rows.append(("total", len(results), human_bytes(total_in), human_bytes(total_out),
                 _ratio(sum(r.bytes_in for r in written), total_out)))
    seconds = max(outcome.seconds, 1e-9)
    failures = [r for r in results if r.status == "failed"]
    lines = [
        f"dicomcore {action}: {outcome.workers} {outcome.pool} worker"
        f"{'s' if outcome.workers != 1 else ''}",
        format_table(("files", "count", "bytes in", "bytes out", "ratio"), rows),
        f"time {outcome.seconds:.2f} s, {len(results) / seconds:.1f} files/s, "
        f"{total_in / MEGABYTE / seconds:.1f} MB/s in; failures: {len(failures)}",
    ]
    verification = _verification_line(results)
    if verification:
        lines.append(verification)
    if outcome.interrupted:
        lines.append("INTERRUPTED: files not started were left out; no partial file was written")
    if failures:
        lines.append("failed files:")
        lines.extend(f"  {r.name}: {r.reason}" for r in failures)
    return "\n".join(lines)


def write_json_report(path: Path, outcome: BatchOutcome, action: str) -> None:
    """Every file's result, and the totals, as JSON (for pipelines)."""

    def clean(value: Any) -> Any:
        return None if isinstance(value, float) and not math.isfinite(value) else value

    files = [{k: clean(v) for k, v in asdict(r).items()} for r in outcome.results]
    report = {
        "action": action,
        "workers": outcome.workers,
        "pool": outcome.pool,
        "seconds": outcome.seconds,
        "interrupted": outcome.interrupted,
        "files": len(files),
        "failures": sum(r.status == "failed" for r in outcome.results),
        "bytes_in": sum(r.bytes_in for r in outcome.results),
        "bytes_out": sum(r.bytes_out for r in outcome.results),
        "results": files,
    }
    path.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
