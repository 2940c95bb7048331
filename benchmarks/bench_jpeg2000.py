"""JPEG 2000 and HTJ2K throughput: dicomcore against pylibjpeg-openjpeg, imagecodecs and GDCM.

Every codec runs in the same process on the same real frames, so the ratios
hold on a noisy, shared machine even when the absolute MB/s do not. Figures
are megabytes of decoded pixels per second, the best of repeated runs.

Data (real files from pydicom's test data and pydicom-data):

* ``CT 16-bit``: four 512 x 512 CT frames, signed 16-bit: the two 693 slices
  and eCT_Supplemental's two frames (eight with their mirror images, for the
  multi-frame runs).
* ``RGB 8-bit``: US1's 480 x 640 colour ultrasound frame and its mirror images.

Measured, all lossless:

* J2K decode of one frame on one thread, and of all frames on 1 and 2
  threads (dicomcore's frame pool; pylibjpeg-openjpeg frame by frame, it has
  no threads; imagecodecs with ``numthreads``; GDCM reading a DICOM file).
* J2K encode of one frame and of all frames on 1 and 2 threads
  (pylibjpeg-openjpeg's encoder is only ever called from one thread: it
  crashes the process when two threads call it).
* HTJ2K decode (dicomcore through OpenJPH and through OpenJPEG, imagecodecs,
  pylibjpeg-openjpeg, GDCM) and HTJ2K encode (dicomcore, imagecodecs: nobody
  else encodes HTJ2K), set against J2K decode/encode of the same frames.

Writes ``benchmarks/results/jpeg2000.json`` and ``benchmarks/results/jpeg2000.png``
(when matplotlib is installed).

Usage: ``python3 benchmarks/bench_jpeg2000.py [--quick]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import bench_setup  # first: sets up sys.path and the OpenBLAS threads
import numpy as np

ROOT = bench_setup.ROOT

import pydicom  # noqa: E402

import datafiles  # noqa: E402
from dicomcore.codecs import htj2k, jpeg2000  # noqa: E402
from encapsulated_files import write_image_file  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
J2K_LOSSLESS = "1.2.840.10008.1.2.4.90"
HTJ2K_LOSSLESS = "1.2.840.10008.1.2.4.201"


@dataclass
class Case:
    name: str
    frames: np.ndarray  # (n, rows, columns[, samples])
    bits_stored: int
    photometric: str

    @property
    def frame_bytes(self) -> int:
        return self.frames[0].nbytes


def _pixels(name: str) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(datafiles.get(name)).pixel_array


def load_cases(frame_count: int) -> list[Case]:
    ct = [_pixels("693_UNCR.dcm"), _pixels("693_UNCI.dcm"), *_pixels("eCT_Supplemental.dcm")]
    ct = [frame.astype(np.int16) for frame in ct]
    ct += [frame[::-1].copy() for frame in ct]
    rgb = _pixels("US1_UNCR.dcm")
    rgb_frames = [rgb, rgb[::-1], rgb[:, ::-1], rgb[::-1, ::-1]] * 2
    return [
        Case("CT 16-bit", np.ascontiguousarray(np.stack(ct[:frame_count])), 16, "MONOCHROME2"),
        Case("RGB 8-bit", np.ascontiguousarray(np.stack(rgb_frames[:frame_count])), 8, "RGB"),
    ]


def best_seconds(run: Callable[[], object], repeats: int, budget: float) -> float:
    """The fastest of at least ``repeats`` runs, and of more while ``budget`` seconds last.

    Frames that take milliseconds get hundreds of runs, so that one slow start
    (page faults, a neighbour on this shared machine) does not decide a ratio.
    """
    best = float("inf")
    started = time.perf_counter()
    runs = 0
    while runs < repeats or (time.perf_counter() - started < budget and runs < 1000):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
        runs += 1
    return best


def best_seconds_on_one_core(run: Callable[[], object], repeats: int, budget: float) -> float:
    """:func:`best_seconds` on a thread pinned to one CPU, with every thread it starts.

    GDCM starts OpenJPEG threads on every core by itself; pinning is the only way to
    time it on one core, so that its "1 thread" rows compare like with like.
    """
    measured: list[float] = []

    def pinned() -> None:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        measured.append(best_seconds(run, repeats, budget))

    worker = threading.Thread(target=pinned)
    worker.start()
    worker.join()
    return measured[0]


def write_dicom(path: Path, frames: list[bytes], case: Case, syntax: str) -> None:
    """A DICOM file holding ``frames`` for GDCM to read (written by pydicom)."""
    photometric = jpeg2000.encoded_photometric_interpretation(case.photometric, lossless=True)
    write_image_file(path, frames, case.frames[0], syntax, case.bits_stored,
                     case.frames.dtype.kind == "i", photometric)


def gdcm_reader(path: Path) -> Callable[[], object] | None:
    try:
        import gdcm
    except ImportError:
        return None

    def run() -> object:
        reader = gdcm.ImageReader()
        reader.SetFileName(str(path))
        if not reader.Read():
            raise RuntimeError(f"GDCM cannot read {path}")
        return reader.GetImage().GetBuffer()

    return run


def gdcm_j2k_encoder(path: Path) -> Callable[[], object] | None:
    """GDCM re-encoding an uncompressed file's image to JPEG 2000 Lossless.

    GDCM converts the reader's image in place, so every run reads the file
    again (a fraction of a millisecond next to the encode).
    """
    try:
        import gdcm
    except ImportError:
        return None

    def run() -> object:
        reader = gdcm.ImageReader()
        reader.SetFileName(str(path))
        reader.Read()
        change = gdcm.ImageChangeTransferSyntax()
        change.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.JPEG2000Lossless))
        change.SetInput(reader.GetImage())
        if not change.Change():
            raise RuntimeError("GDCM could not encode")
        return change.GetOutput().GetBuffer()

    return run


def measure(cases: list[Case], repeats: int, budget: float, workdir: Path) -> list[dict]:
    rows: list[dict] = []
    for case in cases:
        measure_case(case, repeats, budget, workdir, rows)
    return rows


def measure_case(case: Case, repeats: int, budget: float, workdir: Path, rows: list[dict]) -> None:
    import imagecodecs
    import openjpeg

    def record(case: Case, task: str, library: str, threads: int, seconds: float,
               megabytes: float) -> None:
        rows.append({
            "case": case.name, "task": task, "library": library, "threads": threads,
            "mb_per_s": megabytes / seconds,
        })

    def record_gdcm(task: str, run: Callable[[], object] | None, megabytes: float) -> None:
        """GDCM on one core (the single-thread comparison) and with its own threads."""
        if run is not None:
            record(case, task, "GDCM", 1, timed(run, one_core=True), megabytes)
            record(case, task, "GDCM (own threads)", os.cpu_count() or 1, timed(run), megabytes)

    frames = case.frames
    count = len(frames)
    first = frames[0]
    signed = int(frames.dtype.kind == "i")
    one_mb = case.frame_bytes / 1e6
    all_mb = one_mb * count
    kwargs = {"bits_stored": case.bits_stored, "pixel_representation": signed,
              "photometric_interpretation": case.photometric}
    j2k = jpeg2000.encode_frames(frames, threads=2, **kwargs)
    ht = htj2k.encode_frames(frames, threads=2, **kwargs)

    def timed(run: Callable[[], object], one_core: bool = False) -> float:
        if one_core:
            return best_seconds_on_one_core(run, repeats, budget)
        return best_seconds(run, repeats, budget)

    # J2K decode, one frame, one thread
    task = "J2K decode, 1 frame"
    record(case, task, "dicomcore", 1, timed(lambda: jpeg2000.decode_frame(j2k[0])), one_mb)
    record(case, task, "pylibjpeg-openjpeg", 1, timed(lambda: openjpeg.decode(j2k[0])),
           one_mb)
    record(case, task, "imagecodecs", 1,
           timed(lambda: imagecodecs.jpeg2k_decode(j2k[0], numthreads=1)), one_mb)
    record(case, task, "dicomcore", 2,
           timed(lambda: jpeg2000.decode_frame(j2k[0], threads=2)), one_mb)
    single = workdir / f"{case.name}-j2k-1.dcm"
    write_dicom(single, j2k[:1], case, J2K_LOSSLESS)
    record_gdcm(task, gdcm_reader(single), one_mb)

    # J2K decode, every frame, 1 and 2 threads
    task = f"J2K decode, {count} frames"
    for threads in (1, 2):
        record(case, task, "dicomcore", threads,
               timed(lambda t=threads: jpeg2000.decode_frames(j2k, threads=t)), all_mb)
    record(case, task, "pylibjpeg-openjpeg", 1,
           timed(lambda: [openjpeg.decode(f) for f in j2k]), all_mb)
    for threads in (1, 2):
        record(case, task, "imagecodecs", threads,
               timed(lambda t=threads: [imagecodecs.jpeg2k_decode(f, numthreads=t)
                                        for f in j2k]), all_mb)
    multi = workdir / f"{case.name}-j2k-n.dcm"
    write_dicom(multi, j2k, case, J2K_LOSSLESS)
    record_gdcm(task, gdcm_reader(multi), all_mb)

    # J2K encode
    task = "J2K encode, 1 frame"
    record(case, task, "dicomcore", 1, timed(lambda: jpeg2000.encode_frame(first, **kwargs)),
           one_mb)
    photometric = 1 if case.photometric == "RGB" else 0
    record(case, task, "pylibjpeg-openjpeg", 1,
           timed(lambda: openjpeg.encode(first, bits_stored=case.bits_stored,
                                         photometric_interpretation=photometric)), one_mb)
    record(case, task, "imagecodecs", 1,
           timed(lambda: imagecodecs.jpeg2k_encode(first, level=0, reversible=True,
                                                   numthreads=1)), one_mb)
    raw = workdir / f"{case.name}-raw.dcm"
    write_dicom(raw, [first.tobytes()], case, J2K_LOSSLESS)
    native = pydicom.dcmread(raw)
    native.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    native.PixelData = first.tobytes()
    native.PhotometricInterpretation = case.photometric
    native["PixelData"].VR = "OB" if first.itemsize == 1 else "OW"
    native.save_as(raw, enforce_file_format=True)
    record_gdcm(task, gdcm_j2k_encoder(raw), one_mb)

    task = f"J2K encode, {count} frames"
    for threads in (1, 2):
        record(case, task, "dicomcore", threads,
               timed(lambda t=threads: jpeg2000.encode_frames(frames, threads=t, **kwargs)),
               all_mb)

    # HTJ2K decode and encode
    task = "HTJ2K decode, 1 frame"
    record(case, task, "dicomcore (OpenJPH)", 1,
           timed(lambda: htj2k.decode_frame(ht[0], decoder="openjph")), one_mb)
    record(case, task, "dicomcore (OpenJPEG)", 1,
           timed(lambda: htj2k.decode_frame(ht[0], decoder="openjpeg")), one_mb)
    record(case, task, "pylibjpeg-openjpeg", 1, timed(lambda: openjpeg.decode(ht[0])),
           one_mb)
    record(case, task, "imagecodecs", 1, timed(lambda: imagecodecs.htj2k_decode(ht[0])),
           one_mb)
    single = workdir / f"{case.name}-ht-1.dcm"
    write_dicom(single, ht[:1], case, HTJ2K_LOSSLESS)
    record_gdcm(task, gdcm_reader(single), one_mb)

    task = f"HTJ2K decode, {count} frames"
    for threads in (1, 2):
        record(case, task, "dicomcore (OpenJPH)", threads,
               timed(lambda t=threads: htj2k.decode_frames(ht, threads=t,
                                                           decoder="openjph")), all_mb)

    task = "HTJ2K encode, 1 frame"
    record(case, task, "dicomcore", 1, timed(lambda: htj2k.encode_frame(first, **kwargs)),
           one_mb)
    record(case, task, "imagecodecs", 1,
           timed(lambda: imagecodecs.htj2k_encode(first, reversible=True)), one_mb)
    task = f"HTJ2K encode, {count} frames"
    for threads in (1, 2):
        record(case, task, "dicomcore", threads,
               timed(lambda t=threads: htj2k.encode_frames(frames, threads=t, **kwargs)),
               all_mb)
    rows.append({"case": case.name, "task": "compressed bytes per frame",
                 "library": "dicomcore", "threads": 0,
                 "j2k": int(np.mean([len(f) for f in j2k])),
                 "htj2k": int(np.mean([len(f) for f in ht])),
                 "raw": case.frame_bytes})


def speed(rows: list[dict], case: str, task_start: str, library: str, threads: int) -> float:
    for row in rows:
        if (row["case"] == case and row["task"].startswith(task_start)
                and row["library"] == library and row["threads"] == threads):
            return row["mb_per_s"]
    return float("nan")


def goals(rows: list[dict]) -> list[dict]:
    """The issue's targets, as measured ratios."""
    checks = []
    for case in sorted({row["case"] for row in rows}):
        ours_1 = speed(rows, case, "J2K decode, 1 frame", "dicomcore", 1)
        checks.append({
            "case": case, "goal": "J2K decode >= GDCM (1 frame, 1 thread)", "target": 1.0,
            "ratio": ours_1 / speed(rows, case, "J2K decode, 1 frame", "GDCM", 1)})
        many = [r["task"] for r in rows if r["case"] == case and "J2K decode," in r["task"]
                and "frames" in r["task"] and not r["task"].startswith("HT")][0]
        checks.append({
            "case": case, "goal": "J2K multi-frame decode, 2 threads >= 1.8x pylibjpeg-openjpeg",
            "target": 1.8,
            "ratio": speed(rows, case, many, "dicomcore", 2)
            / speed(rows, case, many, "pylibjpeg-openjpeg", 1)})
        checks.append({
            "case": case, "goal": "HTJ2K decode (OpenJPH) >= 3x GDCM", "target": 3.0,
            "ratio": speed(rows, case, "HTJ2K decode, 1 frame", "dicomcore (OpenJPH)", 1)
            / speed(rows, case, "HTJ2K decode, 1 frame", "GDCM", 1)})
        checks.append({
            "case": case, "goal": "HTJ2K encode >= 8x our J2K encode", "target": 8.0,
            "ratio": speed(rows, case, "HTJ2K encode, 1 frame", "dicomcore", 1)
            / speed(rows, case, "J2K encode, 1 frame", "dicomcore", 1)})
        checks.append({
            "case": case, "goal": "HTJ2K decode (OpenJPH) vs J2K decode, ours", "target": None,
            "ratio": speed(rows, case, "HTJ2K decode, 1 frame", "dicomcore (OpenJPH)", 1)
            / ours_1})
    return checks


def print_table(rows: list[dict], checks: list[dict]) -> None:
    """One line per measurement; ``ours/this`` compares with dicomcore on as many threads."""
    print(f"{'case':<10} {'task':<26} {'library':<22} {'thr':>3} {'MB/s':>8} {'ours/this':>9}")
    for row in rows:
        if "mb_per_s" not in row:
            print(f"{row['case']:<10} compressed: raw {row['raw']} B, J2K {row['j2k']} B "
                  f"({row['raw'] / row['j2k']:.2f}:1), HTJ2K {row['htj2k']} B "
                  f"({row['raw'] / row['htj2k']:.2f}:1)")
            continue
        ours_name = ("dicomcore (OpenJPH)" if row["task"].startswith("HTJ2K decode")
                     else "dicomcore")
        ours = speed(rows, row["case"], row["task"], ours_name, row["threads"])
        if ours != ours:  # no dicomcore run on this many threads: compare with one
            ours = speed(rows, row["case"], row["task"], ours_name, 1)
        print(f"{row['case']:<10} {row['task']:<26} {row['library']:<22} {row['threads']:>3} "
              f"{row['mb_per_s']:>8.1f} {ours / row['mb_per_s']:>9.2f}")
    print()
    for check in checks:
        target = "" if check["target"] is None else f" (goal {check['target']:.1f}x)"
        print(f"{check['case']:<10} {check['goal']:<62} {check['ratio']:6.2f}x{target}")


def plot(rows: list[dict], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    measured = [r for r in rows if "mb_per_s" in r]
    cases = sorted({r["case"] for r in measured})
    bars = max(len([r for r in measured if r["case"] == case]) for case in cases)
    figure, axes = plt.subplots(len(cases), 1, figsize=(12, (0.25 * bars + 1.2) * len(cases)))
    for axis, case in zip(np.atleast_1d(axes), cases):
        subset = [r for r in measured if r["case"] == case]
        labels = [f"{r['task']} | {r['library']} ({r['threads']}t)" for r in subset]
        colours = ["tab:blue" if r["library"].startswith("dicomcore") else "tab:gray"
                   for r in subset]
        axis.barh(range(len(subset)), [r["mb_per_s"] for r in subset], color=colours)
        axis.set_yticks(range(len(subset)), labels, fontsize=7)
        axis.invert_yaxis()
        axis.set_xscale("log")
        axis.set_xlabel("MB/s of decoded pixels (log scale; blue: dicomcore)")
        axis.set_title(f"JPEG 2000 / HTJ2K lossless, {case}")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few-second run")
    arguments = parser.parse_args()
    repeats, budget, frame_count = (2, 0.3, 2) if arguments.quick else (5, 1.0, 8)
    cases = load_cases(frame_count)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with tempfile.TemporaryDirectory() as workdir:
            rows = measure(cases, repeats, budget, Path(workdir))
    checks = goals(rows)
    print_table(rows, checks)
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "python": platform.python_version()},
        "quick": arguments.quick,
        "rows": rows,
        "goals": checks,
    }
    (RESULTS / "jpeg2000.json").write_text(json.dumps(result, indent=2))
    if plot(rows, RESULTS / "jpeg2000.png"):
        print(f"\nwrote {RESULTS / 'jpeg2000.json'} and {RESULTS / 'jpeg2000.png'}")
    else:
        print(f"\nwrote {RESULTS / 'jpeg2000.json'} (matplotlib missing: no plot)")


if __name__ == "__main__":
    main()
