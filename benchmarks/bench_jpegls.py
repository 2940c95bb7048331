"""JPEG-LS throughput: dicomcore against pyjpegls, imagecodecs and GDCM, in one run.

Every codec runs in the same process on the same real frames, so the ratios hold
even on a noisy, shared machine (absolute MB/s do not). Figures are megabytes of
decoded pixels per second, the best of repeated runs.

Data (real files from pydicom's test data and pydicom-data):

* ``CT 12-bit``: four 512 x 512 CT frames stored in 16 bits with 12 bits stored,
  the usual CT layout: eCT_Supplemental's two frames (values 0..1196) and the two
  693 CT slices moved to the 12-bit stored values of Rescale Intercept -1024
  (``HU + 1024``, clipped to 0..4095 outside the field of view).
* ``RGB 8-bit``: US1's 480 x 640 colour ultrasound frame and its three mirror
  images (four frames of the same statistics).

Measured: single-frame decode and encode; multi-frame decode and encode on 1 and
2 threads (dicomcore's ``decode_frames``/``encode_frames``, a thread pool of
per-frame calls for the peers); compressed size as each codec writes it by default
(dicomcore and pyjpegls-as-pydicom-calls-it with the real Bits Stored, imagecodecs
with the dtype's 16 bits). Writes ``benchmarks/results/jpegls.json`` and, when
matplotlib is installed, ``benchmarks/results/jpegls.png``.

Usage: ``python3 benchmarks/bench_jpegls.py [--quick]``
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
from dataclasses import dataclass, field
from pathlib import Path

import bench_setup  # first: sets up sys.path and the OpenBLAS threads
import numpy as np

ROOT = bench_setup.ROOT

import pydicom  # noqa: E402

import datafiles  # noqa: E402
from dicomcore.codecs import jpegls  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


@dataclass
class Case:
    name: str
    frames: np.ndarray  # (n, rows, columns[, samples])
    bits_stored: int

    @property
    def samples(self) -> int:
        return self.frames.shape[3] if self.frames.ndim == 4 else 1

    @property
    def frame_bytes(self) -> int:
        return self.frames[0].nbytes


@dataclass
class Codec:
    name: str
    version: str
    encode: Callable[[np.ndarray, int], bytes]
    decode: Callable[[bytes, np.ndarray], None]  # decodes into the given frame-shaped array
    encode_frames: Callable[[np.ndarray, int, int], list[bytes]] | None = None
    decode_frames: Callable[[list[bytes], np.ndarray, int], None] | None = None
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------
# Data


def _read(name: str) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(datafiles.get(name)).pixel_array


def load_cases(quick: bool) -> list[Case]:
    ect = _read("eCT_Supplemental.dcm")
    slices = [_read("693_UNCI.dcm"), _read("693_UNCR.dcm")]
    ct = [frame.astype(np.uint16) for frame in ect]
    ct += [np.clip(s.astype(np.int32) + 1024, 0, 4095).astype(np.uint16) for s in slices]
    us = _read("US1_UNCI.dcm")
    rgb = [us, us[:, ::-1], us[::-1], us[::-1, ::-1]]
    # Eight distinct frames each, so that two threads get four apiece and a slow
    # frame on a busy machine weighs less in the 2-thread figures.
    ct += [np.ascontiguousarray(frame[::-1]) for frame in ct]
    rgb += [np.roll(frame, frame.shape[1] // 2, axis=1) for frame in rgb]
    count = 2 if quick else 8
    return [
        Case("CT 12-bit", np.ascontiguousarray(np.stack(ct[:count])), 12),
        Case("RGB 8-bit", np.ascontiguousarray(np.stack(rgb[:count])), 8),
    ]


# ---------------------------------------------------------------------------
# Codecs


def _pool_decode(decode: Callable[[bytes, np.ndarray], None]):
    def run(streams: list[bytes], out: np.ndarray, threads: int) -> None:
        if threads == 1:
            for index, stream in enumerate(streams):
                decode(stream, out[index])
            return
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda i: decode(streams[i], out[i]), range(len(streams))))

    return run


def _pool_encode(encode: Callable[[np.ndarray, int], bytes]):
    def run(frames: np.ndarray, bits: int, threads: int) -> list[bytes]:
        if threads == 1:
            return [encode(frame, bits) for frame in frames]
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(lambda frame: encode(frame, bits), frames))

    return run


def dicomcore_codec() -> Codec:
    def encode(frame: np.ndarray, bits: int) -> bytes:
        return jpegls.encode_frame(frame, bits_stored=bits)

    def decode(stream: bytes, out: np.ndarray) -> None:
        jpegls.decode_frame(stream, out=out, bits_allocated=8 * out.itemsize)

    def encode_frames(frames: np.ndarray, bits: int, threads: int) -> list[bytes]:
        return jpegls.encode_frames(frames, bits_stored=bits, threads=threads)

    def decode_frames(streams: list[bytes], out: np.ndarray, threads: int) -> None:
        jpegls.decode_frames(streams, out=out, bits_allocated=8 * out.itemsize, threads=threads)

    return Codec(
        "dicomcore",
        f"CharLS {jpegls.charls_version()} (system)",
        encode,
        decode,
        encode_frames,
        decode_frames,
    )


def pyjpegls_codec() -> Codec | None:
    try:
        import jpeg_ls
    except ImportError:
        return None

    def encode(frame: np.ndarray, bits: int) -> bytes:
        # As pydicom 3's pyjpegls encoder plugin calls it: raw bytes and Bits Stored.
        rows, columns = frame.shape[:2]
        samples = frame.shape[2] if frame.ndim == 3 else 1
        return bytes(
            jpeg_ls.encode_buffer(
                frame.tobytes(),
                rows,
                columns,
                samples,
                bits,
                interleave_mode=2 if samples > 1 else None,
            )
        )

    def decode(stream: bytes, out: np.ndarray) -> None:
        buffer, _ = jpeg_ls.decode_buffer(stream)
        out[...] = np.frombuffer(buffer, dtype=out.dtype).reshape(out.shape)

    version = getattr(jpeg_ls, "__version__", "?")
    return Codec("pyjpegls", f"pyjpegls {version}", encode, decode)


def imagecodecs_codec() -> Codec | None:
    try:
        import imagecodecs
    except ImportError:
        return None
    if not imagecodecs.JPEGLS.available:
        return None

    def encode(frame: np.ndarray, bits: int) -> bytes:
        return bytes(imagecodecs.jpegls_encode(frame))

    def decode(stream: bytes, out: np.ndarray) -> None:
        imagecodecs.jpegls_decode(stream, out=out)

    return Codec(
        "imagecodecs",
        f"imagecodecs {imagecodecs.__version__}, {imagecodecs.jpegls_version()}",
        encode,
        decode,
    )


def gdcm_codec() -> Codec | None:
    try:
        import gdcm
    except ImportError:
        return None

    def image(frame_shape, itemsize: int, bits: int, element, syntax) -> gdcm.Image:
        rows, columns = frame_shape[:2]
        samples = frame_shape[2] if len(frame_shape) == 3 else 1
        img = gdcm.Image()
        img.SetNumberOfDimensions(2)
        img.SetDimensions((columns, rows, 1))
        img.SetDataElement(element)
        kind = (
            gdcm.PhotometricInterpretation.RGB
            if samples == 3
            else gdcm.PhotometricInterpretation.MONOCHROME2
        )
        img.SetPhotometricInterpretation(gdcm.PhotometricInterpretation(kind))
        if samples > 1:
            img.SetPlanarConfiguration(0)
        img.SetTransferSyntax(gdcm.TransferSyntax(syntax))
        img.SetPixelFormat(gdcm.PixelFormat(samples, 8 * itemsize, bits, bits - 1, 0))
        return img

    def encode(frame: np.ndarray, bits: int) -> bytes:
        element = gdcm.DataElement(gdcm.Tag(0x7FE0, 0x0010))
        element.SetByteStringValue(frame.tobytes())
        source = image(
            frame.shape, frame.itemsize, bits, element, gdcm.TransferSyntax.ExplicitVRLittleEndian
        )
        change = gdcm.ImageChangeTransferSyntax()
        change.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.JPEGLSLossless))
        change.SetInput(source)
        # The filter now holds a counted reference to the image (a gdcm::Object),
        # which frees it; Python deleting it as well would abort the process.
        source.thisown = False
        if not change.Change():
            raise RuntimeError("GDCM could not encode the frame")
        value = change.GetOutput().GetDataElement().GetSequenceOfFragments().GetFragment(0)
        value = value.GetByteValue()
        length = int(str(value.GetLength()))
        return value.GetBuffer().encode("utf-8", "surrogateescape")[:length]

    def decode(stream: bytes, out: np.ndarray) -> None:
        fragment = gdcm.Fragment()
        fragment.SetByteStringValue(stream)
        fragments = gdcm.SequenceOfFragments.New()
        fragments.AddFragment(fragment)
        element = gdcm.DataElement(gdcm.Tag(0x7FE0, 0x0010))
        element.SetValue(fragments.__ref__())
        bits = 8 * out.itemsize
        img = image(out.shape, out.itemsize, bits, element, gdcm.TransferSyntax.JPEGLSLossless)
        buffer = img.GetBuffer().encode("utf-8", "surrogateescape")
        out[...] = np.frombuffer(buffer, dtype=out.dtype).reshape(out.shape)

    return Codec("gdcm", f"GDCM {gdcm.Version.GetVersion()}", encode, decode)


def all_codecs() -> list[Codec]:
    codecs = [dicomcore_codec()]
    for factory in (pyjpegls_codec, imagecodecs_codec, gdcm_codec):
        codec = factory()
        if codec is not None:
            codecs.append(codec)
    for codec in codecs:
        codec.encode_frames = codec.encode_frames or _pool_encode(codec.encode)
        codec.decode_frames = codec.decode_frames or _pool_decode(codec.decode)
    return codecs


# ---------------------------------------------------------------------------
# Measuring


def best_times(
    runs: dict,
    budget: float,
    clock: Callable[[], float] = time.perf_counter,
) -> dict:
    """Shortest time of each run, taking turns so that load changes hit all alike.

    The codecs are timed in rounds (one call each per round) rather than one after
    the other, and the best time counts: the run least disturbed by the machine's
    other work. Single-threaded calls are timed with ``time.thread_time`` (this
    thread's CPU time, which other processes cannot inflate); multi-threaded runs
    need the wall clock.
    """
    best = {name: float("inf") for name in runs}
    for run in runs.values():
        run()  # warm-up: page faults, thread start-up, lazy imports
    deadline = time.perf_counter() + budget * len(runs)
    rounds = 0
    while rounds < 3 or (time.perf_counter() < deadline and rounds < 200):
        for name, run in runs.items():
            start = clock()
            run()
            best[name] = min(best[name], clock() - start)
        rounds += 1
    return best


def measure_case(case: Case, codecs: list[Codec], budget: float) -> dict:
    reference = [jpegls.encode_frame(frame, bits_stored=case.bits_stored) for frame in case.frames]
    megabytes = case.frame_bytes / 1e6
    total_megabytes = case.frames.nbytes / 1e6
    outputs = {codec.name: np.empty_like(case.frames) for codec in codecs}
    results: dict[str, dict] = {}
    for codec in codecs:
        # Every codec must reproduce the frames from dicomcore's streams, and
        # dicomcore must read every codec's own streams.
        out = outputs[codec.name]
        codec.decode_frames(reference, out, 1)
        assert np.array_equal(out, case.frames), f"{codec.name} decoded differently"
        own = codec.encode_frames(case.frames, case.bits_stored, 1)
        assert np.array_equal(jpegls.decode_frames(own, threads=1), case.frames), codec.name
        results[codec.name] = {
            "stream_bytes": sum(len(stream) for stream in own),
            "stream_bits_per_sample": jpegls.read_header(own[0]).bits_per_sample,
        }

    def per_codec(make: Callable[[Codec, np.ndarray], Callable[[], object]]):
        return {codec.name: make(codec, outputs[codec.name]) for codec in codecs}

    timings = {
        "decode_mbps": (
            megabytes,
            best_times(
                per_codec(lambda c, out: lambda: c.decode(reference[0], out[0])),
                budget,
                time.thread_time,
            ),
        ),
        "encode_mbps": (
            megabytes,
            best_times(
                per_codec(lambda c, out: lambda: c.encode(case.frames[0], case.bits_stored)),
                budget,
                time.thread_time,
            ),
        ),
    }
    # 1 and 2 threads are timed in the same rounds, so that both see the same load.
    for direction in ("decode", "encode"):
        runs = {}
        for codec in codecs:
            for threads in (1, 2):
                if direction == "decode":

                    def run(c=codec, t=threads, out=outputs[codec.name]):
                        c.decode_frames(reference, out, t)

                else:

                    def run(c=codec, t=threads):
                        c.encode_frames(case.frames, case.bits_stored, t)

                runs[(codec.name, threads)] = run
        best = best_times(runs, budget / 2)
        for threads in (1, 2):
            timings[f"{direction}_frames_{threads}t_mbps"] = (
                total_megabytes,
                {name: best[(name, t)] for name, t in best if t == threads},
            )
    for metric, (size, seconds) in timings.items():
        for name, value in seconds.items():
            results[name][metric] = size / value
    for row in results.values():
        row["decode_thread_scaling"] = row["decode_frames_2t_mbps"] / row["decode_frames_1t_mbps"]
        row["encode_thread_scaling"] = row["encode_frames_2t_mbps"] / row["encode_frames_1t_mbps"]

    as_container = sum(
        len(jpegls.encode_frame(frame, bits_stored=8 * frame.itemsize)) for frame in case.frames
    )
    ours = results["dicomcore"]
    ratios = {
        peer: {
            metric: ours[metric] / values[metric]
            for metric in (
                "decode_mbps",
                "encode_mbps",
                "decode_frames_2t_mbps",
                "encode_frames_2t_mbps",
            )
        }
        for peer, values in results.items()
        if peer != "dicomcore"
    }
    return {
        "frames": int(case.frames.shape[0]),
        "frame_shape": list(case.frames.shape[1:]),
        "dtype": str(case.frames.dtype),
        "bits_stored": case.bits_stored,
        "frame_megabytes": megabytes,
        "codecs": results,
        "dicomcore_over_peer": ratios,
        "real_bits_stored_saving": (
            1 - ours["stream_bytes"] / as_container
            if case.bits_stored < 8 * case.frames.itemsize
            else 0
        ),
    }


# ---------------------------------------------------------------------------
# Reporting


def print_table(name: str, case: dict) -> None:
    shape = " x ".join(str(n) for n in case["frame_shape"])
    print(
        f"\n{name}: {case['frames']} frames of {shape} {case['dtype']}, "
        f"Bits Stored {case['bits_stored']}"
    )
    header = (
        f"{'codec':<12}{'dec MB/s':>10}{'enc MB/s':>10}{'dec 1t':>9}{'dec 2t':>9}"
        f"{'x2t':>6}{'enc 1t':>9}{'enc 2t':>9}{'x2t':>6}{'bytes':>10}{'P':>4}"
    )
    print(header)
    print("-" * len(header))
    for codec, row in case["codecs"].items():
        print(
            f"{codec:<12}{row['decode_mbps']:>10.1f}{row['encode_mbps']:>10.1f}"
            f"{row['decode_frames_1t_mbps']:>9.1f}{row['decode_frames_2t_mbps']:>9.1f}"
            f"{row['decode_thread_scaling']:>6.2f}"
            f"{row['encode_frames_1t_mbps']:>9.1f}{row['encode_frames_2t_mbps']:>9.1f}"
            f"{row['encode_thread_scaling']:>6.2f}"
            f"{row['stream_bytes']:>10}{row['stream_bits_per_sample']:>4}"
        )
    print("dicomcore / peer:  decode  encode  decode 2t  encode 2t")
    for peer, ratio in case["dicomcore_over_peer"].items():
        print(
            f"  {peer:<15}{ratio['decode_mbps']:>7.2f}{ratio['encode_mbps']:>8.2f}"
            f"{ratio['decode_frames_2t_mbps']:>11.2f}{ratio['encode_frames_2t_mbps']:>11.2f}"
        )
    if case["real_bits_stored_saving"]:
        print(
            f"Writing Bits Stored {case['bits_stored']} instead of the container's bits saves "
            f"{100 * case['real_bits_stored_saving']:.1f}% of the stream"
        )


def plot(report: dict, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    metrics = [
        ("decode_mbps", "decode"),
        ("encode_mbps", "encode"),
        ("decode_frames_1t_mbps", "decode\nframes 1t"),
        ("decode_frames_2t_mbps", "decode\nframes 2t"),
        ("encode_frames_1t_mbps", "encode\nframes 1t"),
        ("encode_frames_2t_mbps", "encode\nframes 2t"),
    ]
    cases = report["cases"]
    figure, axes = plt.subplots(1, len(cases), figsize=(7 * len(cases), 4.5), squeeze=False)
    for axis, (name, case) in zip(axes[0], cases.items()):
        codecs = list(case["codecs"])
        width = 0.8 / len(codecs)
        positions = np.arange(len(metrics))
        for index, codec in enumerate(codecs):
            values = [case["codecs"][codec][metric] for metric, _ in metrics]
            axis.bar(positions + index * width, values, width, label=codec)
        axis.set_xticks(positions + width * (len(codecs) - 1) / 2)
        axis.set_xticklabels([label for _, label in metrics], fontsize=8)
        axis.set_ylabel("MB/s of decoded pixels")
        axis.set_title(name)
        axis.legend(fontsize=8)
    figure.suptitle("JPEG-LS throughput (same run, same frames; compare ratios)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.resolve().is_relative_to(ROOT) else path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few-second run")
    parser.add_argument("--output", type=Path, default=RESULTS / "jpegls.json")
    arguments = parser.parse_args(argv)

    if not jpegls.is_available():
        print("dicomcore was built without CharLS; nothing to measure", file=sys.stderr)
        return 1
    budget = 0.04 if arguments.quick else 0.35
    codecs = all_codecs()
    started = time.perf_counter()
    report = {
        "benchmark": "jpegls",
        "quick": arguments.quick,
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        },
        "versions": {codec.name: codec.version for codec in codecs},
        "cases": {},
    }
    for case in load_cases(arguments.quick):
        report["cases"][case.name] = measure_case(case, codecs, budget)
        print_table(case.name, report["cases"][case.name])
    report["seconds"] = time.perf_counter() - started
    if hasattr(os, "getloadavg"):
        report["machine"]["load_average_after"] = list(os.getloadavg())

    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nversions: {report['versions']}")
    print(f"wrote {_shown(arguments.output)}")
    picture = arguments.output.with_suffix(".png")
    if plot(report, picture):
        print(f"wrote {_shown(picture)}")
    else:
        print("matplotlib is not installed: no plot")
    print(f"{report['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
