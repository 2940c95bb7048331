"""Which files a batch command reads and writes, and writing them safely.

An input tree is mirrored into an output tree. Outputs are first written under
a temporary name in the target folder and renamed into place only when they are
complete (and verified), so an interrupted run never leaves a half-written file
under a real name. No output may replace an input: the inputs' identities
(device and inode) are kept and every target is checked against them.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "TEMPORARY_SUFFIX",
    "Job",
    "OutputExistsError",
    "OverwritesInputError",
    "plan_jobs",
    "write_atomically",
]

# Temporary outputs end with this; they are never taken as inputs, so the
# leftovers of a killed run do not get converted by the next one.
TEMPORARY_SUFFIX = ".dicomcore-tmp"


class OverwritesInputError(ValueError):
    """An output would replace one of the inputs."""


class OutputExistsError(FileExistsError):
    """An output file exists and overwriting was not asked for."""


@dataclass(frozen=True)
class Job:
    """One file to convert.

    Attributes
    ----------
    source, target : str
        The input file and where its output goes.
    name : str
        How the file is named in messages: its path relative to the input folder.
    size : int
        The input's size in bytes when the batch was planned.
    """

    source: str
    target: str
    name: str
    size: int


def _walk_files(folder: Path, skip: Path | None) -> Iterator[Path]:
    """Every file below ``folder`` in a stable (sorted) order, leaving out ``skip``."""
    for directory, subdirectories, names in os.walk(folder):
        here = Path(directory)
        subdirectories.sort()
        if skip is not None:
            subdirectories[:] = [d for d in subdirectories if (here / d).resolve() != skip]
        for name in sorted(names):
            if not name.endswith(TEMPORARY_SUFFIX):
                yield here / name


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def plan_jobs(source: Path, target: Path) -> tuple[list[Job], set[tuple[int, int]]]:
    """The files to convert from ``source`` to ``target``, and the inputs' identities.

    Parameters
    ----------
    source : Path
        A file, or a folder whose tree is converted (recursively).
    target : Path
        For a file: the output file, or an existing folder to put it in. For a
        folder: the output folder (created as needed); the tree is mirrored.

    Returns
    -------
    jobs : list of Job
    inputs : set of (st_dev, st_ino)
        The identities of the input files, which no output may replace.

    Raises
    ------
    FileNotFoundError
        If ``source`` does not exist.
    OverwritesInputError
        If the output is the input, or the output folder is the input folder.
    NotADirectoryError
        If ``source`` is a folder and ``target`` an existing file.
    """
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such file or folder")
    source_resolved = source.resolve()
    target_resolved = target.resolve()
    if source.is_dir():
        if target.exists() and not target.is_dir():
            raise NotADirectoryError(f"{target}: the input is a folder, so the output must be one")
        if target_resolved == source_resolved:
            raise OverwritesInputError(
                f"{target}: the output folder is the input folder; converting in place "
                "would overwrite the inputs"
            )
        # An output folder inside the input folder must not be read as input.
        skip = target_resolved if _inside(target_resolved, source_resolved) else None
        paths = list(_walk_files(source, skip))
        targets = [target / path.relative_to(source) for path in paths]
        names = [path.relative_to(source).as_posix() for path in paths]
    else:
        paths = [source]
        targets = [target / source.name if target.is_dir() else target]
        names = [source.name]
    jobs = []
    inputs: set[tuple[int, int]] = set()
    for path, output, name in zip(paths, targets, names):
        try:
            status = path.stat()
        except OSError:
            size = 0  # a dangling link: its job fails with the reason when read
        else:
            size = status.st_size
            inputs.add((status.st_dev, status.st_ino))
        jobs.append(Job(str(path), str(output), name, size))
    if not source.is_dir() and jobs and _identity(Path(jobs[0].target)) in inputs:
        raise OverwritesInputError(f"{target}: the output is the input file")
    return jobs, inputs


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_dev, status.st_ino


def write_atomically(
    target: Path,
    content: bytes | bytearray | memoryview | Path,
    *,
    inputs: set[tuple[int, int]],
    overwrite: bool = False,
    check: Callable[[Path], None] | None = None,
) -> None:
    """Write ``content`` to ``target`` so that ``target`` is either absent or complete.

    The bytes go to a temporary file in the target's folder (so the final rename
    stays on one file system and is atomic, POSIX ``rename(2)``), ``check`` may
    examine that file (raising to reject it), and only then is it given the
    target's name. The temporary file is removed on any failure, including
    KeyboardInterrupt.

    Parameters
    ----------
    target : Path
    content : bytes-like or Path
        The bytes to write, or a file to copy.
    inputs : set of (st_dev, st_ino)
        Files that must never be replaced (the batch's inputs).
    overwrite : bool
        Replace an existing ``target`` (never an input). Without it an existing
        target raises OutputExistsError, checked race-free by hard-linking the
        finished file into place.
    check : callable, optional
        Called with the temporary file's path before it is renamed.

    Raises
    ------
    OverwritesInputError, OutputExistsError, OSError
    """
    if _identity(target) in inputs:
        raise OverwritesInputError(f"{target}: the output would replace an input file")
    if not overwrite and target.exists():
        raise OutputExistsError(f"{target}: exists (use --overwrite to replace outputs)")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}{TEMPORARY_SUFFIX}")
    try:
        if isinstance(content, Path):
            shutil.copyfile(content, temporary)
        else:
            with open(temporary, "xb") as stream:
                stream.write(content)
        if check is not None:
            check(temporary)
        if overwrite:
            if _identity(target) in inputs:
                raise OverwritesInputError(f"{target}: the output would replace an input file")
            os.replace(temporary, target)
        else:
            _link_without_replacing(temporary, target)
    finally:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass


def _link_without_replacing(temporary: Path, target: Path) -> None:
    """Give ``temporary``'s file the name ``target``, failing if ``target`` exists."""
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise OutputExistsError(
            f"{target}: exists (use --overwrite to replace outputs)"
        ) from None
    except OSError:
        # A file system without hard links: the existence check above must do.
        if target.exists():
            raise OutputExistsError(
                f"{target}: exists (use --overwrite to replace outputs)"
            ) from None
        os.replace(temporary, target)
