"""The summary table and the JSON report."""

from __future__ import annotations

import json
import math
from pathlib import Path

from dicomcore.cli.batch import BatchOutcome
from dicomcore.cli.convert import FileResult
from dicomcore.cli.report import format_summary, format_table, human_bytes, write_json_report


def outcome() -> BatchOutcome:
    results = [
        FileResult("a.dcm", "in/a.dcm", "out/a.dcm", "converted", 4_000_000, 1_000_000,
                   verified="exact", max_error=0.0),
        FileResult("b.dcm", "in/b.dcm", "out/b.dcm", "converted", 2_000_000, 1_000_000,
                   verified="max error 2", max_error=2.0),
        FileResult("c.dcm", "in/c.dcm", "out/c.dcm", "copied", 500_000, 500_000,
                   reason="no (7FE0,0010) Pixel Data"),
        FileResult("d.txt", "in/d.txt", "out/d.txt", "failed", 1_500, reason="not a DICOM file"),
        FileResult("e.dcm", "in/e.dcm", "out/e.dcm", "converted", 1_000_000, 100_000,
                   verified="PSNR 48.0 dB", psnr=48.0),
        FileResult("f.dcm", "in/f.dcm", "out/f.dcm", "converted", 1_000_000, 100_000,
                   verified="PSNR inf dB", psnr=math.inf),
    ]
    return BatchOutcome(results, seconds=2.0, workers=2, pool="thread")


def test_human_bytes() -> None:
    assert [human_bytes(n) for n in (0, 999, 1000, 1_234_567, 5e9)] == [
        "0 B", "999 B", "1.00 kB", "1.23 MB", "5.00 GB"
    ]


def test_format_table_aligns_columns() -> None:
    text = format_table(("name", "n"), [("a", 1), ("long name", 100)])
    assert text.splitlines() == ["name         n", "---------  ---", "a            1",
                                 "long name  100"]
    assert format_table(("a", "b"), [("x", "y")], align="rl").splitlines()[2] == "x  y"


def test_summary_has_files_bytes_ratio_time_and_failures() -> None:
    text = format_summary(outcome(), "compress to jpeg-ls")
    lines = text.splitlines()
    assert lines[0] == "dicomcore compress to jpeg-ls: 2 thread workers"
    table = {line.split()[0]: line.split() for line in lines[3:7]}
    assert table["converted"] == ["converted", "4", "8.00", "MB", "2.20", "MB", "3.64"]
    assert table["copied"] == ["copied", "1", "500.00", "kB", "500.00", "kB", "1.00"]
    assert table["failed"] == ["failed", "1", "1.50", "kB", "-", "-"]
    assert table["total"] == ["total", "6", "8.50", "MB", "2.70", "MB", "3.15"]
    assert "time 2.00 s, 3.0 files/s, 4.3 MB/s in; failures: 1" in lines
    assert ("verified: 4 files: 1 exact, 1 within the bound (max error 2), "
            "2 lossy, PSNR min 48.0 dB") in lines
    assert lines[-2:] == ["failed files:", "  d.txt: not a DICOM file"]


def test_summary_says_when_interrupted() -> None:
    interrupted = outcome()
    interrupted.interrupted = True
    assert "INTERRUPTED" in format_summary(interrupted, "decompress")


def test_json_report(tmp_path: Path) -> None:
    write_json_report(tmp_path / "r.json", outcome(), "compress to jpeg-ls")
    report = json.loads((tmp_path / "r.json").read_text())
    assert (report["files"], report["failures"], report["bytes_in"]) == (6, 1, 8_501_500)
    assert report["bytes_out"] == 2_700_000
    by_name = {r["name"]: r for r in report["results"]}
    assert by_name["d.txt"]["reason"] == "not a DICOM file"
    assert by_name["f.dcm"]["psnr"] is None  # infinity is not JSON
    assert by_name["e.dcm"]["psnr"] == 48.0
