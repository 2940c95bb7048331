"""Converting one file: compress or decompress its pixel data, verify, write safely.

:func:`convert_file` is what each worker of ``dicomcore compress`` and
``dicomcore decompress`` runs. It never raises for a bad file: every failure
becomes a :class:`FileResult` with the reason, so a batch goes on.
"""

from __future__ import annotations

import math
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dicomcore import uid as uids
from dicomcore.cli.files import Job, write_atomically
from dicomcore.filereader import dcmread
from dicomcore.filewriter import encode_file
from dicomcore.pixels.layout import declared_transfer_syntax

__all__ = [
    "SYNTAXES",
    "ConvertOptions",
    "DamagedFileError",
    "FileResult",
    "TargetSyntax",
    "VerificationError",
    "collect_warnings",
    "compare_pixels",
    "convert_file",
    "describe_failure",
]

_PIXEL_DATA = 0x7FE00010
# Arrays are compared in pieces of this many samples so that verifying a large
# multi-frame image needs little memory beyond the two decoded arrays.
_COMPARE_CHUNK = 1 << 20


@dataclass(frozen=True)
class TargetSyntax:
    """A transfer syntax the ``compress`` command writes.

    Attributes
    ----------
    name : str
        The ``--ts`` value.
    uid : str
        The Transfer Syntax UID (PS3.5 Section 10 and Annex A.4).
    kind : str
        ``"lossless"``, ``"near-lossless"`` (every sample within ``jls_error``) or
        ``"lossy"`` (quality reported as PSNR).
    """

    name: str
    uid: str
    kind: str


SYNTAXES: dict[str, TargetSyntax] = {
    s.name: s
    for s in (
        TargetSyntax("rle", uids.RLELossless, "lossless"),
        TargetSyntax("jpeg-ls", uids.JPEGLSLossless, "lossless"),
        TargetSyntax("jpeg-ls-near", uids.JPEGLSNearLossless, "near-lossless"),
        TargetSyntax("j2k", uids.JPEG2000Lossless, "lossless"),
        TargetSyntax("j2k-lossy", uids.JPEG2000, "lossy"),
        TargetSyntax("htj2k", uids.HTJ2KLossless, "lossless"),
        TargetSyntax("htj2k-rpcl", uids.HTJ2KLosslessRPCL, "lossless"),
        TargetSyntax("htj2k-lossy", uids.HTJ2K, "lossy"),
        TargetSyntax("deflate", uids.DeflatedImageFrameCompression, "lossless"),
    )
}


@dataclass(frozen=True)
class ConvertOptions:
    """How every file of a batch is converted.

    Attributes
    ----------
    target : TargetSyntax or None
        The syntax to compress to; None decompresses (to Explicit VR Little Endian).
    jls_error : int or None
        JPEG-LS near-lossless: the largest absolute error allowed (NEAR, ISO/IEC 14495-1).
    j2k_cr, j2k_psnr : tuple of float or None
        JPEG 2000 lossy: compression ratio or PSNR of each quality layer.
    quantization_step : float or None
        HTJ2K lossy: the base quantization step relative to the sample range.
    encapsulate_ext : bool
        Write an Extended Offset Table (PS3.5 A.4).
    verify : bool
        Decode each output and compare it with the input pixels before it is
        given its name.
    force : bool
        Read files without the DICM prefix.
    overwrite : bool
        Replace existing outputs (never inputs).
    new_uid : bool
        Give every output a new SOP Instance UID; lossy outputs always get one.
    threads : int
        Codec threads for the frames of one file.
    """

    target: TargetSyntax | None = None
    jls_error: int | None = None
    j2k_cr: tuple[float, ...] | None = None
    j2k_psnr: tuple[float, ...] | None = None
    quantization_step: float | None = None
    encapsulate_ext: bool = False
    verify: bool = False
    force: bool = False
    overwrite: bool = False
    new_uid: bool = False
    threads: int = 1


@dataclass
class FileResult:
    """What happened to one file.

    Attributes
    ----------
    name, source, target : str
    status : str
        ``"converted"``, ``"copied"`` (written unchanged: no pixel data, or
        already in the wanted form) or ``"failed"``.
    bytes_in, bytes_out : int
    seconds : float
        Time spent on the file in its worker.
    reason : str
        Why it failed or was copied unchanged.
    verified : str
        ``"exact"``, ``"max error N"`` or ``"PSNR X dB"`` when verified, else "".
    max_error : float or None
    psnr : float or None
        Peak signal-to-noise ratio in dB (inf when exact), lossy syntaxes only.
    warnings : list of str
        Warnings raised while reading or converting the file.
    """

    name: str
    source: str
    target: str
    status: str = "failed"
    bytes_in: int = 0
    bytes_out: int = 0
    seconds: float = 0.0
    reason: str = ""
    verified: str = ""
    max_error: float | None = None
    psnr: float | None = None
    warnings: list[str] = field(default_factory=list)


class VerificationError(ValueError):
    """A written file's pixels do not match its input's."""


class DamagedFileError(ValueError):
    """The input is cut short or has a length that runs past its end."""


# -- warnings, per worker thread ----------------------------------------------------------

_collected = threading.local()
_show_elsewhere = warnings.showwarning


def _record_warning(message: Any, category: Any, filename: str, lineno: int,
                    file: Any = None, line: Any = None) -> None:
    bucket = getattr(_collected, "messages", None)
    if bucket is None:
        _show_elsewhere(message, category, filename, lineno, file, line)
    else:
        bucket.append(f"{category.__name__}: {message}")


def collect_warnings() -> None:
    """Send warnings raised while converting a file to that file's result.

    ``warnings.catch_warnings`` changes process-wide state and is not safe with
    worker threads; instead every warning is shown through a hook that files it
    under the converting thread. Called once per process, by the command.
    """
    global _show_elsewhere
    if warnings.showwarning is not _record_warning:
        _show_elsewhere = warnings.showwarning
        warnings.showwarning = _record_warning
    # Each file's warnings are wanted, not only the first at a code location.
    warnings.simplefilter("always")


# -- pixel comparison ---------------------------------------------------------------------


def compare_pixels(
    original: np.ndarray, decoded: np.ndarray, kind: str, bound: int = 0, peak: float = 1.0
) -> tuple[str, float, float | None]:
    """Check decoded output pixels against the input's.

    Parameters
    ----------
    original, decoded : numpy.ndarray
    kind : str
        ``"lossless"``: every sample equal; ``"near-lossless"``: every sample within
        ``bound`` (JPEG-LS NEAR, ISO/IEC 14495-1 / PS3.5 Section 8.2.3); ``"lossy"``:
        nothing is claimed, the PSNR is measured.
    peak : float
        The largest possible sample value, for the PSNR (``2**BitsStored - 1``).

    Returns
    -------
    verdict : str
        ``"exact"``, ``"max error N"`` or ``"PSNR X dB"``.
    max_error : float
    psnr : float or None
        For lossy data only.

    Raises
    ------
    VerificationError
        If the shapes differ or a lossless / near-lossless bound is broken.
    """
    if original.shape != decoded.shape:
        raise VerificationError(
            f"verify: the output decodes to shape {decoded.shape}, the input to {original.shape}"
        )
    flat_original = original.reshape(-1)
    flat_decoded = decoded.reshape(-1)
    max_error = 0.0
    squared = 0.0
    first_difference = -1
    for start in range(0, flat_original.size, _COMPARE_CHUNK):
        a = flat_original[start:start + _COMPARE_CHUNK].astype(np.float64)
        b = flat_decoded[start:start + _COMPARE_CHUNK].astype(np.float64)
        difference = np.abs(a - b)
        chunk_max = float(difference.max()) if difference.size else 0.0
        if chunk_max > 0 and first_difference < 0:
            first_difference = start + int(np.argmax(difference > 0))
        max_error = max(max_error, chunk_max)
        if kind == "lossy":
            squared += float(np.dot(difference, difference))
    if kind == "lossless":
        if max_error:
            frame = np.unravel_index(first_difference, original.shape)
            raise VerificationError(
                f"verify: lossless output differs from the input (max error {max_error:g}, "
                f"first at index {tuple(int(i) for i in frame)})"
            )
        return "exact", 0.0, None
    if kind == "near-lossless":
        if max_error > bound:
            raise VerificationError(
                f"verify: near-lossless output has error {max_error:g}, more than the "
                f"allowed {bound}"
            )
        return ("exact" if not max_error else f"max error {max_error:g}"), max_error, None
    mse = squared / max(1, flat_original.size)
    psnr = math.inf if mse == 0 else 10.0 * math.log10(peak * peak / mse)
    return f"PSNR {psnr:.1f} dB", max_error, psnr


# -- one file -----------------------------------------------------------------------------


def describe_failure(exc: BaseException) -> str:
    """A failure reason for the report: what went wrong, naming where when known."""
    from dicomcore.cli.files import OutputExistsError, OverwritesInputError
    from dicomcore.errors import InvalidDicomError

    if type(exc) is InvalidDicomError:
        return f"not a DICOM file: {exc}".replace("force=True", "--force")
    if isinstance(exc, (VerificationError, DamagedFileError, OutputExistsError,
                        OverwritesInputError, OSError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _damage(ds: Any) -> str:
    """Why the file just read is cut short or corrupt, or "".

    The reader keeps what it can of a damaged file (with a warning, as pydicom
    does); a converter must not, or it would write a well-formed file holding
    wrong data. Only the element index of a freshly read file knows this.
    """
    index = ds.__dict__.get("_index")
    if index is None or not getattr(index, "is_cut_short", False):
        return ""
    tags = index.truncated()
    if tags:
        where = ", ".join(f"({tag >> 16:04X},{tag & 0xFFFF:04X})" for tag in tags)
        return f"cut short or corrupt: the data ends inside element {where}"
    return (
        "cut short or corrupt: the data ends inside an element header at offset "
        f"{index.cut_header_offset}"
    )


def _encode(ds: Any) -> bytes:
    """The output file's bytes, in the DICOM File Format (PS3.10 Section 7.1) if possible.

    A file read with ``--force`` may lack the preamble and File Meta Information;
    they are added. A dataset without the SOP Class and Instance UIDs the File
    Meta needs is written as it was read.
    """
    try:
        return encode_file(ds, enforce_file_format=True)
    except ValueError:
        return encode_file(ds)


def _peak(ds: Any) -> float:
    bits = int(ds.get("BitsStored") or ds.get("BitsAllocated") or 8)
    return float(2**bits - 1)


def _encode_options(options: ConvertOptions) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if options.jls_error is not None:
        extra["jls_error"] = options.jls_error
    if options.j2k_cr is not None:
        extra["j2k_cr"] = list(options.j2k_cr)
    if options.j2k_psnr is not None:
        extra["j2k_psnr"] = list(options.j2k_psnr)
    if options.quantization_step is not None:
        extra["quantization_step"] = options.quantization_step
    return extra


def _unchanged_reason(ds: Any, options: ConvertOptions) -> str:
    """Why the file is copied as it is, or "" when it is to be converted."""
    if _PIXEL_DATA not in ds:
        return "no (7FE0,0010) Pixel Data"
    syntax = declared_transfer_syntax(ds)
    if options.target is None:
        if syntax is None or not syntax.is_encapsulated:
            return "pixel data already uncompressed"
    elif syntax == options.target.uid:
        return f"already {syntax.name}"
    return ""


def convert_file(job: Job, options: ConvertOptions, inputs: set[tuple[int, int]]) -> FileResult:
    """Convert ``job.source`` to ``job.target``.

    Compressing encodes the pixel data in ``options.target`` (decoding it first
    when it is compressed in another syntax); decompressing writes native pixel
    data in Explicit VR Little Endian. A file without Pixel Data, or already in
    the wanted form, is copied unchanged. The SOP Instance UID is kept unless the
    coding is lossy, which makes a new instance (PS3.3 C.7.6.1.1.5), or
    ``options.new_uid`` asks for one.

    Parameters
    ----------
    job : Job
    options : ConvertOptions
    inputs : set of (st_dev, st_ino)
        The batch's inputs, which are never replaced.

    Returns
    -------
    FileResult
        Never raises for a bad file; the reason is in ``reason``.
    """
    from dicomcore.pixels import pixel_array

    result = FileResult(job.name, job.source, job.target, bytes_in=job.size)
    _collected.messages = result.warnings
    start = time.perf_counter()
    try:
        source, target = Path(job.source), Path(job.target)
        result.bytes_in = source.stat().st_size
        ds = dcmread(source, force=options.force)
        damage = _damage(ds)
        if damage:
            raise DamagedFileError(damage)
        reason = _unchanged_reason(ds, options)
        if reason:
            del ds  # let the memory map go before copying
            write_atomically(target, source, inputs=inputs, overwrite=options.overwrite)
            result.status, result.reason = "copied", reason
            result.bytes_out = result.bytes_in
            return result

        kind = "lossless" if options.target is None else options.target.kind
        peak = _peak(ds)
        photometric = ds.get("PhotometricInterpretation")
        # Compared as stored (no YBR to RGB conversion), where the JPEG-LS NEAR
        # bound holds; converted only if the codec changed the colour space.
        original = (
            pixel_array(ds, raw=True, threads=options.threads) if options.verify else None
        )
        new_uid = options.new_uid or kind == "lossy"
        if options.target is None:
            ds.decompress(generate_instance_uid=new_uid, threads=options.threads)
        else:
            ds.compress(
                options.target.uid,
                encapsulate_ext=options.encapsulate_ext,
                generate_instance_uid=new_uid,
                threads=options.threads,
                **_encode_options(options),
            )
        data = _encode(ds)
        del ds

        def check(path: Path) -> None:
            written = dcmread(path, force=options.force)
            before = original
            raw = written.get("PhotometricInterpretation") == photometric
            if not raw:
                before = pixel_array(dcmread(source, force=options.force), threads=options.threads)
            decoded = pixel_array(written, raw=raw, threads=options.threads)
            result.verified, result.max_error, result.psnr = compare_pixels(
                before, decoded, kind, options.jls_error or 0, peak
            )

        write_atomically(
            target, data, inputs=inputs, overwrite=options.overwrite,
            check=check if options.verify else None,
        )
        result.status, result.bytes_out = "converted", len(data)
    except Exception as exc:  # noqa: BLE001  (one bad file must not stop the batch)
        result.status, result.reason = "failed", describe_failure(exc)
        result.verified = ""
    finally:
        result.seconds = time.perf_counter() - start
        _collected.messages = None
        # Reading and then decoding can raise the same warning twice.
        result.warnings[:] = list(dict.fromkeys(result.warnings))
    return result
