"""``dicomcore compress``/``decompress`` against a pydicom 3 + pyjpegls loop.

The job: convert a folder of real files to JPEG-LS Lossless and back again
(compress into one folder, decompress that into another), as a pipeline user
converting an archive would. Measured in one process, after imports:

* dicomcore: the command itself (``dicomcore.cli.main``, the same code as the
  console script), ``--workers 1`` and ``--workers 2``, with thread and with
  process workers;
* pydicom 3: ``dcmread``, ``Dataset.compress(JPEGLSLossless,
  encoding_plugin="pyjpegls")``, ``save_as``; then ``dcmread``,
  ``decompress()``, ``save_as``; in a loop for 1 worker and on a process pool
  of 2 for 2 workers (pydicom is Python-bound, so processes are its best case).

Both keep the SOP Instance UID (lossless coding makes no new instance). The data
are the real, uncompressed images from pydicom's test files and pydicom-data
that both libraries can code in JPEG-LS (2 to 16 bits stored), each file once.
Figures are files per second for the whole round trip, the best of ``--repeat``
runs (the contenders take turns); the ratios are what to compare on a shared
machine, and the 2-worker figures only mean something when two cores are free.

Writes ``benchmarks/results/cli.json``.

Usage: ``python3 benchmarks/bench_cli.py [--repeat N] [--limit N]``
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import math
import os
import platform
import shutil
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import bench_setup  # first: sets up sys.path and the OpenBLAS threads
import numpy as np

ROOT = bench_setup.ROOT

import pydicom  # noqa: E402
from pydicom.uid import JPEGLSLossless  # noqa: E402

import datafiles  # noqa: E402
import dicomcore  # noqa: E402
from dicomcore.cli import main as dicomcore_main  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


# -- data -----------------------------------------------------------------------------------


def _pydicom_can(path: Path) -> bool:
    try:
        ds = pydicom.dcmread(path)
        if "PixelData" not in ds or ds.file_meta.TransferSyntaxUID.is_compressed:
            return False
        if not 2 <= int(ds.BitsStored) <= 16:
            return False
        ds.compress(JPEGLSLossless, encoding_plugin="pyjpegls", generate_instance_uid=False)
        ds.save_as(io.BytesIO())
        return True
    except Exception:  # noqa: BLE001  (anything pydicom cannot do is left out)
        return False


def _dicomcore_can(path: Path) -> bool:
    try:
        ds = dicomcore.dcmread(path)
        ds.compress(dicomcore.uid.JPEGLSLossless, generate_instance_uid=False)
        return True
    except Exception:  # noqa: BLE001
        return False


def gather(folder: Path, limit: int | None) -> list[Path]:
    """Copy the real files both libraries can convert into ``folder``."""
    folder.mkdir(parents=True)
    chosen = []
    seen = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in datafiles.all_files():
            data = path.read_bytes()
            if data in seen or not (_pydicom_can(path) and _dicomcore_can(path)):
                continue
            seen.add(data)
            target = folder / datafiles.file_id(path).replace("/", "__")
            shutil.copyfile(path, target)
            chosen.append(target)
            if limit and len(chosen) >= limit:
                break
    return chosen


# -- the contenders ---------------------------------------------------------------------------


def _pydicom_compress(job: tuple[str, str]) -> None:
    source, target = job
    ds = pydicom.dcmread(source)
    ds.compress(JPEGLSLossless, encoding_plugin="pyjpegls", generate_instance_uid=False)
    ds.save_as(target)


def _pydicom_decompress(job: tuple[str, str]) -> None:
    source, target = job
    ds = pydicom.dcmread(source)
    ds.decompress(decoding_plugin="pyjpegls", generate_instance_uid=False)
    ds.save_as(target)


def _quiet_worker() -> None:
    warnings.simplefilter("ignore")


def pydicom_round_trip(files: list[Path], work: Path, workers: int) -> float:
    compressed, restored = work / "jls", work / "back"
    compressed.mkdir()
    restored.mkdir()
    first = [(str(p), str(compressed / p.name)) for p in files]
    second = [(str(compressed / p.name), str(restored / p.name)) for p in files]
    start = time.perf_counter()
    if workers == 1:
        for job in first:
            _pydicom_compress(job)
        for job in second:
            _pydicom_decompress(job)
    else:
        with ProcessPoolExecutor(workers, initializer=_quiet_worker) as pool:
            list(pool.map(_pydicom_compress, first, chunksize=4))
            list(pool.map(_pydicom_decompress, second, chunksize=4))
    return time.perf_counter() - start


def dicomcore_round_trip(folder: Path, work: Path, workers: int, pool: str) -> float:
    compressed, restored = work / "jls", work / "back"
    common = ["--workers", str(workers), "--pool", pool, "--progress", "none"]
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        first = dicomcore_main(["compress", str(folder), str(compressed), "--ts", "jpeg-ls",
                                *common])
        second = dicomcore_main(["decompress", str(compressed), str(restored), *common])
    elapsed = time.perf_counter() - start
    if first or second:
        raise SystemExit(f"dicomcore failed (exit {first}, {second}) in {work}")
    return elapsed


def check_outputs(files: list[Path], work: Path) -> None:
    """The round trip gives back every original pixel, and pydicom reads our files."""
    for path in files:
        original = pydicom.dcmread(path).pixel_array
        for folder in ("jls", "back"):
            again = pydicom.dcmread(work / folder / path.name).pixel_array
            if not np.array_equal(original, again):
                raise SystemExit(f"{path.name}: {folder} pixels differ from the original")


def measure(files: list[Path], folder: Path, base: Path, repeat: int) -> dict[str, float]:
    """Best seconds for the round trip of ``folder`` by every contender and worker count.

    The contenders take turns within each repetition, so a change in the load of
    the shared machine falls on all of them alike.
    """
    contenders: dict[str, Callable[[Path], float]] = {}
    for workers in (1, 2):
        contenders[f"pydicom+pyjpegls, {workers} worker"] = (
            lambda w, n=workers: pydicom_round_trip(files, w, n))
        for pool in ("thread", "process"):
            contenders[f"dicomcore, {pool} pool, {workers} worker"] = (
                lambda w, n=workers, p=pool: dicomcore_round_trip(folder, w, n, p))
    best = dict.fromkeys(contenders, math.inf)
    for number in range(repeat):
        for name, run in contenders.items():
            work = base / f"run{number}"
            work.mkdir()
            best[name] = min(best[name], run(work))
            shutil.rmtree(work)
    return best


# File size classes (bytes): below 100 kB a file's time is mostly reading and
# writing its header; from 1 MB on it is mostly the codec's.
SIZE_CLASSES = (
    ("under 100 kB", 0, 100_000),
    ("100 kB to 1 MB", 100_000, 1_000_000),
    ("1 MB and more", 1_000_000, 1 << 62),
)


def parallel_speedup() -> float:
    """How much faster two threads hash than one right now (2.0: two free cores)."""
    data = bytes(32 << 20)

    def work() -> None:
        hashlib.sha256(data).digest()  # releases the GIL

    start = time.perf_counter()
    work()
    work()
    one = time.perf_counter() - start
    start = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return one / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, help="use at most N files")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    report: dict[str, object] = {
        "benchmark": "folder of real files to JPEG-LS Lossless and back (files/s)",
        "repeat": args.repeat,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "load_average": os.getloadavg()},
        "versions": {"pydicom": pydicom.__version__},
        "sets": {},
    }
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as temporary:
        base = Path(temporary)
        files = gather(base / "all", args.limit)
        probe = base / "probe"
        probe.mkdir()
        dicomcore_round_trip(base / "all", probe, 2, "thread")
        check_outputs(files, probe)
        shutil.rmtree(probe)
        before = parallel_speedup()
        print(f"{len(files)} real files; JPEG-LS Lossless and back; best of {args.repeat}; "
              f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; two threads ran "
              f"{before:.2f}x one")

        timings = {}
        for number, (name, low, high) in enumerate(SIZE_CLASSES):
            folder = base / f"class{number}"
            folder.mkdir()
            chosen = [p for p in files if low <= p.stat().st_size < high]
            for path in chosen:
                os.link(path, folder / path.name)
            chosen = [folder / p.name for p in chosen]
            megabytes = sum(p.stat().st_size for p in chosen) / 1e6
            timings[name] = (len(chosen), megabytes, measure(chosen, folder, base, args.repeat))
        count = sum(t[0] for t in timings.values())
        megabytes = sum(t[1] for t in timings.values())
        first = next(iter(timings.values()))[2]
        combined = {key: sum(t[2][key] for t in timings.values()) for key in first}
        timings["all files (sum of the classes)"] = (count, megabytes, combined)
        after = parallel_speedup()
        report["two_threads_vs_one"] = {"before": before, "after": after}
        print(f"two threads ran {after:.2f}x one at the end")

    for name, (count, megabytes, rows) in timings.items():
        print(f"\n{name}: {count} files, {megabytes:.1f} MB")
        print(f"{'':36}{'seconds':>9}{'files/s':>10}{'vs pydicom':>12}")
        results = []
        for contender, seconds in rows.items():
            workers = 1 if contender.endswith("1 worker") else 2
            speedup = rows[f"pydicom+pyjpegls, {workers} worker"] / seconds
            print(f"{contender:36}{seconds:9.3f}{count / seconds:10.1f}{speedup:11.2f}x")
            results.append({"name": contender, "workers": workers, "seconds": seconds,
                            "files_per_s": count / seconds, "speedup_vs_pydicom": speedup})
        report["sets"][name] = {"files": count, "megabytes": megabytes,  # type: ignore[index]
                                "results": results}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cli.json").write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
