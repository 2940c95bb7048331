"""Helper threads for batches of frames, shared by every codec and the native unpacker.

The codecs release the GIL while they work, so frames of one image decode (or
encode) in parallel on plain Python threads. Starting threads for every batch
would cost more than decoding a few small frames, so helper threads are
started once, on first use, and kept; a forked child forgets them (its copies
of the threads do not run).

:func:`run_all` hands out frame indices from one shared counter to the calling
thread and to helpers. The caller works too, so a batch always finishes even
when every helper is busy elsewhere (another caller's batch, or a batch run
from inside a helper); helpers that had not started by then are cancelled.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["CPUS", "helpers", "run_all", "thread_count"]

Result = TypeVar("Result")

#: Asked once: os.cpu_count() costs microseconds, a small frame decodes in tens.
CPUS = os.cpu_count() or 1
# Threads are only started when a batch asks for them, so the cap is generous:
# callers may ask for more threads than CPUs.
_MAX_HELPERS = max(64, 4 * CPUS)

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def helpers() -> ThreadPoolExecutor:
    """The shared helper threads, for work that :func:`run_all` does not fit.

    Work submitted here must not wait for other work submitted here, or it
    could wait for a thread that never comes free.
    """
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_MAX_HELPERS, thread_name_prefix="dicomcore")
        return _pool


def _forget_helpers() -> None:
    global _pool, _pool_lock
    _pool = None
    _pool_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_helpers)


def thread_count(threads: int | None, jobs: int | None = None) -> int:
    """The threads a batch uses: ``threads`` (every CPU when None), at most one per job.

    Raises
    ------
    ValueError
        If ``threads`` is below 1.
    """
    if threads is None:
        threads = CPUS
    elif threads < 1:
        raise ValueError(f"threads must be at least 1, not {threads}")
    return threads if jobs is None else max(1, min(threads, jobs))


def run_all(jobs: int, threads: int, work: Callable[[int], Result]) -> list[Result]:
    """``[work(0), ..., work(jobs - 1)]``, computed on ``threads`` threads, the caller's included.

    On an error the threads stop taking new indices; every lower index had been
    taken by then, so once the running ones are done the error of the lowest
    index is the one raised, as a loop over the indices would raise it.
    """
    results: list[Any] = [None] * jobs
    threads = min(threads, jobs)
    if threads <= 1:
        for index in range(jobs):
            results[index] = work(index)
        return results

    counter = itertools.count()
    errors: dict[int, BaseException] = {}
    stop = threading.Event()

    def take_jobs() -> None:
        while not stop.is_set():
            index = next(counter)  # itertools.count is atomic under the GIL
            if index >= jobs:
                return
            try:
                results[index] = work(index)
            except BaseException as exc:  # re-raised in the caller's thread below
                errors[index] = exc
                stop.set()
                return

    pool = helpers()
    started = [pool.submit(take_jobs) for _ in range(threads - 1)]
    take_jobs()
    for helper in started:
        if not helper.cancel():
            helper.result()
    if errors:
        raise errors[min(errors)]
    return results
