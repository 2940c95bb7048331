"""Benchmark dicomcore's RLE Lossless codec (PS3.5 Annex G) against its peers.

Runs, in one process and on the same real pixels, dicomcore and every peer that is
installed: pydicom 3's NumPy decoder and encoder, pylibjpeg-rle (Rust), imagecodecs
and GDCM (python-gdcm). Data: 512 x 512 16-bit CT slices from pydicom's and
pydicom-data's test files (a handful of real slices cycled to the frame count) and
480 x 640 8-bit RGB frames of a real ultrasound cine.

Throughput is MB/s of decoded pixels (frames x rows x columns x samples x bytes);
each figure is the best of several runs. Ratios matter more than absolute figures on
a shared machine. Writes ``benchmarks/results/rle.json`` and, with matplotlib,
``benchmarks/results/rle.png``.

    python3 benchmarks/bench_rle.py            # about half a minute
    python3 benchmarks/bench_rle.py --quick    # a few seconds
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bench_setup  # first: sets up sys.path and the OpenBLAS threads
import numpy as np

ROOT = bench_setup.ROOT

import datafiles  # noqa: E402
from dicomcore.codecs import rle  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"

# Real 512 x 512 CT slices (some stored compressed; pydicom decodes them once).
CT_FILES = [
    "693_UNCI.dcm",
    "mlut_18.dcm",
    "eCT_Supplemental.dcm",
    "bad_sequence.dcm",
    "explicit_VR-UN.dcm",
    "J2K_pixelrep_mismatch.dcm",
]
RGB_FILE = "color3d_jpeg_baseline.dcm"  # 120-frame 480 x 640 colour cine


def _pixels(name: str, index: int | None = None) -> np.ndarray:
    import pydicom

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.pixels.pixel_array(datafiles.get(name), index=index)


def ct_frames(count: int) -> np.ndarray:
    slices = []
    for name in CT_FILES:
        arr = _pixels(name)
        for frame in arr if arr.ndim == 3 else arr[None]:
            if frame.shape == (512, 512) and frame.dtype.itemsize == 2:
                slices.append(frame.view(np.uint16))
    return np.stack([slices[i % len(slices)] for i in range(count)])


def rgb_frames(count: int) -> np.ndarray:
    return np.stack([_pixels(RGB_FILE, index=i).astype(np.uint8) for i in range(count)])


# -- Peers ------------------------------------------------------------------------------


def _peer_pylibjpeg():
    try:
        from rle import rle as native
    except ImportError:
        return None

    def decode(src: bytes, arr: np.ndarray) -> np.ndarray:
        pixels = arr.shape[0] * arr.shape[1]
        return np.frombuffer(native.decode_frame(src, pixels, arr.dtype.itemsize * 8, "<"), arr.dtype)

    def encode(arr: np.ndarray) -> bytes:
        samples = 1 if arr.ndim == 2 else arr.shape[2]
        return native.encode_frame(
            arr.tobytes(), arr.shape[0], arr.shape[1], samples, arr.dtype.itemsize * 8, "<"
        )

    return decode, encode


def _peer_imagecodecs():
    try:
        import imagecodecs
    except ImportError:
        return None

    def decode(src: bytes, arr: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        # dtype "<u2" etc.: imagecodecs returns little-endian bytes, or fills `out`.
        dtype = arr.dtype.newbyteorder("<")
        if out is not None:
            return imagecodecs.dicomrle_decode(src, dtype, out=out.reshape(-1).view(np.uint8))
        return np.frombuffer(imagecodecs.dicomrle_decode(src, dtype), arr.dtype)

    return decode, None  # imagecodecs has no DICOM RLE encoder


def _peer_gdcm():
    try:
        import gdcm
    except ImportError:
        return None

    def _image(arr: np.ndarray, image=None):
        samples = 1 if arr.ndim == 2 else arr.shape[2]
        bits = arr.dtype.itemsize * 8
        image = gdcm.Image() if image is None else image
        image.SetNumberOfDimensions(2)
        image.SetDimensions((arr.shape[1], arr.shape[0], 1))
        kind = gdcm.PhotometricInterpretation.RGB if samples == 3 else (
            gdcm.PhotometricInterpretation.MONOCHROME2
        )
        image.SetPhotometricInterpretation(gdcm.PhotometricInterpretation(kind))
        image.SetPixelFormat(gdcm.PixelFormat(samples, bits, bits, bits - 1, 0))
        if samples == 3:
            image.SetPlanarConfiguration(0)
        return image

    def decode(src: bytes, arr: np.ndarray) -> np.ndarray:
        fragment = gdcm.Fragment()
        fragment.SetByteStringValue(src)
        fragments = gdcm.SequenceOfFragments.New()
        fragments.AddFragment(fragment)
        element = gdcm.DataElement(gdcm.Tag(0x7FE0, 0x0010))
        element.SetValue(fragments.__ref__())
        image = _image(arr)
        image.SetDataElement(element)
        image.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.RLELossless))
        raw = image.GetBuffer().encode("utf-8", "surrogateescape")
        return np.frombuffer(raw, arr.dtype)

    def encode(arr: np.ndarray) -> bytes:
        # The image must belong to a writer (as in pydicom's GDCM plugin): a free
        # gdcm.Image handed to ImageChangeTransferSyntax can be freed while GDCM
        # still holds a reference, which aborts the process.
        writer = gdcm.ImageWriter()
        image = _image(arr, writer.GetImage())
        image.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.ImplicitVRLittleEndian))
        element = gdcm.DataElement(gdcm.Tag(0x7FE0, 0x0010))
        element.SetByteStringValue(arr.tobytes())
        image.SetDataElement(element)
        change = gdcm.ImageChangeTransferSyntax()
        change.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.RLELossless))
        change.SetInput(image)
        if not change.Change():
            raise RuntimeError("GDCM could not encode")
        fragments = change.GetOutput().GetDataElement().GetSequenceOfFragments()
        coded = fragments.GetFragment(0).GetByteValue().GetBuffer()
        del change, fragments
        return coded.encode("utf-8", "surrogateescape")

    return decode, encode


def _peer_pydicom():
    try:
        from pydicom.pixels.decoders.rle import _rle_decode_frame
        from pydicom.pixels.encoders import RLELosslessEncoder
    except ImportError:
        return None

    def decode(src: bytes, arr: np.ndarray) -> np.ndarray:
        samples = 1 if arr.ndim == 2 else arr.shape[2]
        raw = _rle_decode_frame(src, arr.shape[0], arr.shape[1], samples, arr.dtype.itemsize * 8)
        return np.frombuffer(raw, arr.dtype)

    def encode(arr: np.ndarray) -> bytes:
        samples = 1 if arr.ndim == 2 else arr.shape[2]
        bits = arr.dtype.itemsize * 8
        return RLELosslessEncoder.encode(
            arr,
            encoding_plugin="pydicom",
            rows=arr.shape[0],
            columns=arr.shape[1],
            samples_per_pixel=samples,
            bits_allocated=bits,
            bits_stored=bits,
            pixel_representation=0,
            photometric_interpretation="RGB" if samples == 3 else "MONOCHROME2",
            planar_configuration=0,
            number_of_frames=1,
        )

    return decode, encode


PEERS = {
    "pylibjpeg-rle": _peer_pylibjpeg,
    "imagecodecs": _peer_imagecodecs,
    "GDCM": _peer_gdcm,
    "pydicom (NumPy)": _peer_pydicom,
}
SLOW_PEERS = {"pydicom (NumPy)"}  # timed on fewer frames so a run stays short


# -- Timing -----------------------------------------------------------------------------


def best_rate(work: Callable[[], object], nbytes: int, repeats: int, budget: float) -> float:
    """Best MB/s over up to `repeats` runs of `work`, stopping once `budget` s are spent."""
    best = float("inf")
    spent = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        elapsed = time.perf_counter() - start
        best = min(best, elapsed)
        spent += elapsed
        if spent > budget:
            break
    return nbytes / best / 1e6


def _threaded(func: Callable, items: list, threads: int) -> list:
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(func, items))


def run_case(name: str, frames: np.ndarray, repeats: int, budget: float) -> dict:
    count = frames.shape[0]
    rows, columns = frames.shape[1:3]
    samples = 1 if frames.ndim == 3 else frames.shape[3]
    frame_bytes = frames[0].nbytes
    geometry = {
        "rows": rows,
        "columns": columns,
        "samples_per_pixel": samples,
        "bits_allocated": frames.dtype.itemsize * 8,
    }
    encoded = rle.encode_frames(frames, threads=1)
    out = np.empty_like(frames)
    decode: dict[str, float] = {}
    encode: dict[str, float] = {}
    # Encoded bytes per encoder, each next to dicomcore's bytes for the same frames.
    sizes: dict[str, dict[str, int]] = {}

    for threads in (1, 2):
        decode[f"dicomcore {threads}t"] = best_rate(
            lambda t=threads: rle.decode_frames(encoded, threads=t, **geometry),
            frames.nbytes,
            repeats,
            budget,
        )
        decode[f"dicomcore {threads}t into out"] = best_rate(
            lambda t=threads: rle.decode_frames(encoded, threads=t, out=out, **geometry),
            frames.nbytes,
            repeats,
            budget,
        )
        encode[f"dicomcore {threads}t"] = best_rate(
            lambda t=threads: rle.encode_frames(frames, threads=t), frames.nbytes, repeats, budget
        )

    sample = frames[0]
    for peer, factory in PEERS.items():
        functions = factory()
        if functions is None:
            continue
        peer_decode, peer_encode = functions
        subset = max(2, count // 16) if peer in SLOW_PEERS else count
        subset_bytes = frame_bytes * subset
        first = peer_decode(encoded[0], sample)
        assert np.array_equal(
            np.sort(np.asarray(first).reshape(-1)), np.sort(sample.reshape(-1))
        ), f"{peer} decodes our frames to other pixels"
        decode[peer] = best_rate(
            lambda d=peer_decode, n=subset: [d(encoded[i], sample) for i in range(n)],
            subset_bytes,
            repeats,
            budget,
        )
        if peer == "imagecodecs":
            decode[f"{peer} into out"] = best_rate(
                lambda d=peer_decode: [d(encoded[i], sample, out[i]) for i in range(count)],
                frames.nbytes,
                repeats,
                budget,
            )
        if peer not in SLOW_PEERS and peer != "GDCM":
            decode[f"{peer} 2t"] = best_rate(
                lambda d=peer_decode: _threaded(lambda e: d(e, sample), encoded, 2),
                frames.nbytes,
                repeats,
                budget,
            )
        if peer_encode is not None:
            # Peers' encoders run on one thread only: pylibjpeg-rle's crashes the
            # process when two threads call it.
            theirs = [peer_encode(frames[i]) for i in range(subset)]
            ours = sum(len(encoded[i]) for i in range(subset))
            sizes[peer] = {"frames": subset, "peer": sum(map(len, theirs)), "dicomcore": ours}
            if peer == "GDCM":
                # GDCM leaves odd segments unpadded (PS3.5 G.3 asks for even).
                sizes["GDCM, segments padded to even"] = {
                    "frames": subset,
                    "peer": sum(_padded_length(t) for t in theirs),
                    "dicomcore": ours,
                }
            encode[peer] = best_rate(
                lambda e=peer_encode, n=subset: [e(frames[i]) for i in range(n)],
                subset_bytes,
                repeats,
                budget,
            )

    memcpy = best_rate(lambda: np.copyto(out, frames), frames.nbytes, repeats, budget)
    return {
        "name": name,
        "frames": count,
        "shape": list(frames.shape[1:]),
        "dtype": str(frames.dtype),
        "megabytes": frames.nbytes / 1e6,
        "decode_mb_s": decode,
        "encode_mb_s": encode,
        "encoded_bytes": sizes,
        "memcpy_mb_s": memcpy,
    }


def _padded_length(frame: bytes) -> int:
    offsets = list(rle.segment_offsets(frame)) + [len(frame)]
    return 64 + sum((b - a + 1) // 2 * 2 for a, b in zip(offsets, offsets[1:]))


# -- Report -----------------------------------------------------------------------------


def print_case(case: dict) -> None:
    print(
        f"\n{case['name']}: {case['frames']} frames of {tuple(case['shape'])} {case['dtype']} "
        f"({case['megabytes']:.1f} MB); memcpy {case['memcpy_mb_s']:,.0f} MB/s"
    )
    for what in ("decode", "encode"):
        rates = case[f"{what}_mb_s"]
        ours = rates["dicomcore 1t"]
        ours_out = rates.get("dicomcore 1t into out", ours)
        print(f"  {what:<28}{'MB/s':>9}   dicomcore 1t / this")
        for label, rate in sorted(rates.items(), key=lambda kv: -kv[1]):
            mine = ours_out if "into out" in label else ours
            print(f"  {label:<28}{rate:>9,.0f}   {mine / rate:>6.2f}x")
        two = rates["dicomcore 2t"] / rates["dicomcore 1t"]
        line = f"  dicomcore 2 threads / 1 thread: {two:.2f}x"
        if "dicomcore 2t into out" in rates:
            two_out = rates["dicomcore 2t into out"] / rates["dicomcore 1t into out"]
            line += f" (into out: {two_out:.2f}x)"
        print(line)
    print("  encoded size, same frames:       peer bytes   dicomcore bytes   dicomcore/peer")
    for label, size in case["encoded_bytes"].items():
        print(
            f"    {label:<30}{size['peer']:>12,}{size['dicomcore']:>16,}"
            f"{size['dicomcore'] / size['peer']:>15.4f}"
        )


def plot(cases: list[dict], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, axes = plt.subplots(len(cases), 2, figsize=(13, 3.2 * len(cases)), squeeze=False)
    for row, case in enumerate(cases):
        for col, what in enumerate(("decode", "encode")):
            rates = sorted(case[f"{what}_mb_s"].items(), key=lambda kv: kv[1])
            labels = [k for k, _ in rates]
            values = [v for _, v in rates]
            colours = ["tab:blue" if k.startswith("dicomcore") else "tab:grey" for k in labels]
            ax = axes[row][col]
            ax.barh(labels, values, color=colours)
            ax.set_xscale("log")
            ax.set_xlabel("MB/s of decoded pixels (log scale)")
            ax.set_title(f"{case['name']}: {what}")
            for y, v in enumerate(values):
                ax.text(v, y, f" {v:,.0f}", va="center", fontsize=8)
    fig.suptitle("RLE Lossless throughput, dicomcore vs peers (same machine, same data)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few frames, few repeats")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)
    if not rle.is_available():
        print("dicomcore's RLE extension is not built", file=sys.stderr)
        return 1
    ct_count, rgb_count, repeats, budget = (8, 4, 3, 0.3) if args.quick else (64, 24, 7, 2.0)
    cases = [
        run_case("CT 512x512 16-bit", ct_frames(ct_count), repeats, budget),
        run_case("RGB 480x640 8-bit", rgb_frames(rgb_count), repeats, budget),
    ]
    for case in cases:
        print_case(case)
    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "python": sys.version.split()[0],
        },
        "quick": args.quick,
        "cases": cases,
    }
    (RESULTS / "rle.json").write_text(json.dumps(report, indent=2) + "\n")
    if not args.no_plot and plot(cases, RESULTS / "rle.png"):
        print(f"\nwrote {RESULTS / 'rle.json'} and {RESULTS / 'rle.png'}")
    else:
        print(f"\nwrote {RESULTS / 'rle.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
