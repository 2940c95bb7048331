"""JPEG 2000 decoding and encoding through OpenJPEG, with NumPy in and out.

Decodes the JPEG 2000 transfer syntaxes (PS3.5 Section 8.2.4 and A.4.4) and,
since OpenJPEG 2.5 reads HT code-blocks, the HTJ2K ones (PS3.5 Section 8.2.15
and A.4.11); encodes JPEG 2000 Lossless (reversible 5/3 wavelet) and JPEG 2000
(irreversible 9/7 wavelet with rate or quality targets). HTJ2K encoding and
the faster HTJ2K decoder are in :mod:`dicomcore.codecs.htj2k`.

Besides what pydicom offers, :func:`decode_frame` can decode at a reduced
resolution (``reduce``) and only a region (``region``), for thumbnails and
tiles, and :func:`read_header` reads a codestream's main header without
decoding it.

Examples
--------
>>> from dicomcore.codecs import jpeg2000
>>> arr = jpeg2000.decode_frame(frame, bits_allocated=16, pixel_representation=1)
>>> thumbnail = jpeg2000.decode_frame(frame, reduce=3)
>>> encoded = jpeg2000.encode_frame(arr, bits_stored=12, pixel_representation=1)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from dicomcore import config
from dicomcore.codecs._j2k_common import (
    HTJ2K,
    HTJ2K_LOSSLESS,
    HTJ2K_LOSSLESS_RPCL,
    JPEG2000,
    JPEG2000_LOSSLESS,
    JPEG2000Error,
    JPEG2000Warning,
    decode_batch,
    encode_batch,
    frame_layout,
)

try:
    from dicomcore.codecs import _openjpeg
except ImportError:  # OpenJPEG was not found when dicomcore was built
    _openjpeg = None

__all__ = [
    "ENCODES",
    "TRANSFER_SYNTAXES",
    "JPEG2000Error",
    "JPEG2000Warning",
    "decode_frame",
    "decode_frames",
    "encode_frame",
    "encode_frames",
    "encoded_photometric_interpretation",
    "is_available",
    "read_header",
]

#: Transfer syntaxes whose frames :func:`decode_frame` decodes.
TRANSFER_SYNTAXES: tuple[str, ...] = (
    JPEG2000_LOSSLESS,
    JPEG2000,
    HTJ2K_LOSSLESS,
    HTJ2K_LOSSLESS_RPCL,
    HTJ2K,
)
#: Transfer syntaxes :func:`encode_frame` encodes to.
ENCODES: tuple[str, ...] = (JPEG2000_LOSSLESS, JPEG2000)

_PROGRESSIONS = ("LRCP", "RLCP", "RPCL", "PCRL", "CPRL")


def is_available() -> bool:
    """Return True when dicomcore was built with OpenJPEG."""
    return _openjpeg is not None


def _library() -> Any:
    if _openjpeg is None:
        raise ImportError(
            "dicomcore.codecs.jpeg2000 requires OpenJPEG (libopenjp2 >= 2.5); on Debian: "
            "apt-get install libopenjp2-7-dev, then reinstall dicomcore"
        )
    return _openjpeg


def _as_buffer(src: Any) -> Any:
    """A C-contiguous byte view of ``src`` (bytes, bytearray, memoryview, uint8 array)."""
    if isinstance(src, (bytes, bytearray)):
        return src
    view = memoryview(src)
    if not view.c_contiguous:
        raise ValueError("the JPEG 2000 data must be a contiguous bytes-like object")
    return view.cast("B") if view.format != "B" or view.ndim != 1 else view


def _warn(messages: list[str]) -> None:
    for message in messages:
        warnings.warn(f"OpenJPEG: {message}", JPEG2000Warning, stacklevel=3)


def read_header(src: bytes | bytearray | memoryview) -> dict[str, Any]:
    """Read a JPEG 2000 codestream's main header without decoding any pixels.

    Parameters
    ----------
    src : bytes-like
        A J2K codestream (ISO/IEC 15444-1 Annex A) or a JP2 file, which some
        writers put in DICOM although PS3.5 A.4.4 asks for the bare codestream.

    Returns
    -------
    dict
        ``format`` ("J2K" or "JP2"), ``rows``, ``columns``, ``components``,
        ``precision`` and ``is_signed`` (of component 0; ``component_info``
        lists every component), ``tile_size`` and ``tiles`` as (rows,
        columns), ``layers``, ``progression`` (e.g. "LRCP"), ``mct``,
        ``decompositions``, ``reversible`` (5/3 wavelet), ``code_block_size``,
        ``htj2k`` (HT code-blocks, ISO/IEC 15444-15) and ``warnings``.

    Raises
    ------
    JPEG2000Error
        If ``src`` is not JPEG 2000 or its main header cannot be read.
    """
    return _library().read_header(_as_buffer(src))


def _layout(
    src: Any,
    *,
    rows: int | None = None,
    columns: int | None = None,
    samples_per_pixel: int | None = None,
    bits_allocated: int | None = None,
    pixel_representation: int | None = None,
    reduce: int = 0,
    region: tuple[int, int, int, int] | None = None,
    **_: Any,
) -> tuple[tuple[int, ...], np.dtype]:
    """The output shape and dtype of one frame, from its header and the dataset's values."""
    layout = frame_layout(
        _library().read_header(src),
        rows=rows,
        columns=columns,
        samples_per_pixel=samples_per_pixel,
        bits_allocated=bits_allocated,
        pixel_representation=pixel_representation,
        reduce=reduce,
        region=region,
    )
    return layout.shape, layout.dtype


def decode_frame(
    src: bytes | bytearray | memoryview,
    *,
    rows: int | None = None,
    columns: int | None = None,
    samples_per_pixel: int | None = None,
    bits_allocated: int | None = None,
    pixel_representation: int | None = None,
    out: np.ndarray | None = None,
    reduce: int = 0,
    region: tuple[int, int, int, int] | None = None,
    threads: int = 0,
    apply_j2k_sign_correction: bool | None = None,
    photometric_interpretation: str | None = None,
    **codec_options: Any,
) -> np.ndarray:
    """Decode one JPEG 2000 or HTJ2K frame to an array.

    Parameters
    ----------
    src : bytes-like
        One frame: a J2K codestream (PS3.5 A.4.4) or a JP2 file.
    rows, columns, samples_per_pixel : int, optional
        The dataset's (0028,0010), (0028,0011) and (0028,0002); when given, a
        codestream that disagrees is rejected before anything is decoded.
    bits_allocated : int, optional
        (0028,0100); sets the output dtype. When None, the smallest of 8, 16
        or 32 bits that holds the codestream's precision, as pydicom 3 does.
    pixel_representation : int, optional
        (0028,0103); 0 for unsigned, 1 for signed output. When None, the
        codestream's own signedness.
    out : numpy.ndarray, optional
        C-contiguous array of the output shape and dtype to decode into.
    reduce : int
        Discard this many of the highest resolution levels: the image is
        decoded at 1 / 2**reduce of its size (ISO/IEC 15444-1 B.5).
    region : (top, left, bottom, right), optional
        Decode only these full-resolution rows [top, bottom) and columns
        [left, right); with ``reduce`` the region is scaled down likewise.
    threads : int
        OpenJPEG worker threads for this frame; 0 or 1 decodes on the
        calling thread (the GIL is released either way).
    apply_j2k_sign_correction : bool, optional
        When the Pixel Representation disagrees with the codestream's
        signedness (J2K_pixelrep_mismatch.dcm in pydicom's test files), keep
        the low ``precision`` bits of each sample and read them as the Pixel
        Representation says, as pydicom 3 does for monochrome images. None
        means ``dicomcore.config.APPLY_J2K_CORRECTIONS``.
    photometric_interpretation : str, optional
        (0028,0004); the sign correction applies to MONOCHROME1/2 only.
        YBR_RCT and YBR_ICT frames come out as RGB because OpenJPEG undoes
        the component transform.
    **codec_options
        ``bits_stored`` and other dataset values are accepted and ignored:
        like pydicom 3, the codestream's precision wins over (0028,0101) Bits
        Stored when the two disagree.

    Returns
    -------
    numpy.ndarray
        (rows, columns) for one component, else (rows, columns, components).

    Raises
    ------
    JPEG2000Error
        For data that is not JPEG 2000, is truncated or corrupt, or disagrees
        with the dataset values; the message carries OpenJPEG's own.
    ValueError
        For an ``out`` of the wrong shape or dtype or an invalid argument.
    ImportError
        If dicomcore was built without OpenJPEG.
    """
    library = _library()
    buffer = _as_buffer(src)
    header = library.read_header(buffer)
    dataset_values = {
        "rows": rows,
        "columns": columns,
        "samples_per_pixel": samples_per_pixel,
        "bits_allocated": bits_allocated,
        "pixel_representation": pixel_representation,
    }
    layout = frame_layout(header, reduce=reduce, region=region, **dataset_values)
    shape, dtype = layout.shape, layout.dtype
    if out is None:
        out = np.empty(shape, dtype=dtype)
    elif not isinstance(out, np.ndarray) or not out.flags.c_contiguous:
        raise ValueError("'out' must be a C-contiguous numpy.ndarray")
    elif out.shape != shape or out.dtype != dtype:
        raise ValueError(
            f"'out' must have shape {shape} and dtype {dtype}, not {out.shape} and {out.dtype}"
        )
    if apply_j2k_sign_correction is None:
        apply_j2k_sign_correction = config.APPLY_J2K_CORRECTIONS
    if photometric_interpretation is not None and not photometric_interpretation.startswith(
        "MONOCHROME"
    ):
        apply_j2k_sign_correction = False
    target = out
    if region is not None and header.get("htj2k"):
        # OpenJPEG 2.5.0 decodes regions of HT codestreams wrongly: decode the
        # whole image at this resolution and copy the region out of it.
        whole = frame_layout(header, reduce=reduce, **dataset_values)
        target = np.empty(whole.shape, dtype=whole.dtype)
        region = None
    messages = library.decode(
        buffer,
        target,
        reduce=reduce,
        region=region,
        threads=threads,
        pixel_representation=-1 if pixel_representation is None else pixel_representation,
        sign_correction=apply_j2k_sign_correction,
    )
    if target is not out:
        top, left = layout.origin
        out[...] = target[top : top + shape[0], left : left + shape[1]]
    if messages:
        _warn(messages)
    return out


def decode_frames(
    frames: Sequence[bytes | bytearray | memoryview],
    *,
    out: np.ndarray | None = None,
    threads: int | None = None,
    **kwargs: Any,
) -> np.ndarray:
    """Decode many frames into one (frames, rows, columns[, samples]) array.

    Frames are decoded in parallel on ``threads`` threads (default: every
    CPU); with fewer frames than threads, OpenJPEG gets the spare threads.
    The keyword arguments are those of :func:`decode_frame`; errors say which
    frame failed ("frame N").
    """
    _library()
    kwargs.pop("threads", None)
    buffers = [_as_buffer(frame) for frame in frames]
    return decode_batch(decode_frame, _layout, buffers, out, threads, kwargs)


def encoded_photometric_interpretation(
    photometric_interpretation: str, *, lossless: bool, use_mct: bool = True
) -> str:
    """The (0028,0004) value that describes frames :func:`encode_frame` made from RGB.

    PS3.5 Section 8.2.4: with the multiple-component transform the frames are
    YBR_RCT (reversible) or YBR_ICT (irreversible); without it, unchanged.
    """
    if photometric_interpretation == "RGB" and use_mct:
        return "YBR_RCT" if lossless else "YBR_ICT"
    return photometric_interpretation


def _float_list(name: str, values: Any) -> list[float]:
    if isinstance(values, (int, float)):
        values = [values]
    result = [float(v) for v in values]
    if not result or any(not math.isfinite(v) or v < 0 for v in result):
        raise ValueError(f"'{name}' must be one or more non-negative numbers, not {values!r}")
    return result


def _default_resolutions(rows: int, columns: int) -> int:
    """Six resolution levels, fewer for images too small to halve five times."""
    smallest = min(rows, columns)
    return max(1, min(6, smallest.bit_length()))


def encode_frame(
    arr: np.ndarray,
    *,
    bits_stored: int | None = None,
    pixel_representation: int | None = None,
    photometric_interpretation: str | None = None,
    transfer_syntax_uid: str = JPEG2000_LOSSLESS,
    j2k_cr: Sequence[float] | float | None = None,
    j2k_psnr: Sequence[float] | float | None = None,
    use_mct: bool = True,
    resolutions: int | None = None,
    progression: str = "LRCP",
    code_block_size: tuple[int, int] = (64, 64),
    threads: int = 0,
    tlm: bool = False,
    **codec_options: Any,
) -> bytes:
    """Encode one frame to a JPEG 2000 codestream (never JP2, PS3.5 A.4.4).

    Parameters
    ----------
    arr : numpy.ndarray
        (rows, columns) or (rows, columns, samples) with 1, 3 or 4 samples,
        any integer dtype.
    bits_stored : int, optional
        (0028,0101): the codestream's precision, 1 to 24 bits (23 for RGB with
        the component transform), where OpenJPEG's reversible path is exact.
        Default: the dtype's size for 8- and 16-bit arrays.
    pixel_representation : int, optional
        (0028,0103): 1 codes signed samples. Default: the dtype's signedness.
    photometric_interpretation : str, optional
        (0028,0004). RGB data (or 3 samples with no value given) gets the
        multiple-component transform when ``use_mct``: set the dataset's
        value to :func:`encoded_photometric_interpretation` afterwards.
    transfer_syntax_uid : str
        1.2.840.10008.1.2.4.90 (lossless, reversible 5/3 wavelet and RCT) or
        1.2.840.10008.1.2.4.91 (irreversible 9/7 and ICT, which needs
        ``j2k_cr`` or ``j2k_psnr``), PS3.5 Section 8.2.4.
    j2k_cr : float or sequence of float, optional
        Compression ratio of each quality layer, decreasing (e.g. [40, 10, 5]).
    j2k_psnr : float or sequence of float, optional
        Peak signal-to-noise ratio (dB) of each quality layer, increasing,
        with the peak 2**bits_stored - 1. The full codestream is decoded and
        measured, and re-encoded with a raised target if OpenJPEG's estimate
        fell short, so the last layer's PSNR is met.
    use_mct : bool
        Apply the multiple-component transform to RGB data.
    resolutions : int, optional
        Resolution levels (wavelet decompositions + 1); default 6, fewer for
        small images.
    progression : str
        Progression order: LRCP (default), RLCP, RPCL, PCRL or CPRL.
    code_block_size : (int, int)
        Code-block height and width: powers of two from 4 to 1024, area at
        most 4096.
    threads : int
        OpenJPEG encoder threads; 0 or 1 encodes on the calling thread.
    tlm : bool
        Write a TLM marker segment (tile-part lengths, ISO/IEC 15444-1 A.7.1).

    Returns
    -------
    bytes
        The J2K codestream, SOC to EOC.

    Raises
    ------
    ValueError
        For arguments that disagree (e.g. a sample that does not fit in
        ``bits_stored``), naming the row and column.
    JPEG2000Error
        When OpenJPEG fails, with its message.
    """
    library = _library()
    if not isinstance(arr, np.ndarray) or arr.ndim not in (2, 3) or arr.dtype.kind not in "iu":
        raise ValueError("encode_frame needs an integer array of shape (rows, columns[, samples])")
    samples = 1 if arr.ndim == 2 else arr.shape[2]
    if samples not in (1, 3, 4):
        raise ValueError(f"Samples per Pixel must be 1, 3 or 4 for JPEG 2000, not {samples}")
    if photometric_interpretation is None and samples == 3:
        photometric_interpretation = "RGB"
    mct = use_mct and samples == 3 and photometric_interpretation == "RGB"
    if pixel_representation is None:
        pixel_representation = 1 if arr.dtype.kind == "i" else 0
    if pixel_representation not in (0, 1):
        raise ValueError(f"Pixel Representation must be 0 or 1, not {pixel_representation}")
    if bits_stored is None:
        if arr.dtype.itemsize > 2:
            raise ValueError(
                f"pass bits_stored to encode a {arr.dtype} array (JPEG 2000 encoding is "
                "limited to 24 bits here)"
            )
        bits_stored = arr.dtype.itemsize * 8
    # OpenJPEG's reversible path is exact up to 24 bits (23 with the RCT,
    # which needs one more bit for its chroma differences).
    most = 23 if mct else 24
    if not 1 <= bits_stored <= most:
        raise ValueError(
            f"Bits Stored must be 1 to {most} for JPEG 2000 encoding, not {bits_stored}"
        )

    if transfer_syntax_uid == JPEG2000_LOSSLESS:
        if j2k_cr is not None or j2k_psnr is not None:
            raise ValueError(
                "j2k_cr and j2k_psnr are for lossy encoding; JPEG 2000 Lossless "
                "(1.2.840.10008.1.2.4.90) codes every bit"
            )
        reversible = True
    elif transfer_syntax_uid == JPEG2000:
        if (j2k_cr is None) == (j2k_psnr is None):
            raise ValueError(
                "lossy JPEG 2000 (1.2.840.10008.1.2.4.91) needs exactly one of j2k_cr "
                "(compression ratios) or j2k_psnr (PSNR targets)"
            )
        reversible = False
    else:
        raise ValueError(
            f"transfer syntax {transfer_syntax_uid} is not one this encoder writes; use one of "
            f"{', '.join(ENCODES)} (HTJ2K is in dicomcore.codecs.htj2k)"
        )
    rates = _float_list("j2k_cr", j2k_cr) if j2k_cr is not None else []
    psnrs = _float_list("j2k_psnr", j2k_psnr) if j2k_psnr is not None else []
    if rates and any(b > a for a, b in zip(rates, rates[1:])):
        raise ValueError(f"j2k_cr ratios must be decreasing (one per layer), not {rates}")
    if psnrs and any(b < a for a, b in zip(psnrs, psnrs[1:])):
        raise ValueError(f"j2k_psnr values must be increasing (one per layer), not {psnrs}")

    rows, columns = arr.shape[:2]
    if resolutions is None:
        resolutions = _default_resolutions(rows, columns)
    if not 1 <= resolutions <= 33 or (1 << (resolutions - 1)) > min(rows, columns):
        raise ValueError(
            f"{resolutions} resolution levels need an image of at least "
            f"{1 << max(resolutions - 1, 0)} pixels per side; this one is {rows} x {columns}"
        )
    progression = progression.upper()
    if progression not in _PROGRESSIONS:
        raise ValueError(f"progression must be one of {', '.join(_PROGRESSIONS)}")
    block_h, block_w = (int(v) for v in code_block_size)
    for side in (block_h, block_w):
        if side < 4 or side > 1024 or side & (side - 1):
            raise ValueError(f"code-block sides must be powers of two from 4 to 1024, not {side}")
    if block_h * block_w > 4096:
        raise ValueError("a code-block may hold at most 4096 samples (ISO/IEC 15444-1 A.6.1)")

    pixels = np.ascontiguousarray(arr)

    def encode(layer_psnrs: list[float]) -> bytes:
        encoded, messages = library.encode(
            pixels,
            precision=bits_stored,
            is_signed=bool(pixel_representation),
            reversible=reversible,
            rates=rates,
            psnrs=layer_psnrs,
            mct=mct,
            resolutions=resolutions,
            progression=progression,
            code_block=(block_h, block_w),
            threads=threads,
            tlm=tlm,
        )
        if messages:
            _warn(messages)
        return encoded

    if not psnrs:
        return encode(psnrs)
    # OpenJPEG picks truncation points from its own distortion estimates, which
    # can fall short of the target by a fraction of a dB: measure the PSNR of
    # the full codestream and raise the final target by the shortfall.
    targets = list(psnrs)
    for _ in range(_PSNR_ATTEMPTS):
        encoded = encode(targets)
        shortfall = psnrs[-1] - _measured_psnr(pixels, encoded, bits_stored)
        if shortfall <= 0:
            break
        targets[-1] += shortfall + 0.05
    return encoded


_PSNR_ATTEMPTS = 4


def _measured_psnr(original: np.ndarray, encoded: bytes, bits_stored: int) -> float:
    """PSNR in dB of ``encoded`` against ``original``, peak 2**bits_stored - 1."""
    decoded = np.empty_like(original)
    _library().decode(encoded, decoded, sign_correction=False)
    error = np.mean(np.square(original.astype(np.float64) - decoded.astype(np.float64)))
    if error == 0:
        return math.inf
    return 10 * math.log10(((1 << bits_stored) - 1) ** 2 / error)


def encode_frames(
    arr: np.ndarray, *, threads: int | None = None, **kwargs: Any
) -> list[bytes]:
    """Encode each frame of a (frames, rows, columns[, samples]) array on a pool of threads.

    The keyword arguments are those of :func:`encode_frame`; errors say which
    frame failed ("frame N").
    """
    _library()
    kwargs.pop("threads", None)
    return encode_batch(encode_frame, arr, threads, kwargs)
