"""Running a batch of conversions on parallel workers.

Workers are threads by default, deliberately. The codecs (CharLS, OpenJPEG,
OpenJPH, our RLE) release the GIL, and so do file I/O and NumPy copies; what
holds it per file is parsing the header and building the output, a small part
of the work for images of a hundred kilobytes and more. Measured with
``benchmarks/bench_cli.py`` (real files to JPEG-LS and back, 2 workers on the
2-core development machine), thread workers were as fast as process workers
for large images and faster for small ones (1.20x against 1.05x of pydicom's
2-process loop below 100 kB), because starting processes and pickling results
costs more than the GIL takes. Threads also share the input list and start at
once. ``--pool process`` remains for many-core machines converting many tiny
files, where only separate interpreters scale the Python part.

Thread workers take the next file from a shared list and record its result
themselves, under a lock, while the main thread sleeps until they are done: a
main thread woken for every finished file would take the GIL from the workers
each time, which cost about 15% on a folder of small files. Process workers are
fed through futures, at most a few files per worker in flight, so a batch of a
million files does not queue a million futures. Either way the largest files go
first so that the batch does not end on one large file while the other workers
idle. Ctrl-C (or SIGTERM) stops taking new files; the files being written are
finished (each is renamed into place only when complete, see
:mod:`dicomcore.cli.files`) and the outcome says it was interrupted.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    wait,
)
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from dicomcore.cli.convert import ConvertOptions, FileResult, collect_warnings, convert_file
from dicomcore.cli.files import Job
from dicomcore.cli.progress import Progress

__all__ = [
    "BatchOutcome",
    "converting",
    "default_workers",
    "frame_threads",
    "prepare_process",
    "run_batch",
]

# Files queued per worker beyond the one it is converting.
_QUEUED_PER_WORKER = 2

_options: ConvertOptions | None = None
_inputs: set[tuple[int, int]] = set()


@dataclass
class BatchOutcome:
    """The results of a batch, in the order the files were planned."""

    results: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False
    workers: int = 1
    pool: str = "thread"


def default_workers() -> int:
    """Every core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def frame_threads(workers: int, files: int) -> int:
    """Codec threads per file: the workers that have no file of their own help.

    With fewer files than workers (one large multi-frame file, say), each file's
    frames are coded on ``workers // files`` threads; otherwise one each, so the
    machine is not oversubscribed.
    """
    return max(1, workers // max(1, min(workers, files)))


def prepare_process() -> None:
    """Process-wide settings for a worker process: warnings go to each file's result.

    The library both logs and warns about odd values (as pydicom does); the
    warning is what the report keeps, so the log records are not printed too.
    """
    collect_warnings()
    logger = logging.getLogger("dicomcore")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False


@contextmanager
def converting() -> Iterator[None]:
    """:func:`prepare_process` for this process, undone afterwards.

    Batches run in-process (thread workers, the demo, a library user's code)
    leave the warnings filters and the ``dicomcore`` logger as they found them.
    """
    logger = logging.getLogger("dicomcore")
    handlers, propagate = list(logger.handlers), logger.propagate
    with warnings.catch_warnings():
        prepare_process()
        try:
            yield
        finally:
            logger.handlers[:] = handlers
            logger.propagate = propagate


def _start_worker(options: ConvertOptions, inputs: set[tuple[int, int]]) -> None:
    global _options, _inputs
    # The parent handles Ctrl-C: a worker finishes its file and is then stopped.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    prepare_process()
    _options, _inputs = options, inputs


def _convert(job: Job) -> FileResult:
    assert _options is not None
    return convert_file(job, _options, _inputs)


def _process_executor(workers: int, options: ConvertOptions,
                      inputs: set[tuple[int, int]]) -> Executor:
    import multiprocessing

    # Forking is cheapest, but only safe while this process runs no other
    # thread (a lock held by one would stay locked in the child); otherwise
    # a fork server, which imports dicomcore once and forks from that.
    if threading.active_count() == 1:
        context = multiprocessing.get_context("fork")
    else:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["dicomcore.cli.convert"])
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=context,
        initializer=_start_worker, initargs=(options, inputs),
    )


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C, so a killed batch also stops cleanly."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _worker_failure(job: Job, exc: BaseException) -> FileResult:
    reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return FileResult(job.name, job.source, job.target, bytes_in=job.size,
                      reason=f"worker failed: {reason}")


def _result_of(future: Future[FileResult], job: Job) -> FileResult:
    try:
        return future.result()
    except BaseException as exc:  # noqa: BLE001  (a dead worker fails its file, not the batch)
        return _worker_failure(job, exc)


def _record(outcome: BatchOutcome, progress: Progress, result: FileResult) -> None:
    outcome.results.append(result)
    for warning in result.warnings:
        progress.message(f"{result.name}: warning: {warning}")
    if result.status == "failed":
        progress.message(f"{result.name}: FAILED: {result.reason}")
    progress.advance(result.bytes_in, result.status == "failed")


def _say_interrupted(progress: Progress) -> None:
    progress.message("interrupted: finishing the files in progress, starting no more")


def run_batch(
    jobs: list[Job],
    inputs: set[tuple[int, int]],
    options: ConvertOptions,
    make_progress: Callable[[], Progress],
    *,
    workers: int,
    pool: str = "thread",
) -> BatchOutcome:
    """Convert every job on ``workers`` parallel workers.

    Parameters
    ----------
    jobs : list of Job
    inputs : set of (st_dev, st_ino)
        Files no output may replace.
    options : ConvertOptions
    make_progress : callable
        Makes the reporter told about every finished file (closed at the end).
        It is made once the workers are running, so that a process pool forks
        before a progress bar starts its thread.
    workers : int
    pool : str
        ``"thread"`` or ``"process"``.

    Returns
    -------
    BatchOutcome
        One result per job that was started; ``interrupted`` when Ctrl-C or
        SIGTERM stopped the batch early.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    outcome = BatchOutcome(workers=workers, pool=pool)
    order = {job.source: number for number, job in enumerate(jobs)}
    started = time.perf_counter()
    # Largest files first: the batch then ends on small files that keep every
    # worker busy, not on one large file converting while the others idle.
    largest_first = sorted(jobs, key=lambda job: job.size, reverse=True)
    with converting():
        if pool == "thread":
            _run_threads(largest_first, inputs, options, make_progress, workers, outcome)
        elif pool == "process":
            _run_processes(largest_first, inputs, options, make_progress, workers, outcome)
        else:
            raise ValueError(f"unknown pool {pool!r}: use thread or process")
    outcome.seconds = time.perf_counter() - started
    outcome.results.sort(key=lambda result: order.get(result.source, 0))
    return outcome


def _run_threads(jobs: list[Job], inputs: set[tuple[int, int]], options: ConvertOptions,
                 make_progress: Callable[[], Progress], workers: int,
                 outcome: BatchOutcome) -> None:
    queue = iter(jobs)
    lock = threading.Lock()  # guards the queue, the outcome and the progress
    stop = threading.Event()
    failures: list[BaseException] = []  # from the progress, e.g. a closed terminal
    progress = make_progress()

    def work() -> None:
        while not stop.is_set():
            with lock:
                job = next(queue, None)
            if job is None:
                return
            try:
                result = convert_file(job, options, inputs)
            except BaseException as exc:  # noqa: BLE001  (convert_file reports bad files itself)
                result = _worker_failure(job, exc)
            with lock:
                try:
                    _record(outcome, progress, result)
                except BaseException as exc:  # noqa: BLE001  (re-raised in the main thread)
                    failures.append(exc)
                    stop.set()

    threads = [threading.Thread(target=work, name=f"dicomcore-{number}", daemon=True)
               for number in range(workers)]
    try:
        with _sigterm_interrupts():
            try:
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()  # Ctrl-C interrupts the wait, not the workers
                if failures:
                    raise failures[0]
            except KeyboardInterrupt:
                outcome.interrupted = True
                stop.set()
                with lock:
                    _say_interrupted(progress)
                for thread in threads:
                    if thread.is_alive():
                        thread.join()
    finally:
        progress.close()


def _run_processes(jobs: list[Job], inputs: set[tuple[int, int]], options: ConvertOptions,
                   make_progress: Callable[[], Progress], workers: int,
                   outcome: BatchOutcome) -> None:
    executor = _process_executor(workers, options, inputs)
    pending: dict[Future[FileResult], Job] = {}
    queue = iter(jobs)
    progress: Progress | None = None

    def fill() -> None:
        while len(pending) < workers * (1 + _QUEUED_PER_WORKER):
            job = next(queue, None)
            if job is None:
                return
            pending[executor.submit(_convert, job)] = job

    def finish(future: Future[FileResult]) -> None:
        assert progress is not None
        _record(outcome, progress, _result_of(future, pending.pop(future)))

    try:
        with _sigterm_interrupts():
            try:
                fill()
                # Made once the workers are forked, before a progress bar starts a thread.
                progress = make_progress()
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        finish(future)
                    fill()
            except KeyboardInterrupt:
                outcome.interrupted = True
                if progress is None:
                    progress = make_progress()
                _say_interrupted(progress)
                for future in list(pending):
                    if future.cancel():
                        del pending[future]
                for future in list(pending):
                    future.exception()  # waits for the file to be finished
                    finish(future)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        if progress is not None:
            progress.close()
