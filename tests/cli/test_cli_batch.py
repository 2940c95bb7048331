"""Running batches on thread and process workers, interruption, dead workers."""

from __future__ import annotations

import io
import os
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pydicom
import pytest
from cli_support import (
    COMPRESSED_FILES,
    NATIVE_FILES,
    copy_real_files,
    corrupt_copy,
    not_dicom,
    temporary_leftovers,
)

from dicomcore.cli import batch
from dicomcore.cli.batch import default_workers, frame_threads, run_batch
from dicomcore.cli.convert import SYNTAXES, ConvertOptions
from dicomcore.cli.files import Job, plan_jobs
from dicomcore.cli.progress import NoProgress


def quiet(jobs: list[Job]):
    return lambda: NoProgress(len(jobs), 0, io.StringIO())


def mixed_tree(root: Path) -> None:
    copy_real_files(root, {**NATIVE_FILES, **COMPRESSED_FILES})
    not_dicom(root / "mr" / "notes.txt")
    corrupt_copy("MR_small.dcm", root / "mr" / "MR_corrupt.dcm")


def test_frame_threads_share_the_workers() -> None:
    assert frame_threads(8, 1) == 8
    assert frame_threads(8, 3) == 2
    assert frame_threads(8, 100) == 1
    assert frame_threads(1, 1) == 1
    assert frame_threads(2, 0) == 2


def test_default_workers_is_every_usable_core() -> None:
    assert default_workers() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("pool", ["thread", "process"])
def test_a_mixed_batch(tmp_path: Path, pool: str) -> None:
    mixed_tree(tmp_path / "in")
    jobs, inputs = plan_jobs(tmp_path / "in", tmp_path / "out")
    options = ConvertOptions(target=SYNTAXES["jpeg-ls"], verify=True)
    outcome = run_batch(jobs, inputs, options, quiet(jobs), workers=2, pool=pool)

    assert (outcome.workers, outcome.pool, outcome.interrupted) == (2, pool, False)
    assert [r.name for r in outcome.results] == [job.name for job in jobs]
    status = {r.name: r.status for r in outcome.results}
    assert status.pop("mr/notes.txt") == "failed"
    assert status.pop("mr/MR_corrupt.dcm") == "failed"
    assert status.pop("compressed/MR_small_jpeg_ls_lossless.dcm") == "copied"
    assert set(status.values()) == {"converted"}
    for name in status:
        np.testing.assert_array_equal(
            pydicom.dcmread(tmp_path / "out" / name).pixel_array,
            pydicom.dcmread(tmp_path / "in" / name).pixel_array,
        )
    assert not (tmp_path / "out" / "mr" / "notes.txt").exists()
    assert temporary_leftovers(tmp_path) == []


def test_workers_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        run_batch([], set(), ConvertOptions(), quiet([]), workers=0)
    with pytest.raises(ValueError, match="unknown pool"):
        run_batch([], set(), ConvertOptions(), quiet([]), workers=1, pool="fibres")


class _InterruptAfterFirst(NoProgress):
    def advance(self, size: int, failed: bool) -> None:
        super().advance(size, failed)
        if self.files == 1:
            raise KeyboardInterrupt


def test_an_interrupted_batch_stops_cleanly(tmp_path: Path) -> None:
    for copy in range(6):
        copy_real_files(tmp_path / "in" / str(copy), NATIVE_FILES)
    jobs, inputs = plan_jobs(tmp_path / "in", tmp_path / "out")
    messages = io.StringIO()
    outcome = run_batch(
        jobs, inputs, ConvertOptions(target=SYNTAXES["rle"]),
        lambda: _InterruptAfterFirst(len(jobs), 0, messages), workers=1,
    )
    assert outcome.interrupted
    assert "interrupted: finishing the files in progress" in messages.getvalue()
    # The file that was being converted is finished; queued ones are not started.
    assert 1 <= len(outcome.results) <= 1 + 1 + batch._QUEUED_PER_WORKER
    assert len(outcome.results) < len(jobs)
    written = sorted(p for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert len(written) == len(outcome.results)
    for path in written:
        source = tmp_path / "in" / path.relative_to(tmp_path / "out")
        np.testing.assert_array_equal(pydicom.dcmread(path).pixel_array,
                                      pydicom.dcmread(source).pixel_array)
    assert temporary_leftovers(tmp_path) == []


def test_largest_files_are_started_first(tmp_path: Path, monkeypatch) -> None:
    copy_real_files(tmp_path / "in", NATIVE_FILES)
    jobs, inputs = plan_jobs(tmp_path / "in", tmp_path / "out")
    started = []
    real = batch.convert_file

    def spy(job: Job, options, inputs):
        started.append(job.size)
        return real(job, options, inputs)

    monkeypatch.setattr(batch, "convert_file", spy)
    run_batch(jobs, inputs, ConvertOptions(target=SYNTAXES["rle"]), quiet(jobs), workers=1)
    assert len(started) == len(jobs)
    assert started == sorted(started, reverse=True)


def test_a_dead_worker_fails_its_file_only() -> None:
    job = Job("in/a.dcm", "out/a.dcm", "a.dcm", 123)
    future: Future = Future()
    future.set_exception(RuntimeError("A process in the process pool was terminated abruptly"))
    result = batch._result_of(future, job)
    assert (result.status, result.name, result.bytes_in) == ("failed", "a.dcm", 123)
    assert result.reason == (
        "worker failed: RuntimeError: A process in the process pool was terminated abruptly"
    )


def test_a_batch_leaves_warnings_and_logging_as_it_found_them(tmp_path: Path) -> None:
    import logging
    import warnings

    copy_real_files(tmp_path / "in", {"MR_small_padded.dcm": "MR_small_padded.dcm"})
    jobs, inputs = plan_jobs(tmp_path / "in", tmp_path / "out")
    logger = logging.getLogger("dicomcore")
    state = (warnings.showwarning, list(warnings.filters), logger.propagate,
             list(logger.handlers))
    outcome = run_batch(jobs, inputs, ConvertOptions(target=SYNTAXES["rle"]), quiet(jobs),
                        workers=1)
    assert "excess padding" in outcome.results[0].warnings[0]
    assert state == (warnings.showwarning, list(warnings.filters), logger.propagate,
                     list(logger.handlers))
