"""Header and full-read throughput: dicomcore vs pydicom 3 (and dicomsdl), in one run.

(a) ``dcmread(stop_before_pixels=True)`` from memory, then 10 common tags read;
(b) full read from memory, then every element's value read (recursing into
sequences); (c) ``import`` time in a fresh interpreter.

Prints files/s per library and the ratios, and writes
``benchmarks/results/read.json``. The machine is shared, so compare ratios,
which are taken in one run, not absolute figures.

    python benchmarks/bench_read.py [--quick]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import bench_setup  # noqa: F401  first: sets up sys.path and the OpenBLAS threads

import datafiles

HERE = Path(__file__).resolve().parent

TAGS = [
    "Rows", "Columns", "BitsAllocated", "PixelSpacing", "RescaleSlope", "RescaleIntercept",
    "SOPInstanceUID", "SeriesInstanceUID", "PatientID", "Modality",
]


def corpus() -> list[bytes]:
    """Real files that every library here reads without force."""
    import pydicom

    files = []
    for path in datafiles.test_files() + datafiles.data_store_files():
        data = path.read_bytes()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(io.BytesIO(data))
                for elem in ds.iterall():
                    elem.value  # noqa: B018
        except Exception:
            continue
        files.append(data)
    return files


# -- the workloads, one function per library --------------------------------------

def dicomcore_header(data: bytes) -> None:
    import dicomcore

    ds = dicomcore.dcmread(data, stop_before_pixels=True)
    for keyword in TAGS:
        getattr(ds, keyword, None)


def pydicom_header(data: bytes) -> None:
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True)
    for keyword in TAGS:
        getattr(ds, keyword, None)


def dicomsdl_header(data: bytes) -> None:
    import dicomsdl

    ds = dicomsdl.open_memory(data, False, 0x7FE00010)
    for keyword in TAGS:
        getattr(ds, keyword, None)


def _touch_dataset(ds) -> None:
    for elem in ds:
        value = elem.value
        if elem.VR == "SQ":
            for item in value:
                _touch_dataset(item)


def dicomcore_full(data: bytes) -> None:
    import dicomcore

    _touch_dataset(dicomcore.dcmread(data))


def pydicom_full(data: bytes) -> None:
    import pydicom

    _touch_dataset(pydicom.dcmread(io.BytesIO(data)))


def _touch_sdl(ds) -> None:
    for elem in ds:
        value = elem.value()
        if type(value).__name__ == "Sequence":
            for i in range(value.size()):
                _touch_sdl(value.getDataSet(i))


def dicomsdl_full(data: bytes) -> None:
    import dicomsdl

    _touch_sdl(dicomsdl.open_memory(data, False))


def files_per_second(function, files: list[bytes], repeats: int) -> float:
    """Best of ``repeats`` passes over ``files``."""
    rates = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(repeats):
            start = time.perf_counter()
            for data in files:
                function(data)
            rates.append(len(files) / (time.perf_counter() - start))
    return max(rates)


def import_seconds(module: str, repeats: int) -> float:
    """Median wall time of ``import module`` in a fresh interpreter."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    # As users run it: with bytecode caching on (some sandboxes turn it off)
    # and the .pyc files already written by a first import.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE.parent), env.get("PYTHONPATH")]))
    subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, check=True)
    times = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, env=env)
        times.append(float(out.stdout))
    return statistics.median(times)


def usable(function, files: list[bytes]) -> list[bytes]:
    ok = []
    for data in files:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                function(data)
        except Exception:
            continue
        ok.append(data)
    return ok


def dicomsdl_safe(files: list[bytes]) -> list[bytes]:
    """The files dicomsdl reads without crashing the process (it segfaults on some).

    A child process reads them in turn and reports each success; after a
    crash, the files after the one that crashed it are tried again.
    """
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for number, data in enumerate(files):
            path = Path(folder) / f"{number}.dcm"
            path.write_bytes(data)
            paths.append(str(path))
        code = (
            "import sys, bench_read\n"
            "for number, path in enumerate(sys.argv[1:]):\n"
            "    try:\n"
            "        bench_read.dicomsdl_full(open(path, 'rb').read())\n"
            "        print('ok', number, flush=True)\n"
            "    except Exception:\n"
            "        print('error', number, flush=True)\n"
        )
        good: list[int] = []
        start = 0
        while start < len(paths):
            out = subprocess.run([sys.executable, "-c", code, *paths[start:]],
                                 capture_output=True, text=True, cwd=HERE)
            reported = [line.split() for line in out.stdout.splitlines()]
            good += [start + int(n) for status, n in reported if status == "ok"]
            start += len(reported) + (out.returncode != 0)
    return [files[i] for i in good]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few seconds, for smoke tests")
    args = parser.parse_args()
    repeats = 2 if args.quick else 5
    files = corpus()
    if args.quick:
        files = files[:20]
    try:
        import dicomsdl  # noqa: F401

        have_dicomsdl = True
    except ImportError:
        have_dicomsdl = False
    # Every library gets the same files: those all of them read.
    common = usable(dicomcore_full, files)
    if have_dicomsdl:
        common = dicomsdl_safe(common)
    results: dict[str, dict[str, float]] = {"header": {}, "full": {}, "import_s": {}}
    libraries = [("dicomcore", dicomcore_header, dicomcore_full),
                 ("pydicom", pydicom_header, pydicom_full)]
    if have_dicomsdl:
        libraries.append(("dicomsdl", dicomsdl_header, dicomsdl_full))
    for name, header, full in libraries:
        results["header"][name] = files_per_second(header, common, repeats)
        results["full"][name] = files_per_second(full, common, repeats)
    for module in ("dicomcore", "pydicom"):
        results["import_s"][module] = import_seconds(module, 3 if args.quick else 9)
    results["files"] = {"count": len(common), "bytes": sum(len(f) for f in common)}

    print(f"{len(common)} real files, {results['files']['bytes'] / 1e6:.1f} MB, from memory\n")
    print(f"{'workload':<34}{'dicomcore':>12}{'pydicom':>12}{'dicomsdl':>12}{'vs pydicom':>12}{'vs dicomsdl':>13}")
    for key, label in (("header", "(a) header + 10 tags, files/s"),
                       ("full", "(b) full read + all values, files/s")):
        row = results[key]
        ours = row["dicomcore"]
        sdl = row.get("dicomsdl")
        print(f"{label:<34}{ours:>12.0f}{row['pydicom']:>12.0f}"
              f"{(f'{sdl:.0f}' if sdl else '-'):>12}{ours / row['pydicom']:>11.1f}x"
              f"{(f'{ours / sdl:.2f}x' if sdl else '-'):>13}")
    imports = results["import_s"]
    print(f"{'(c) import time, ms':<34}{imports['dicomcore'] * 1e3:>12.1f}{imports['pydicom'] * 1e3:>12.1f}"
          f"{'':>12}{imports['dicomcore'] / imports['pydicom']:>11.2f}x")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "read.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
