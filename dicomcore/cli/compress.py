"""``dicomcore compress`` and ``dicomcore decompress``: convert files or whole trees."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from dicomcore.cli.batch import default_workers, frame_threads, run_batch
from dicomcore.cli.convert import SYNTAXES, ConvertOptions, TargetSyntax
from dicomcore.cli.files import OverwritesInputError, plan_jobs
from dicomcore.cli.progress import make_progress
from dicomcore.cli.report import format_summary, write_json_report

__all__ = ["add_parsers", "build_options", "positive_int", "run_conversion"]

EXIT_FAILURES = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

DEFAULT_JLS_ERROR = 2
DEFAULT_J2K_CR = (10.0,)
DEFAULT_QUANTIZATION_STEP = 0.002


def positive_int(text: str) -> int:
    """An argument that must be a whole number of at least 1 (for argparse ``type=``)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number more than 0, not {text}")
    return value


def _add_paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, metavar="IN",
                        help="a DICOM file, or a folder converted recursively")
    parser.add_argument("output", type=Path, metavar="OUT",
                        help="the output file or folder (for a folder, the tree is mirrored)")


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=positive_int, default=None, metavar="N",
                        help=f"files converted in parallel (default: all cores, here "
                             f"{default_workers()})")
    parser.add_argument("--pool", choices=("thread", "process"), default="thread",
                        help="run workers as threads (default; the codecs release the GIL) "
                             "or as processes")
    parser.add_argument("--verify", action="store_true",
                        help="decode each output and compare it with the input pixels before "
                             "keeping it: exact for lossless, within --jls-error for "
                             "near-lossless, PSNR reported for lossy")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace existing output files (inputs are never replaced)")
    parser.add_argument("--force", action="store_true",
                        help="also read files without the DICM prefix")
    parser.add_argument("--new-uid", action="store_true",
                        help="give every output a new SOP Instance UID (lossy outputs always "
                             "get one)")
    parser.add_argument("--progress", choices=("auto", "bar", "lines", "none"), default="auto",
                        help="a progress bar on a terminal, plain lines otherwise (default "
                             "auto)")
    parser.add_argument("--report", type=Path, metavar="FILE",
                        help="also write every file's result as JSON to FILE")


def add_parsers(commands: Any) -> None:
    """Add the ``compress`` and ``decompress`` subcommands to ``commands``."""
    compress = commands.add_parser(
        "compress",
        help="compress the pixel data of a file or a tree of files",
        description="Compress the pixel data of IN (a file, or every file below a folder) "
                    "into OUT. Files without pixel data, or already in the transfer syntax, "
                    "are copied unchanged. Each output is written under a temporary name and "
                    "renamed into place when complete. The exit status is 0 when every file "
                    "was written, 1 when any failed, 130 when interrupted.",
    )
    _add_paths(compress)
    compress.add_argument("--ts", required=True, choices=list(SYNTAXES), metavar="SYNTAX",
                          help="the transfer syntax: " + ", ".join(SYNTAXES))
    compress.add_argument("--jls-error", type=int, default=None, metavar="N",
                          help="jpeg-ls-near: the largest error allowed per sample "
                               f"(default {DEFAULT_JLS_ERROR})")
    compress.add_argument("--j2k-cr", type=_positive_float, nargs="+", metavar="R",
                          help="j2k-lossy: the compression ratio of each quality layer "
                               f"(default {DEFAULT_J2K_CR[0]:g})")
    compress.add_argument("--j2k-psnr", type=_positive_float, nargs="+", metavar="P",
                          help="j2k-lossy: the PSNR in dB of each quality layer (instead of "
                               "--j2k-cr)")
    compress.add_argument("--quantization-step", type=_positive_float, metavar="Q",
                          help="htj2k-lossy: the quantization step relative to the sample "
                               f"range (default {DEFAULT_QUANTIZATION_STEP:g})")
    compress.add_argument("--ext-offsets", action="store_true",
                          help="add an Extended Offset Table (PS3.5 A.4)")
    _add_common(compress)
    compress.set_defaults(run=_run_compress)

    decompress = commands.add_parser(
        "decompress",
        help="decompress the pixel data of a file or a tree of files",
        description="Write IN (a file, or every file below a folder) to OUT with native "
                    "pixel data in Explicit VR Little Endian. Files already uncompressed, or "
                    "without pixel data, are copied unchanged. Each output is written under "
                    "a temporary name and renamed into place when complete. The exit status "
                    "is 0 when every file was written, 1 when any failed, 130 when "
                    "interrupted.",
    )
    _add_paths(decompress)
    _add_common(decompress)
    decompress.set_defaults(run=_run_decompress)


def build_options(args: argparse.Namespace, target: TargetSyntax | None,
                  threads: int) -> ConvertOptions:
    """The per-file options from parsed arguments; raises ValueError for bad combinations."""
    jls_error = getattr(args, "jls_error", None)
    j2k_cr = getattr(args, "j2k_cr", None)
    j2k_psnr = getattr(args, "j2k_psnr", None)
    step = getattr(args, "quantization_step", None)
    name = target.name if target is not None else ""
    if jls_error is not None and name != "jpeg-ls-near":
        raise ValueError("--jls-error is for --ts jpeg-ls-near")
    if (j2k_cr or j2k_psnr) and name != "j2k-lossy":
        raise ValueError("--j2k-cr and --j2k-psnr are for --ts j2k-lossy")
    if j2k_cr and j2k_psnr:
        raise ValueError("give either --j2k-cr or --j2k-psnr, not both")
    if step is not None and name != "htj2k-lossy":
        raise ValueError("--quantization-step is for --ts htj2k-lossy")
    if name == "jpeg-ls-near":
        jls_error = DEFAULT_JLS_ERROR if jls_error is None else jls_error
        if not 0 <= jls_error <= 255:
            raise ValueError(f"--jls-error must be 0 to 255 (ISO/IEC 14495-1 NEAR), not "
                             f"{jls_error}")
    if name == "j2k-lossy" and not (j2k_cr or j2k_psnr):
        j2k_cr = DEFAULT_J2K_CR
    if name == "htj2k-lossy":
        step = DEFAULT_QUANTIZATION_STEP if step is None else step
        if step > 1:
            raise ValueError(f"--quantization-step must be at most 1, not {step:g}")
    return ConvertOptions(
        target=target,
        jls_error=jls_error,
        j2k_cr=tuple(j2k_cr) if j2k_cr else None,
        j2k_psnr=tuple(j2k_psnr) if j2k_psnr else None,
        quantization_step=step,
        encapsulate_ext=getattr(args, "ext_offsets", False),
        verify=args.verify,
        force=args.force,
        overwrite=args.overwrite,
        new_uid=args.new_uid,
        threads=threads,
    )


def _check_codec(target: TargetSyntax) -> None:
    """Fail before the batch starts when the codec is missing, saying what to install."""
    from dicomcore.pixels import registry

    registry.get_encoding_plugin(target.uid)


def run_conversion(args: argparse.Namespace, target: TargetSyntax | None) -> int:
    """Run ``compress`` (``target`` given) or ``decompress`` and print the summary.

    Returns
    -------
    int
        0 when every file was written, 1 when any failed, 2 for an unusable
        command line, 130 when interrupted.
    """
    command = "compress" if target is not None else "decompress"
    workers = args.workers or default_workers()
    try:
        jobs, inputs = plan_jobs(args.input, args.output)
        options = build_options(args, target, frame_threads(workers, len(jobs)))
        if target is not None:
            _check_codec(target)
    except (OSError, ValueError, RuntimeError, OverwritesInputError) as exc:
        print(f"dicomcore {command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    action = command if target is None else f"{command} to {target.name}"
    outcome = run_batch(
        jobs, inputs, options,
        lambda: make_progress(args.progress, len(jobs), sum(job.size for job in jobs)),
        workers=workers, pool=args.pool,
    )
    print(format_summary(outcome, action))
    if args.report is not None:
        write_json_report(args.report, outcome, action)
    if outcome.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_FAILURES if any(r.status == "failed" for r in outcome.results) else 0


def _run_compress(args: argparse.Namespace) -> int:
    return run_conversion(args, SYNTAXES[args.ts])


def _run_decompress(args: argparse.Namespace) -> int:
    return run_conversion(args, None)
