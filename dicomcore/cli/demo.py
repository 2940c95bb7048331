"""``dicomcore demo``: the main job on a fresh machine, with nothing to download.

It generates a realistic CT study (:mod:`dicomcore.synthetic`), then

1. reads every file, decodes every value, dumps one header, writes each file
   back and checks the copy is byte-identical with the same values;
2. compresses the study with every codec that is available (the same batch code
   as ``dicomcore compress``), decompresses it again (``dicomcore decompress``),
   checks the pixels of both against the originals (exact for lossless, within
   NEAR for JPEG-LS near-lossless, PSNR for lossy) and prints sizes, ratios and
   speeds.

The exit status is 0 only if everything was verified.
"""

from __future__ import annotations

import argparse
import functools
import io
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dicomcore.cli.batch import default_workers, frame_threads, run_batch
from dicomcore.cli.compress import (
    DEFAULT_J2K_CR,
    DEFAULT_JLS_ERROR,
    DEFAULT_QUANTIZATION_STEP,
    positive_int,
)
from dicomcore.cli.convert import SYNTAXES, ConvertOptions, TargetSyntax, compare_pixels
from dicomcore.cli.files import plan_jobs
from dicomcore.cli.progress import MEGABYTE, NoProgress
from dicomcore.cli.report import format_table, human_bytes

__all__ = ["CodecRow", "add_parser", "codec_round_trip", "write_back_check"]


# -- part 1: read, dump, write back ----------------------------------------------------------


def write_back_check(paths: list[Path], folder: Path) -> tuple[list[tuple[Any, ...]], int]:
    """Read each file (every value decoded), write it to ``folder``, compare.

    Returns the table rows (name, bytes, read ms, write ms, verdict) and the
    number of files that did not come back byte-identical with equal values.
    """
    from dicomcore.filereader import dcmread
    from dicomcore.filewriter import dcmwrite

    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    failures = 0
    for path in paths:
        original = path.read_bytes()
        start = time.perf_counter()
        ds = dcmread(path)
        for elem in ds.iterall():
            elem.value  # noqa: B018  (decode every value: that is what is timed)
        read_s = time.perf_counter() - start
        target = folder / path.name
        start = time.perf_counter()
        dcmwrite(target, ds)
        write_s = time.perf_counter() - start
        identical = target.read_bytes() == original
        again = dcmread(target)
        same_values = all(again[e.tag].value == e.value for e in ds if e.tag != 0x7FE00010)
        ok = identical and same_values and again.PixelData == ds.PixelData
        failures += not ok
        rows.append((path.name, len(original), f"{read_s * 1e3:.2f}", f"{write_s * 1e3:.2f}",
                     "byte-identical" if ok else "MISMATCH"))
    return rows, failures


# -- part 2: every codec ---------------------------------------------------------------------


@dataclass
class CodecRow:
    """One codec's line in the demo table."""

    name: str
    uid: str
    bytes_out: int = 0
    ratio: float = 0.0
    compress_mb_s: float = 0.0
    decompress_mb_s: float = 0.0
    check: str = ""
    ok: bool = False
    available: bool = True


def _options(target: TargetSyntax | None, threads: int, verify: bool = False) -> ConvertOptions:
    name = target.name if target is not None else ""
    return ConvertOptions(
        target=target,
        jls_error=DEFAULT_JLS_ERROR if name == "jpeg-ls-near" else None,
        j2k_cr=DEFAULT_J2K_CR if name == "j2k-lossy" else None,
        quantization_step=DEFAULT_QUANTIZATION_STEP if name == "htj2k-lossy" else None,
        verify=verify,
        threads=threads,
    )


def _available(uid: str) -> str:
    """"" when ``uid`` can be encoded and decoded here, else what to install."""
    from dicomcore.pixels import registry

    for getter in (registry.get_encoding_plugin, registry.get_decoding_plugin):
        try:
            getter(uid)
        except (RuntimeError, NotImplementedError, ValueError) as exc:
            return str(exc)
    return ""


def codec_round_trip(
    study: Path, work: Path, target: TargetSyntax, originals: dict[str, np.ndarray],
    workers: int, peak: float,
) -> CodecRow:
    """Compress ``study`` to ``target``, decompress it back, and check both against
    ``originals`` (file name to pixel array; ``peak`` is the largest sample value)."""
    from dicomcore.filereader import dcmread

    row = CodecRow(target.name, target.uid)
    missing = _available(target.uid)
    if missing:
        row.available, row.ok, row.check = False, True, f"not available: {missing}"
        return row
    compressed, restored = work / target.name, work / f"{target.name}-decompressed"
    failures: list[str] = []
    timings = []
    for source, output, options in (
        (study, compressed, target),
        (compressed, restored, None),
    ):
        jobs, inputs = plan_jobs(source, output)
        threads = frame_threads(workers, len(jobs))
        quiet = functools.partial(NoProgress, len(jobs), 0, io.StringIO())
        outcome = run_batch(jobs, inputs, _options(options, threads), quiet, workers=workers)
        failures += [f"{r.name}: {r.reason}" for r in outcome.results if r.status != "converted"]
        timings.append(outcome.seconds)
    native_bytes = sum(p.stat().st_size for p in study.iterdir())
    row.bytes_out = sum(p.stat().st_size for p in compressed.iterdir())
    row.ratio = native_bytes / row.bytes_out if row.bytes_out else 0.0
    row.compress_mb_s = native_bytes / MEGABYTE / max(timings[0], 1e-9)
    row.decompress_mb_s = native_bytes / MEGABYTE / max(timings[1], 1e-9)
    if failures:
        row.check = "FAILED " + "; ".join(failures)
        return row
    verdicts = []
    try:
        for name, original in originals.items():
            for folder in (compressed, restored):
                decoded = dcmread(folder / name).pixel_array
                verdicts.append(compare_pixels(
                    original, decoded, target.kind, DEFAULT_JLS_ERROR, peak
                ))
    except ValueError as exc:
        row.check = f"FAILED {exc}"
        return row
    row.ok = True
    if target.kind == "lossless":
        row.check = "exact"
    elif target.kind == "near-lossless":
        worst = max(v[1] for v in verdicts)
        row.check = f"max error {worst:g} <= {DEFAULT_JLS_ERROR}"
    else:
        row.check = f"PSNR >= {min(v[2] for v in verdicts if v[2] is not None):.1f} dB"
    return row


# -- the command -----------------------------------------------------------------------------


def _run(args: argparse.Namespace) -> int:
    from dicomcore.filereader import dcmread
    from dicomcore.synthetic import ct_study

    workers = args.workers or default_workers()
    with tempfile.TemporaryDirectory(prefix="dicomcore-demo-") as folder:
        root = Path(folder)
        started = time.perf_counter()
        paths = ct_study(root / "study", slices=args.slices, size=args.size)
        print(f"Generated a CT study of {len(paths)} slices ({args.size}x{args.size}, 12 bits "
              f"stored in 16) in {root / 'study'}\n")
        first = dcmread(paths[0], stop_before_pixels=True)
        print(f"Header of {paths[0].name} (dicomcore dump --stop-before-pixels):")
        print(first)
        print()

        rows, write_failures = write_back_check(paths, root / "written")
        print("Read, decode every value, write back:")
        print(format_table(("file", "bytes", "read+decode ms", "write ms", "verified"), rows))
        print(f"{len(rows) - write_failures} of {len(rows)} files written back byte-identical "
              "with the same values.\n")

        originals = {p.name: dcmread(p).pixel_array.copy() for p in paths}
        native = sum(p.stat().st_size for p in paths)
        peak = float(2 ** int(first.BitsStored) - 1)
        print(f"Every available codec, {workers} worker{'s' if workers != 1 else ''} "
              f"(dicomcore compress STUDY OUT --ts NAME, then dicomcore decompress OUT BACK), "
              f"{human_bytes(native)} in:")
        codec_rows = [
            codec_round_trip(root / "study", root / "codecs", target, originals, workers, peak)
            for target in SYNTAXES.values()
        ]
        table = []
        for r in codec_rows:
            if r.available:
                table.append((r.name, r.uid, human_bytes(r.bytes_out), f"{r.ratio:.2f}",
                              f"{r.compress_mb_s:.1f}", f"{r.decompress_mb_s:.1f}", r.check))
            else:
                table.append((r.name, r.uid, "-", "-", "-", "-", r.check))
        print(format_table(("--ts", "transfer syntax", "bytes", "ratio", "compress MB/s",
                            "decompress MB/s", "checked against the original"), table,
                           align="llrrrrl"))
        codec_failures = sum(not r.ok for r in codec_rows)
        tested = sum(r.available for r in codec_rows)
        print(f"\n{tested - codec_failures} of {tested} available codecs verified "
              f"({len(codec_rows) - tested} not available); demo took "
              f"{time.perf_counter() - started:.1f} s.")
        if write_failures or codec_failures:
            print("DEMO FAILED")
            return 1
        print("Everything verified.")
        return 0


def add_parser(commands: Any) -> None:
    """Add the ``demo`` subcommand to ``commands``."""
    demo = commands.add_parser(
        "demo", help="generate a CT study; read, dump, write back; every codec round trip",
        description="Generate a synthetic CT study in a temporary folder, read and write "
                    "it back byte for byte, then compress and decompress it with every "
                    "available codec, verify the pixels and print sizes, ratios and speeds. "
                    "Exits 0 only if everything verified.",
    )
    demo.add_argument("--slices", type=positive_int, default=12,
                      help="number of slices (default 12)")
    demo.add_argument("--size", type=positive_int, default=512,
                      help="rows and columns of each slice (default 512)")
    demo.add_argument("--workers", type=positive_int, default=None, metavar="N",
                      help="parallel workers (default: all cores)")
    demo.set_defaults(run=_run)
