"""The real command in a subprocess, over folders of real files."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pydicom
import pytest
from cli_support import (
    COMPRESSED_FILES,
    NATIVE_FILES,
    NO_PIXEL_FILES,
    REPOSITORY,
    copy_real_files,
    corrupt_copy,
    not_dicom,
    run_command,
    temporary_leftovers,
)

import datafiles
from dicomcore.cli.dump import dump_text

ALL_REAL = {**NATIVE_FILES, **COMPRESSED_FILES, **NO_PIXEL_FILES}


def digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def pixels(path: Path) -> np.ndarray:
    return pydicom.dcmread(path).pixel_array


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    """Real files, with a non-DICOM file and a corrupt one in the middle of the batch."""
    root = tmp_path / "in"
    copy_real_files(root, ALL_REAL)
    not_dicom(root / "mr" / "MR_notes.txt")
    corrupt_copy("MR_small.dcm", root / "mr" / "MR_small_corrupt.dcm")
    return root


@pytest.mark.parametrize("command", ["", "dump", "info", "compress", "decompress", "demo"])
def test_help_for_every_subcommand(command: str) -> None:
    result = run_command(*([command] if command else []), "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: dicomcore {command}".rstrip())
    for option in {"compress": ["--ts", "--workers", "--verify", "--jls-error", "--j2k-cr",
                                "--j2k-psnr", "--ext-offsets", "--overwrite"],
                   "decompress": ["--workers", "--verify"],
                   "dump": ["--stop-before-pixels", "--private", "--max-value-length"],
                   "": ["dump", "info", "compress", "decompress", "demo"]}.get(command, []):
        assert option in result.stdout


def test_compress_a_tree_with_bad_files_then_decompress_it(tmp_path: Path, batch: Path) -> None:
    before = digest(batch)
    out, back = tmp_path / "jls", tmp_path / "back"
    result = run_command("compress", batch, out, "--ts", "jpeg-ls", "--verify", "--workers", "2",
                         "--report", tmp_path / "report.json")
    assert result.returncode == 1, result.stderr
    assert digest(batch) == before  # inputs untouched

    # The bad files are reported with their reasons, the rest were converted.
    assert re.search(r"mr/MR_notes\.txt: FAILED: not a DICOM file", result.stderr)
    assert re.search(r"mr/MR_small_corrupt\.dcm: FAILED: cut short or corrupt: the data ends "
                     r"inside element \(7FE0,0010\)", result.stderr)
    summary = result.stdout.splitlines()
    assert summary[0] == "dicomcore compress to jpeg-ls: 2 thread workers"
    table = {line.split()[0]: line.split()[1] for line in summary[3:7]}
    converted = len(ALL_REAL) - 2  # the JPEG-LS input and the RT Plan are copied
    assert table == {"converted": str(converted), "copied": "2", "failed": "2",
                     "total": str(len(ALL_REAL) + 2)}
    assert any(line.endswith("failures: 2") and "files/s" in line and "MB/s" in line
               for line in summary)
    assert f"verified: {converted} files: {converted} exact" in summary
    assert summary[-3:-2] == ["failed files:"]
    total = len(ALL_REAL) + 2
    assert f"progress: {total}/{total} files (100%)" in result.stderr  # not a terminal: lines

    # The tree is mirrored; failed files have no output and nothing is half-written.
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == sorted(ALL_REAL)
    assert temporary_leftovers(tmp_path) == []
    for relative in NATIVE_FILES | COMPRESSED_FILES:
        assert pydicom.dcmread(out / relative).file_meta.TransferSyntaxUID == (
            pydicom.uid.JPEGLSLossless)
        np.testing.assert_array_equal(pixels(out / relative), pixels(batch / relative))
    assert (out / "rt/rtplan.dcm").read_bytes() == (batch / "rt/rtplan.dcm").read_bytes()

    report = json.loads((tmp_path / "report.json").read_text())
    reasons = {r["name"]: r["reason"] for r in report["results"] if r["status"] == "failed"}
    assert set(reasons) == {"mr/MR_notes.txt", "mr/MR_small_corrupt.dcm"}

    result = run_command("decompress", out, back, "--verify", "--workers", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "failures: 0" in result.stdout
    for relative in NATIVE_FILES | COMPRESSED_FILES:
        restored = pydicom.dcmread(back / relative)
        assert not restored.file_meta.TransferSyntaxUID.is_compressed
        np.testing.assert_array_equal(restored.pixel_array, pixels(batch / relative))


def test_outputs_are_kept_unless_overwrite(tmp_path: Path) -> None:
    source = copy_real_files(tmp_path / "in", NATIVE_FILES)
    out = tmp_path / "out"
    assert run_command("compress", tmp_path / "in", out, "--ts", "rle").returncode == 0
    first = digest(out)
    again = run_command("compress", tmp_path / "in", out, "--ts", "htj2k")
    assert again.returncode == 1
    assert again.stdout.count("exists (use --overwrite to replace outputs)") == len(source)
    assert digest(out) == first
    replaced = run_command("compress", tmp_path / "in", out, "--ts", "htj2k", "--overwrite")
    assert replaced.returncode == 0, replaced.stdout
    for relative in NATIVE_FILES:
        assert pydicom.dcmread(out / relative).file_meta.TransferSyntaxUID == (
            pydicom.uid.HTJ2KLossless)


def test_single_file_and_lossy_options(tmp_path: Path) -> None:
    source = datafiles.get("CT_small.dcm")
    near = run_command("compress", source, tmp_path / "near.dcm", "--ts", "jpeg-ls-near",
                       "--jls-error", "3", "--verify")
    assert near.returncode == 0, near.stdout + near.stderr
    assert "1 within the bound (max error 3)" in near.stdout
    error = np.abs(pixels(tmp_path / "near.dcm").astype(int) - pixels(source))
    assert error.max() == 3
    assert pydicom.dcmread(tmp_path / "near.dcm").file_meta.TransferSyntaxUID == (
        pydicom.uid.JPEGLSNearLossless)

    (tmp_path / "folder").mkdir()
    lossy = run_command("compress", source, tmp_path / "folder", "--ts", "j2k-lossy",
                        "--j2k-psnr", "80", "--verify", "--ext-offsets")
    assert lossy.returncode == 0, lossy.stdout + lossy.stderr
    assert re.search(r"1 lossy, PSNR min \d+\.\d dB", lossy.stdout)
    written = pydicom.dcmread(tmp_path / "folder" / "CT_small.dcm")
    assert written.LossyImageCompression == "01"
    assert "ExtendedOffsetTable" in written


@pytest.mark.parametrize(("arguments", "message"), [
    (["--ts", "rle", "--jls-error", "2"], "--jls-error is for --ts jpeg-ls-near"),
    (["--ts", "j2k", "--j2k-cr", "5"], "--j2k-cr and --j2k-psnr are for --ts j2k-lossy"),
    (["--ts", "j2k-lossy", "--j2k-cr", "5", "--j2k-psnr", "40"], "either --j2k-cr or"),
    (["--ts", "jpeg-ls-near", "--jls-error", "300"], "--jls-error must be 0 to 255"),
    (["--ts", "htj2k-lossy", "--quantization-step", "2"], "must be at most 1"),
])
def test_wrong_options_are_usage_errors(tmp_path: Path, arguments, message) -> None:
    result = run_command("compress", datafiles.get("MR_small.dcm"), tmp_path / "o.dcm",
                         *arguments)
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "o.dcm").exists()


def test_usage_errors(tmp_path: Path) -> None:
    copy_real_files(tmp_path / "in", NATIVE_FILES)
    before = digest(tmp_path / "in")
    in_place = run_command("compress", tmp_path / "in", tmp_path / "in", "--ts", "rle")
    assert in_place.returncode == 2
    assert "the output folder is the input folder" in in_place.stderr
    assert digest(tmp_path / "in") == before
    missing = run_command("decompress", tmp_path / "nothing", tmp_path / "out")
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    unknown = run_command("compress", tmp_path / "in", tmp_path / "out", "--ts", "jpeg-xl")
    assert unknown.returncode == 2 and "invalid choice: 'jpeg-xl'" in unknown.stderr
    workers = run_command("compress", tmp_path / "in", tmp_path / "out", "--ts", "rle",
                          "--workers", "0")
    assert workers.returncode == 2 and "must be at least 1" in workers.stderr


def test_process_workers_and_a_progress_bar(tmp_path: Path, batch: Path) -> None:
    result = run_command("compress", batch, tmp_path / "out", "--ts", "rle", "--pool", "process",
                         "--workers", "2", "--progress", "bar")
    assert result.returncode == 1
    assert "2 process workers" in result.stdout
    total = len(ALL_REAL) + 2
    assert re.search(rf"{total}/{total} \[.*file/s", result.stderr)
    assert re.search(r"MB/s, 2 failed", result.stderr)
    for relative in NATIVE_FILES:
        np.testing.assert_array_equal(pixels(tmp_path / "out" / relative),
                                      pixels(batch / relative))


@pytest.mark.parametrize(("signal_number", "pool"), [
    (signal.SIGTERM, "thread"), (signal.SIGINT, "thread"), (signal.SIGINT, "process"),
])
def test_an_interrupted_run_leaves_only_complete_files(tmp_path: Path, signal_number,
                                                       pool: str) -> None:
    source = copy_real_files(tmp_path, {"CT.dcm": "693_UNCR.dcm"})["CT.dcm"]
    folder = tmp_path / "in"
    folder.mkdir()
    for number in range(80):
        os.link(source, folder / f"CT{number:03d}.dcm")
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "dicomcore", "compress", str(folder), str(out), "--ts", "j2k",
         "--verify", "--workers", "1", "--pool", pool],
        cwd=REPOSITORY, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while not any(out.rglob("*.dcm")) and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal_number)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stdout + stderr
    assert "INTERRUPTED" in stdout
    assert "interrupted: finishing the files in progress" in stderr
    written = sorted(out.glob("*.dcm"))
    assert 1 <= len(written) < 80
    expected = pixels(source)
    for path in written:
        np.testing.assert_array_equal(pixels(path), expected)
    assert temporary_leftovers(tmp_path) == []


def test_info_and_dump(tmp_path: Path, batch: Path) -> None:
    info = run_command("info", batch)
    assert info.returncode == 1  # the two bad files
    lines = info.stdout.splitlines()
    assert len(lines) == 1 + len(ALL_REAL) + 2
    line = next(x for x in lines if x.startswith(str(batch / "multiframe" / "emri_small.dcm")))
    assert line.split()[1:] == ["ExplicitVRLittleEndian", "84256", "10", "64x64", "12/16",
                                "MONOCHROME2"]
    assert re.search(r"MR_notes\.txt +ERROR not a DICOM file", info.stdout)

    path = batch / "ct" / "CT_small.dcm"
    dump = run_command("dump", path, "--stop-before-pixels", "--max-value-length", "4")
    assert dump.returncode == 0
    assert dump.stdout == dump_text(path, stop_before_pixels=True, max_value_length=4) + "\n"
    assert "(7FE0,0010)" not in dump.stdout
    bad = run_command("dump", batch / "mr" / "MR_notes.txt")
    assert bad.returncode == 1 and "dicomcore dump: error:" in bad.stderr


def test_the_demo_runs_and_verifies() -> None:
    result = run_command("demo", "--slices", "3", "--size", "128")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 of 3 files written back byte-identical with the same values." in result.stdout
    assert result.stdout.rstrip().endswith("Everything verified.")
    rows = {line.split()[0]: line for line in result.stdout.splitlines()
            if line.split() and line.split()[0] in {"rle", "jpeg-ls", "jpeg-ls-near", "j2k",
                                                     "j2k-lossy", "htj2k", "deflate"}}
    assert rows["rle"].rstrip().endswith("exact")
    assert rows["jpeg-ls-near"].rstrip().endswith("<= 2")
    assert re.search(r"PSNR >= \d+\.\d dB$", rows["j2k-lossy"].rstrip())


def test_nothing_is_left_in_the_temporary_folder_by_the_demo(tmp_path: Path) -> None:
    environment = dict(os.environ, TMPDIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "dicomcore", "demo", "--slices", "2", "--size", "64"],
        cwd=REPOSITORY, capture_output=True, text=True, env=environment, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert list(tmp_path.iterdir()) == []
