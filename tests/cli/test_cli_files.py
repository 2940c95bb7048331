"""Planning a batch (mirrored trees, inputs protected) and atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_support import NATIVE_FILES, copy_real_files, temporary_leftovers

from dicomcore.cli.files import (
    TEMPORARY_SUFFIX,
    OutputExistsError,
    OverwritesInputError,
    plan_jobs,
    write_atomically,
)


def test_a_folder_is_mirrored_in_sorted_order(tmp_path: Path) -> None:
    placed = copy_real_files(tmp_path / "in", NATIVE_FILES)
    jobs, inputs = plan_jobs(tmp_path / "in", tmp_path / "out")
    assert [job.name for job in jobs] == sorted(NATIVE_FILES)
    for job in jobs:
        assert Path(job.target) == tmp_path / "out" / job.name
        assert Path(job.source) == placed[job.name]
        assert job.size == placed[job.name].stat().st_size
    assert len(inputs) == len(NATIVE_FILES)


def test_a_file_goes_into_an_existing_folder_or_to_a_file_name(tmp_path: Path) -> None:
    source = copy_real_files(tmp_path, {"a/CT_small.dcm": "CT_small.dcm"})["a/CT_small.dcm"]
    (tmp_path / "dest").mkdir()
    jobs, _ = plan_jobs(source, tmp_path / "dest")
    assert Path(jobs[0].target) == tmp_path / "dest" / "CT_small.dcm"
    jobs, _ = plan_jobs(source, tmp_path / "renamed.dcm")
    assert Path(jobs[0].target) == tmp_path / "renamed.dcm"


def test_in_place_conversion_is_refused(tmp_path: Path) -> None:
    copy_real_files(tmp_path / "in", NATIVE_FILES)
    with pytest.raises(OverwritesInputError, match="the output folder is the input folder"):
        plan_jobs(tmp_path / "in", tmp_path / "in")
    with pytest.raises(OverwritesInputError, match="the output folder is the input folder"):
        plan_jobs(tmp_path / "in", tmp_path / "in" / "ct" / "..")
    source = tmp_path / "in" / "ct" / "CT_small.dcm"
    with pytest.raises(OverwritesInputError, match="the output is the input file"):
        plan_jobs(source, source)
    os.link(source, tmp_path / "hardlink.dcm")
    with pytest.raises(OverwritesInputError, match="the output is the input file"):
        plan_jobs(source, tmp_path / "hardlink.dcm")


def test_an_output_folder_inside_the_input_is_not_read(tmp_path: Path) -> None:
    copy_real_files(tmp_path / "in", NATIVE_FILES)
    copy_real_files(tmp_path / "in" / "converted", {"old.dcm": "MR_small.dcm"})
    jobs, _ = plan_jobs(tmp_path / "in", tmp_path / "in" / "converted")
    assert not [job for job in jobs if job.name.startswith("converted/")]
    assert len(jobs) == len(NATIVE_FILES)


def test_leftover_temporary_files_are_not_inputs(tmp_path: Path) -> None:
    copy_real_files(tmp_path / "in", {"MR_small.dcm": "MR_small.dcm"})
    (tmp_path / "in" / f".MR_small.dcm.abcd{TEMPORARY_SUFFIX}").write_bytes(b"partial")
    jobs, _ = plan_jobs(tmp_path / "in", tmp_path / "out")
    assert [job.name for job in jobs] == ["MR_small.dcm"]


def test_missing_input_and_folder_onto_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        plan_jobs(tmp_path / "nothing", tmp_path / "out")
    copy_real_files(tmp_path / "in", {"MR_small.dcm": "MR_small.dcm"})
    (tmp_path / "file").write_bytes(b"x")
    with pytest.raises(NotADirectoryError, match="the output must be one"):
        plan_jobs(tmp_path / "in", tmp_path / "file")


def test_write_atomically_creates_folders_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out.dcm"
    write_atomically(target, b"DICM data", inputs=set())
    assert target.read_bytes() == b"DICM data"
    assert temporary_leftovers(tmp_path) == []


def test_write_atomically_copies_a_file(tmp_path: Path) -> None:
    source = copy_real_files(tmp_path, {"CT_small.dcm": "CT_small.dcm"})["CT_small.dcm"]
    write_atomically(tmp_path / "copy.dcm", source, inputs=set())
    assert (tmp_path / "copy.dcm").read_bytes() == source.read_bytes()


def test_a_rejected_output_is_never_given_its_name(tmp_path: Path) -> None:
    target = tmp_path / "out.dcm"
    seen = []

    def reject(path: Path) -> None:
        seen.append(path.read_bytes())
        assert path.name.endswith(TEMPORARY_SUFFIX) and path.parent == tmp_path
        raise ValueError("verify: no")

    with pytest.raises(ValueError, match="verify: no"):
        write_atomically(target, b"complete bytes", inputs=set(), check=reject)
    assert seen == [b"complete bytes"]
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_an_interrupt_during_the_write_leaves_nothing(tmp_path: Path) -> None:
    def interrupted(path: Path) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(tmp_path / "out.dcm", b"x" * 1000, inputs=set(), check=interrupted)
    assert list(tmp_path.iterdir()) == []


def test_existing_outputs_are_kept_unless_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "out.dcm"
    target.write_bytes(b"old")
    with pytest.raises(OutputExistsError, match="--overwrite"):
        write_atomically(target, b"new", inputs=set())
    assert target.read_bytes() == b"old"
    write_atomically(target, b"new", inputs=set(), overwrite=True)
    assert target.read_bytes() == b"new"
    assert temporary_leftovers(tmp_path) == []


def test_an_output_appearing_meanwhile_is_not_replaced(tmp_path: Path) -> None:
    """The no-overwrite check happens again, race-free, when the file is put in place."""
    target = tmp_path / "out.dcm"

    def someone_else_writes(path: Path) -> None:
        target.write_bytes(b"theirs")

    with pytest.raises(OutputExistsError):
        write_atomically(target, b"ours", inputs=set(), check=someone_else_writes)
    assert target.read_bytes() == b"theirs"
    assert temporary_leftovers(tmp_path) == []


def test_inputs_are_never_replaced_even_with_overwrite(tmp_path: Path) -> None:
    source = copy_real_files(tmp_path, {"CT_small.dcm": "CT_small.dcm"})["CT_small.dcm"]
    original = source.read_bytes()
    status = source.stat()
    inputs = {(status.st_dev, status.st_ino)}
    os.link(source, tmp_path / "alias.dcm")
    for target in (source, tmp_path / "alias.dcm"):
        with pytest.raises(OverwritesInputError, match="would replace an input"):
            write_atomically(target, b"new", inputs=inputs, overwrite=True)
    assert source.read_bytes() == original
