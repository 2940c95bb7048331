"""The helper threads every codec's batch functions share (dicomcore._workers)."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from dicomcore import _workers
from dicomcore._workers import run_all, thread_count


@pytest.mark.parametrize("threads", [1, 2, 3, 8])
@pytest.mark.parametrize("jobs", [0, 1, 2, 7, 100])
def test_results_come_back_in_index_order(jobs, threads):
    assert run_all(jobs, threads, lambda i: i * i) == [i * i for i in range(jobs)]


def test_work_runs_on_several_threads():
    seen: set[int] = set()
    both_running = threading.Barrier(2, timeout=10)

    def work(index: int) -> None:
        seen.add(threading.get_ident())
        if index < 2:
            both_running.wait()  # fails unless two threads hold a job at once

    run_all(4, 2, work)
    assert len(seen) == 2


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_the_lowest_failing_index_is_raised(threads):
    def work(index: int) -> int:
        if index in (3, 7):
            raise ValueError(f"job {index}")
        return index

    with pytest.raises(ValueError, match="job 3"):
        run_all(10, threads, work)


def _within(seconds: float, call) -> object:
    """call(), or a test failure if it has not returned after ``seconds``."""
    outcome: list[object] = []
    runner = threading.Thread(target=lambda: outcome.append(call()), daemon=True)
    runner.start()
    runner.join(seconds)
    assert outcome, f"still running after {seconds} s"
    return outcome[0]


def test_a_batch_inside_a_helper_finishes_when_no_helper_is_free(monkeypatch):
    # One helper thread: the outer batch's job 1 runs on it and starts an inner batch,
    # whose own helper task can never start. The caller does the inner work itself
    # and does not wait for that task.
    monkeypatch.setattr(_workers, "_pool", ThreadPoolExecutor(max_workers=1))
    inner = lambda: run_all(3, 2, lambda i: i + 10)  # noqa: E731
    outer = _within(20, lambda: run_all(2, 2, lambda i: inner() if i == 1 else i))
    assert outer == [0, [10, 11, 12]]


def test_thread_count():
    assert thread_count(None) == _workers.CPUS
    assert thread_count(None, 1) == 1
    assert thread_count(5, 3) == 3
    assert thread_count(2, 0) == 1
    with pytest.raises(ValueError, match="at least 1, not 0"):
        thread_count(0, 4)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_starts_its_own_helpers():
    assert run_all(4, 2, lambda i: i) == [0, 1, 2, 3]  # the parent's helpers exist now
    pid = os.fork()
    if pid == 0:  # the child: its copy of the parent's helper threads does not run
        ok = False
        try:
            both_running = threading.Barrier(2, timeout=5)
            run_all(2, 2, lambda i: both_running.wait())  # needs a helper that runs
            ok = True
        finally:
            os._exit(0 if ok else 1)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail("the forked child's batch did not finish")
