"""Benchmark dicomcore's GPU pixel path against the CPU paths (issue 7).

Workload: a batch of 256 CT frames, 512 x 512 16-bit, RLE Lossless, as bytes in
host memory (real 512 x 512 CT slices from pydicom's and pydicom-data's test
files, cycled), to a float16 windowed tensor on the GPU (rescale -1024, window
40 / 400, as PS3.3 C.11.1 and C.11.2.1.2 define them). Three ways, one run:

* ``gpu``: dicomcore.gpu: RLE decode on the device (one launch sequence for the
  batch), then the fused rescale + window + float16 kernel.
* ``cpu``: dicomcore's CPU path with all cores: the C RLE decoder on a thread
  per core, dicomcore.pixels.processing's rescale and window, float16, upload.
* ``pydicom``: pydicom 3 with pylibjpeg-rle, NumPy processing, float16, upload.

Also timed: the RLE kernels alone (CUDA events around each launch) against the
C decoder on one thread. Goals: kernels >= 10x one CPU thread; end to end >= 3x
the CPU path with all cores of the same machine. Each figure is the best of
``--repeats`` runs. Writes ``benchmarks/gpu/results/gpu.json``.

    python3 benchmarks/gpu/bench_gpu.py               # on a GPU machine, ~1 minute
    python3 benchmarks/gpu/bench_gpu.py --cpu-only --frames 16   # the CPU paths only
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
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bench_setup  # noqa: E402  first: sets up sys.path and the OpenBLAS threads
import numpy as np  # noqa: E402

ROOT = bench_setup.ROOT

import datafiles  # noqa: E402
from dicomcore.codecs import rle as cpu_rle  # noqa: E402

RESULTS = ROOT / "benchmarks" / "gpu" / "results"
CT_FILES = [
    "693_UNCI.dcm",
    "mlut_18.dcm",
    "eCT_Supplemental.dcm",
    "bad_sequence.dcm",
    "explicit_VR-UN.dcm",
    "J2K_pixelrep_mismatch.dcm",
]
ROWS = COLUMNS = 512
SLOPE, INTERCEPT, CENTER, WIDTH = 1.0, -1024.0, 40.0, 400.0


def ct_frames(count: int) -> np.ndarray:
    """``count`` real 512 x 512 CT slices (cycled) as uint16."""
    import pydicom

    slices = []
    for name in CT_FILES:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                arr = pydicom.pixels.pixel_array(datafiles.get(name))
        except Exception:
            continue
        for frame in arr if arr.ndim == 3 else arr[None]:
            if frame.shape == (ROWS, COLUMNS) and frame.dtype.itemsize == 2:
                slices.append(frame.view(np.uint16))
    if not slices:
        raise SystemExit("no 512 x 512 CT slices found: install the test extras (pydicom-data)")
    return np.stack([slices[i % len(slices)] for i in range(count)])


def _image_values(ds: Any) -> Any:
    ds.Rows, ds.Columns = ROWS, COLUMNS
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.RescaleSlope, ds.RescaleIntercept = SLOPE, INTERCEPT
    ds.WindowCenter, ds.WindowWidth = CENTER, WIDTH
    return ds


def best(function: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


# -- The three paths ---------------------------------------------------------------------


def cpu_path(frames: list[bytes], upload: Callable[[np.ndarray], Any] | None) -> Callable[[], Any]:
    from dicomcore.dataset import Dataset
    from dicomcore.pixels import processing

    ds = _image_values(Dataset())

    def run() -> Any:
        arr = cpu_rle.decode_frames(
            frames,
            rows=ROWS,
            columns=COLUMNS,
            samples_per_pixel=1,
            bits_allocated=16,
            threads=os.cpu_count(),
        )
        windowed = processing.apply_windowing(processing.apply_modality_lut(arr, ds), ds)
        tensor = windowed.astype(np.float16)
        return upload(tensor) if upload else tensor

    return run


def pydicom_path(
    frames: list[bytes], upload: Callable[[np.ndarray], Any] | None
) -> Callable[[], Any] | None:
    try:
        import pydicom
        import rle  # noqa: F401  (pylibjpeg-rle, pydicom's plugin)
        from pydicom.encaps import encapsulate
        from pydicom.pixels import processing
    except ImportError:
        return None
    ds = _image_values(pydicom.Dataset())
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.RLELossless
    ds.NumberOfFrames = len(frames)
    ds.PixelData = encapsulate(frames)
    ds["PixelData"].VR = "OB"

    def run() -> Any:
        arr = pydicom.pixels.pixel_array(ds, decoding_plugin="pylibjpeg")
        windowed = processing.apply_windowing(processing.apply_modality_lut(arr, ds), ds)
        tensor = windowed.astype(np.float16)
        return upload(tensor) if upload else tensor

    return run


class TimingEngine:
    """Wraps a CupyEngine, timing each RLE kernel launch with CUDA events."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self.kernel_seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def launch(self, module: str, kernel: str, count: int, args: Any, block: Any = None) -> None:
        if module != "rle":
            self._engine.launch(module, kernel, count, args, block)
            return
        cupy = self._engine.xp
        with self._engine.activate():
            start, stop = cupy.cuda.Event(), cupy.cuda.Event()
            start.record()
            self._engine.launch(module, kernel, count, args, block)
            stop.record()
            stop.synchronize()
        self.kernel_seconds += cupy.cuda.get_elapsed_time(start, stop) / 1000


def gpu_path(frames: list[bytes], engine: Any) -> Callable[[], Any]:
    from dicomcore.dataset import Dataset
    from dicomcore.gpu import processing, rle

    params = processing.frame_parameters(_image_values(Dataset()))  # rescale and window

    def run() -> Any:
        decoded = rle.decode_frames(
            frames,
            rows=ROWS,
            columns=COLUMNS,
            samples_per_pixel=1,
            bits_allocated=16,
            device=engine,
        )
        return processing.transform(decoded, params, np.float16, device=engine)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cpu-only", action="store_true", help="time the CPU paths only (no GPU)")
    parser.add_argument("--json", type=Path, default=RESULTS / "gpu.json")
    options = parser.parse_args()

    pixels = ct_frames(options.frames)
    frames = cpu_rle.encode_frames(pixels)
    compressed = sum(len(f) for f in frames)
    results: dict[str, Any] = {
        "frames": options.frames,
        "frame_shape": [ROWS, COLUMNS],
        "compressed_mb": compressed / 1e6,
        "decoded_mb": pixels.nbytes / 1e6,
        "cpu_count": os.cpu_count(),
        "machine": platform.platform(),
        "seconds": {},
    }
    seconds = results["seconds"]
    upload = None
    if not options.cpu_only:
        from dicomcore.gpu.device import describe_device, require_cupy
        from dicomcore.gpu.engine import CupyEngine

        cupy = require_cupy()
        results["device"] = describe_device()

        def upload(arr: np.ndarray) -> Any:
            out = cupy.asarray(arr)
            cupy.cuda.get_current_stream().synchronize()
            return out

        engine = TimingEngine(CupyEngine())
        run_gpu = gpu_path(frames, engine)
        expected = cpu_path(frames, upload)()
        got = run_gpu()  # also compiles the kernels
        mismatch = int((cupy.asnumpy(got) != cupy.asnumpy(expected)).sum())
        results["gpu_values_differing_from_cpu_path"] = mismatch
        seconds["gpu_end_to_end"] = best(run_gpu, options.repeats)
        kernel_times = []
        for _ in range(options.repeats):
            engine.kernel_seconds = 0.0
            run_gpu()
            kernel_times.append(engine.kernel_seconds)
        seconds["gpu_rle_kernels"] = min(kernel_times)

    seconds["cpu_decode_one_thread"] = best(
        lambda: cpu_rle.decode_frames(
            frames, rows=ROWS, columns=COLUMNS, samples_per_pixel=1, bits_allocated=16, threads=1
        ),
        options.repeats,
    )
    seconds["cpu_all_cores_end_to_end"] = best(cpu_path(frames, upload), options.repeats)
    run_pydicom = pydicom_path(frames, upload)
    if run_pydicom is not None:
        seconds["pydicom_end_to_end"] = best(run_pydicom, options.repeats)

    ratios = {}
    if "gpu_end_to_end" in seconds:
        ratios["rle_kernels_vs_one_cpu_thread"] = (
            seconds["cpu_decode_one_thread"] / seconds["gpu_rle_kernels"]
        )
        ratios["end_to_end_vs_cpu_all_cores"] = (
            seconds["cpu_all_cores_end_to_end"] / seconds["gpu_end_to_end"]
        )
        if "pydicom_end_to_end" in seconds:
            ratios["end_to_end_vs_pydicom"] = (
                seconds["pydicom_end_to_end"] / seconds["gpu_end_to_end"]
            )
    results["speedups"] = ratios

    size = f"{compressed / 1e6:.1f} MB compressed"
    print(f"{options.frames} frames {ROWS}x{COLUMNS} 16-bit RLE ({size})")
    for name, value in seconds.items():
        print(f"  {name:28s} {value * 1e3:9.1f} ms")
    for name, value in ratios.items():
        print(f"  {name:28s} {value:9.1f}x")
    options.json.parent.mkdir(parents=True, exist_ok=True)
    options.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
