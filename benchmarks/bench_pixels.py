"""Benchmark the pixel pipeline: whole-file ``pixel_array`` and ``compress`` against pydicom 3.

Runs in one process on the same bytes:

* small single-frame real files (native, RLE, JPEG-LS, JPEG 2000): ``dcmread`` from
  memory plus ``pixel_array``, where Python overhead dominates;
* multi-frame files, real ones from pydicom's test data and larger ones built from
  real CT slices and a real ultrasound cine (encoded by dicomcore, checked to decode
  identically in pydicom): pydicom with each of its installed plugins (the fastest
  is reported), dicomcore with 1 and 2 threads, and dicomcore's codec alone on the
  already split frames with 1 thread;
* a native multi-frame file, memory-mapped, against a plain copy of the same bytes;
* ``compress`` to RLE, JPEG-LS and JPEG 2000 Lossless against pydicom's fastest
  encoder.

Figures are the best of several runs; ratios matter more than absolute times on a
shared machine. Writes ``benchmarks/results/pixels.json`` and, with matplotlib,
``benchmarks/results/pixels.png``.

    python3 benchmarks/bench_pixels.py            # about a minute
    python3 benchmarks/bench_pixels.py --quick    # a few seconds
"""

from __future__ import annotations

import argparse
import io
import json
import mmap
import os
import platform
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import bench_setup  # first: sets up sys.path and the OpenBLAS threads
import numpy as np

ROOT = bench_setup.ROOT

import datafiles  # noqa: E402
import dicomcore  # noqa: E402
from dicomcore import encaps  # noqa: E402
from dicomcore.pixels import registry  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
RLE = "1.2.840.10008.1.2.5"
JLS = "1.2.840.10008.1.2.4.80"
J2K = "1.2.840.10008.1.2.4.90"

SMALL_FILES = [
    "CT_small.dcm",
    "MR_small_RLE.dcm",
    "MR_small_jpeg_ls_lossless.dcm",
    "MR_small_jp2klossless.dcm",
    "OBXXXX1A_rle.dcm",
    "SC_rgb_rle.dcm",
]
REAL_MULTI_FRAME = [
    "emri_small.dcm",
    "emri_small_RLE.dcm",
    "emri_small_jpeg_ls_lossless.dcm",
    "emri_small_jpeg_2k_lossless.dcm",
]
CT_FILES = ["693_UNCI.dcm", "mlut_18.dcm", "eCT_Supplemental.dcm", "J2K_pixelrep_mismatch.dcm"]
CINE_FILE = "color3d_jpeg_baseline.dcm"


def best_time(work: Callable[[], object], budget: float, least: int = 3) -> float:
    """The shortest of several runs of ``work``, running for about ``budget`` seconds."""
    times = []
    started = time.perf_counter()
    while len(times) < least or time.perf_counter() - started < budget:
        begin = time.perf_counter()
        work()
        times.append(time.perf_counter() - begin)
        if len(times) >= 200:
            break
    return min(times)


def quiet(work: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return work()

    return run


# -- pydicom, with each of its plugins ------------------------------------------------


def pydicom_plugins(data: bytes) -> list[str]:
    import pydicom
    from pydicom.pixels.decoders.base import get_decoder

    ds = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True)
    uid = ds.file_meta.TransferSyntaxUID
    if not uid.is_compressed:
        return [""]
    return sorted(get_decoder(uid)._available)


def pydicom_decode(data: bytes, plugin: str) -> Callable[[], np.ndarray]:
    import pydicom

    def run() -> np.ndarray:
        ds = pydicom.dcmread(io.BytesIO(data))
        if plugin:
            ds.pixel_array_options(decoding_plugin=plugin)
        return ds.pixel_array

    return quiet(run)


def fastest_pydicom(data: bytes, budget: float, expected: np.ndarray) -> tuple[float, str]:
    """pydicom's best time over its plugins that decode ``data`` to ``expected``."""
    results = []
    for plugin in pydicom_plugins(data):
        work = pydicom_decode(data, plugin)
        try:
            arr = work()
        except Exception:
            continue
        if arr.shape != expected.shape or not np.array_equal(arr, expected):
            continue
        results.append((best_time(work, budget), plugin or "numpy"))
    return min(results)


def ours_decode(data: bytes, threads: int) -> Callable[[], np.ndarray]:
    def run() -> np.ndarray:
        ds = dicomcore.dcmread(data)
        ds.pixel_array_options(threads=threads)
        return ds.pixel_array

    return quiet(run)


def codec_alone(data: bytes) -> Callable[[], object] | None:
    """Our plugin on the already split frames, one thread: the codec's own speed."""
    ds = dicomcore.dcmread(data)
    from dicomcore.pixels.layout import PixelLayout

    layout = PixelLayout.from_dataset(ds)
    if not layout.is_encapsulated:
        return None
    plugin = registry.get_decoding_plugin(layout.transfer_syntax)
    frames = [bytes(f) for f in encaps.frame_data(
        ds.PixelData, number_of_frames=layout.number_of_frames)]
    out = np.empty((len(frames), *layout.frame_shape), dtype=layout.dtype)
    return lambda: plugin.decode(frames, layout, out, {}, 1)


# -- data -----------------------------------------------------------------------------


def real_pixels(name: str, index: int | None = None) -> np.ndarray:
    import pydicom

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.pixels.pixel_array(datafiles.get(name), index=index)


def ct_stack(count: int) -> np.ndarray:
    slices = []
    for name in CT_FILES:
        arr = real_pixels(name)
        for frame in arr if arr.ndim == 3 else arr[None]:
            if frame.shape == (512, 512) and frame.dtype.itemsize == 2:
                slices.append(frame.astype(np.int16))
    return np.stack([slices[i % len(slices)] for i in range(count)])


def cine(count: int) -> np.ndarray:
    return np.stack([real_pixels(CINE_FILE, index=i) for i in range(count)])


def file_bytes(arr: np.ndarray, photometric: str, bits: int, syntax: str | None) -> bytes:
    """A multi-frame file of ``arr``, compressed by dicomcore to ``syntax``."""
    source = dicomcore.dcmread(datafiles.get("CT_small.dcm"))
    source.set_pixel_data(arr, photometric, bits)
    if syntax:
        source.compress(syntax)
    buffer = io.BytesIO()
    source.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


# -- workloads ------------------------------------------------------------------------


def bench_small(budget: float) -> list[dict]:
    rows = []
    for name in SMALL_FILES:
        data = datafiles.get(name).read_bytes()
        ours_array = ours_decode(data, 2)()
        theirs, plugin = fastest_pydicom(data, budget, ours_array)
        ours = best_time(ours_decode(data, 2), budget)
        rows.append({"file": name, "pydicom_s": theirs, "pydicom_plugin": plugin,
                     "dicomcore_s": ours, "ratio": theirs / ours})
    return rows


def bench_multi_frame(budget: float, quick: bool) -> list[dict]:
    cases = [(name, datafiles.get(name).read_bytes()) for name in REAL_MULTI_FRAME]
    frames = 8 if quick else 32
    ct = ct_stack(frames)
    us = cine(4 if quick else 24)
    for syntax, label in ((RLE, "RLE"), (JLS, "JPEG-LS"), (J2K, "J2K")):
        cases.append((f"CT {frames}x512x512 {label}", file_bytes(ct, "MONOCHROME2", 16, syntax)))
    for syntax, label in ((RLE, "RLE"), (JLS, "JPEG-LS")):
        cases.append((f"US cine {len(us)}x480x640x3 {label}", file_bytes(us, "RGB", 8, syntax)))
    rows = []
    for name, data in cases:
        expected = ours_decode(data, 2)()
        theirs, plugin = fastest_pydicom(data, budget, expected)
        one = best_time(ours_decode(data, 1), budget)
        two = best_time(ours_decode(data, 2), budget)
        codec = codec_alone(data)
        alone = best_time(codec, budget) if codec else None
        rows.append({
            "file": name, "frames": int(expected.shape[0]), "pydicom_s": theirs,
            "pydicom_plugin": plugin, "dicomcore_1_thread_s": one, "dicomcore_2_threads_s": two,
            "codec_alone_1_thread_s": alone, "ratio_2_threads": theirs / two,
            "thread_gain": one / two, "gain_beyond_codec": (alone / two) if alone else None,
        })
    return rows


def bench_native_copy(budget: float, quick: bool) -> dict:
    frames = 16 if quick else 96  # 1024 x 1024 x 16-bit frames: 32 or 192 MiB
    rng = np.random.default_rng(5)
    arr = rng.integers(0, 4096, size=(frames, 1024, 1024), dtype=np.uint16)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "native.dcm"
        path.write_bytes(file_bytes(arr, "MONOCHROME2", 16, None))
        size = arr.nbytes
        offset = path.stat().st_size - size

        def plain_copy() -> np.ndarray:
            with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
                return np.frombuffer(m, dtype=np.uint8, count=size, offset=offset).copy()

        def ours(threads: int) -> Callable[[], np.ndarray]:
            return lambda: dicomcore.pixels.pixel_array(path, threads=threads)

        import pydicom

        result = {
            "bytes": size,
            "plain_copy_s": best_time(plain_copy, budget),
            "dicomcore_1_thread_s": best_time(ours(1), budget),
            "dicomcore_2_threads_s": best_time(ours(2), budget),
            "pydicom_s": best_time(quiet(lambda: pydicom.dcmread(path).pixel_array), budget),
        }
        # Files of 1 MiB or more are memory-mapped, and this one has 12 of 16 bits
        # stored, so the copy also clears the unused bits: compare to a plain copy.
        result["vs_copy_1_thread"] = result["dicomcore_1_thread_s"] / result["plain_copy_s"]
        result["vs_copy_2_threads"] = result["dicomcore_2_threads_s"] / result["plain_copy_s"]
        result["ratio_vs_pydicom"] = result["pydicom_s"] / result["dicomcore_2_threads_s"]
        del arr
        return result


def pydicom_compress(data: bytes, syntax: str, budget: float) -> tuple[float, str]:
    import pydicom
    from pydicom.pixels.encoders.base import get_encoder

    results = []
    for plugin in sorted(get_encoder(syntax)._available):
        def run(plugin: str = plugin) -> None:
            ds = pydicom.dcmread(io.BytesIO(data))
            ds.compress(syntax, encoding_plugin=plugin)

        try:
            quiet(run)()
        except Exception:
            continue
        results.append((best_time(quiet(run), budget), plugin))
    return min(results) if results else (float("nan"), "none")


def bench_compress(budget: float, quick: bool) -> list[dict]:
    ct = ct_stack(4 if quick else 16)
    cases = [
        ("CT_small.dcm", datafiles.get("CT_small.dcm").read_bytes()),
        (f"CT {len(ct)}x512x512", file_bytes(ct.astype(np.uint16), "MONOCHROME2", 16, None)),
    ]
    rows = []
    for name, data in cases:
        for syntax, label in ((RLE, "RLE"), (JLS, "JPEG-LS"), (J2K, "J2K Lossless")):
            def ours(syntax: str = syntax, data: bytes = data) -> None:
                ds = dicomcore.dcmread(data)
                ds.compress(syntax, threads=2)

            theirs, plugin = pydicom_compress(data, syntax, budget)
            mine = best_time(quiet(ours), budget)
            rows.append({"file": name, "syntax": label, "pydicom_s": theirs,
                         "pydicom_plugin": plugin, "dicomcore_2_threads_s": mine,
                         "ratio": theirs / mine})
    return rows


def plot(results: dict, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        return
    groups = [
        ("pixel_array, small single frame", [(r["file"], r["ratio"]) for r in results["small"]]),
        ("pixel_array, multi-frame (2 threads)",
         [(r["file"], r["ratio_2_threads"]) for r in results["multi_frame"]]),
        ("compress (2 threads)",
         [(f"{r['file']} {r['syntax']}", r["ratio"]) for r in results["compress"]]),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(16, 6))
    for axis, (title, pairs) in zip(axes, groups):
        labels = [p[0] for p in pairs]
        values = [p[1] for p in pairs]
        axis.barh(range(len(values)), values, color="#3c78b4")
        axis.set_yticks(range(len(values)), labels, fontsize=8)
        axis.axvline(1, color="black", linewidth=0.8)
        axis.set_xscale("log")
        axis.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        axis.set_xlabel("speed-up over pydicom 3 (x, log scale)")
        axis.set_title(title, fontsize=10)
        for i, v in enumerate(values):
            axis.text(v, i, f" {v:.1f}x", va="center", fontsize=7)
    native = results["native_copy"]
    fig.suptitle(
        f"dicomcore vs pydicom 3 — native {native['bytes'] >> 20} MiB multi-frame "
        f"pixel_array = {native['vs_copy_2_threads']:.2f}x a plain memory copy",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.2f} ms"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def write_markdown(results: dict, path: Path) -> None:
    """``pixels.md``: the run's tables, written from the results (never edited by hand)."""
    lines = [
        "# Pixel pipeline benchmark (`python3 benchmarks/bench_pixels.py`)",
        "",
        "Written by the benchmark from `pixels.json`. One run on this project's shared 2-core",
        "machine; ratios are pydicom 3 time / dicomcore time (best of several runs, same bytes",
        "in memory), pydicom with the fastest of its installed plugins for each file (named).",
        "",
        "![ratios](pixels.png)",
        "",
        "## Small single-frame files: `dcmread` + `pixel_array` (goal 3x)",
        "",
        "| file | pydicom (plugin) | dicomcore | ratio |",
        "| --- | --- | --- | --- |",
    ]
    for row in results["small"]:
        lines.append(f"| {row['file']} | {row['pydicom_s'] * 1e6:.0f} us "
                     f"({row['pydicom_plugin']}) | {row['dicomcore_s'] * 1e6:.0f} us | "
                     f"{_ratio(row['ratio'])} |")
    lines += [
        "",
        "## Multi-frame files: `dcmread` + `pixel_array` (goal: 2 threads 1.8x the codec alone)",
        "",
        "| file | frames | pydicom (plugin) | dicomcore 1 thread | 2 threads | codec alone, "
        "1 thread | vs pydicom, 2 threads | 1 -> 2 threads | codec alone / 2 threads |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in results["multi_frame"]:
        lines.append(
            f"| {row['file']} | {row['frames']} | {_ms(row['pydicom_s'])} "
            f"({row['pydicom_plugin']}) | {_ms(row['dicomcore_1_thread_s'])} | "
            f"{_ms(row['dicomcore_2_threads_s'])} | {_ms(row['codec_alone_1_thread_s'])} | "
            f"{_ratio(row['ratio_2_threads'])} | {_ratio(row['thread_gain'])} | "
            f"{_ratio(row['gain_beyond_codec'])} |")
    copy = results["native_copy"]
    lines += [
        "",
        "## Native multi-frame, memory-mapped, against a plain copy of the same bytes "
        "(goal: within 1.5x)",
        "",
        f"{copy['bytes'] / 2**20:.0f} MiB: plain copy {_ms(copy['plain_copy_s'])}, dicomcore "
        f"{_ms(copy['dicomcore_1_thread_s'])} (1 thread) / {_ms(copy['dicomcore_2_threads_s'])}"
        f" (2 threads) = {copy['vs_copy_1_thread']:.2f}x / {copy['vs_copy_2_threads']:.2f}x the "
        f"copy's time; pydicom {_ms(copy['pydicom_s'])} ({copy['ratio_vs_pydicom']:.1f}x slower).",
        "",
        "## `compress`",
        "",
        "| source | to | pydicom (plugin) | dicomcore, 2 threads | ratio |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in results["compress"]:
        lines.append(f"| {row['file']} | {row['syntax']} | {_ms(row['pydicom_s'])} "
                     f"({row['pydicom_plugin']}) | {_ms(row['dicomcore_2_threads_s'])} | "
                     f"{_ratio(row['ratio'])} |")
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds, fewer frames")
    args = parser.parse_args()
    budget = 0.05 if args.quick else 0.4
    results = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "python": platform.python_version()},
        "small": bench_small(budget),
        "multi_frame": bench_multi_frame(budget, args.quick),
        "native_copy": bench_native_copy(budget, args.quick),
        "compress": bench_compress(budget, args.quick),
    }
    for section in ("small", "multi_frame", "compress"):
        print(f"\n{section}")
        for row in results[section]:
            shown = {k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in row.items()}
            print("  " + ", ".join(f"{k}={v}" for k, v in shown.items()))
    print("\nnative_copy", {k: f"{v:.4g}" for k, v in results["native_copy"].items()})
    if not args.quick:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "pixels.json").write_text(json.dumps(results, indent=1) + "\n")
        plot(results, RESULTS / "pixels.png")
        write_markdown(results, RESULTS / "pixels.md")


if __name__ == "__main__":
    main()
