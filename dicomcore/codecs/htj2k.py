"""HTJ2K (High-Throughput JPEG 2000) encoding, and decoding with OpenJPH or OpenJPEG.

Encodes all three HTJ2K transfer syntaxes (PS3.5 Section 8.2.15, A.4.11)
with OpenJPH: HTJ2K Lossless (1.2.840.10008.1.2.4.201), HTJ2K Lossless RPCL
(1.2.840.10008.1.2.4.202; RPCL progression, TLM marker segment and a lowest
resolution of at most 64 pixels, PS3.5 Section 10.18) and HTJ2K
(1.2.840.10008.1.2.4.203, lossless or lossy). pydicom and GDCM cannot encode
HTJ2K.

Decoding: OpenJPH is about three times faster than OpenJPEG on HT
code-blocks, but Debian's OpenJPH 0.9 is built with assertions on and aborts
the whole process on some corrupt code-block data (and, without the checks
below, writes out of bounds on corrupt packet headers). So the default
decoder is OpenJPEG, which turns every corruption into an exception (its
HT block decoder asserts too, on marker codes inside packet data, so those
are rejected before it runs), and OpenJPH is used when asked for: ``decoder="openjph"`` or
:data:`PREFER_OPENJPH` for data you trust (e.g. frames your own pipeline
encoded). Even then every marker segment, packet header and cleanup-segment
header is checked before OpenJPH sees a codestream, and codestreams outside
what those checks cover (Part 1 code-blocks, JP2 files, several tiles,
precincts, SOP/EPH markers, more than three coding passes, tiles smaller than
the wavelet's reach) go to OpenJPEG.

Examples
--------
>>> from dicomcore.codecs import htj2k
>>> encoded = htj2k.encode_frame(arr, transfer_syntax_uid=htj2k.HTJ2K_LOSSLESS_RPCL)
>>> htj2k.decode_frame(encoded, reduce=2)  # a quarter-size thumbnail
>>> htj2k.decode_frame(encoded, decoder="openjph")  # fast path for trusted data
"""

from __future__ import annotations

import math
import struct
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from dicomcore.codecs import jpeg2000
from dicomcore.codecs._j2k_common import (
    HTJ2K,
    HTJ2K_LOSSLESS,
    HTJ2K_LOSSLESS_RPCL,
    JPEG2000Error,
    JPEG2000Warning,
    decode_batch,
    encode_batch,
    frame_layout,
)

try:
    from dicomcore.codecs import _openjph
except ImportError:  # OpenJPH was not found when dicomcore was built
    _openjph = None

__all__ = [
    "ENCODES",
    "HTJ2K",
    "HTJ2K_LOSSLESS",
    "HTJ2K_LOSSLESS_RPCL",
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
TRANSFER_SYNTAXES: tuple[str, ...] = (HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, HTJ2K)
#: Transfer syntaxes :func:`encode_frame` encodes to.
ENCODES: tuple[str, ...] = (HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, HTJ2K)

encoded_photometric_interpretation = jpeg2000.encoded_photometric_interpretation

_PROGRESSIONS = ("LRCP", "RLCP", "RPCL", "PCRL", "CPRL")
# OpenJPH 0.9 round-trips losslessly up to here (it fails from 24 bits on).
_MAX_PRECISION = 20
# PS3.5 Section 10.18: the lowest resolution of .202 is at most this wide and high.
_RPCL_BASE_SIZE = 64
_STORE_AS_IS, _STORE_LOW_BITS, _STORE_SIGN_EXTEND = 0, 1, 2
_DECODERS = ("openjph", "openjpeg")

#: Decode with OpenJPH by default (``decoder=None``). False keeps OpenJPEG,
#: which never aborts on corrupt data; see the module notes before turning
#: this on for data from outside your own pipeline.
PREFER_OPENJPH: bool = False


def is_available() -> bool:
    """Return True when dicomcore was built with OpenJPH (HTJ2K encoding, fast decoding).

    Without it, :func:`decode_frame` still decodes HTJ2K through OpenJPEG.
    """
    return _openjph is not None


def _openjph_library() -> Any:
    if _openjph is None:
        raise ImportError(
            "HTJ2K encoding in dicomcore.codecs.htj2k requires OpenJPH (openjph >= 0.9); on "
            "Debian: apt-get install libopenjph-dev, then reinstall dicomcore"
        )
    return _openjph


def _check_decoders() -> None:
    if _openjph is None and not jpeg2000.is_available():
        raise ImportError(
            "HTJ2K decoding requires OpenJPH or OpenJPEG; on Debian: apt-get install "
            "libopenjph-dev libopenjp2-7-dev, then reinstall dicomcore"
        )


def _warn(messages: list[str]) -> None:
    for message in messages:
        warnings.warn(f"OpenJPH: {message}", JPEG2000Warning, stacklevel=3)


def _openjph_header(buffer: Any, decoder: str | None) -> dict[str, Any] | None:
    """OpenJPH's view of the header, or None when OpenJPEG should decode instead."""
    if decoder is None:
        decoder = "openjph" if PREFER_OPENJPH else "openjpeg"
    if decoder not in _DECODERS:
        raise ValueError(f"decoder must be one of {', '.join(_DECODERS)} or None, not {decoder!r}")
    if decoder == "openjpeg" or _openjph is None:
        return None
    try:
        return _openjph.read_header(buffer)
    except _openjph.NeedsOpenJPEG:
        return None


def read_header(
    src: bytes | bytearray | memoryview, *, decoder: str | None = None
) -> dict[str, Any]:
    """Read an HTJ2K (or any JPEG 2000) codestream's main header without decoding.

    Returns
    -------
    dict
        The keys of :func:`dicomcore.codecs.jpeg2000.read_header` (``rows``,
        ``columns``, ``components``, ``precision``, ``is_signed``,
        ``decompositions``, ``reversible``, ``progression``, ``mct``, ...) plus
        ``decoder``: "OpenJPH" or "OpenJPEG", the one :func:`decode_frame`
        uses for this codestream with the same ``decoder`` argument, and,
        from OpenJPH, ``tlm`` (a TLM marker segment is present) and
        ``tile_parts``.
    """
    _check_decoders()
    buffer = jpeg2000._as_buffer(src)
    header = _openjph_header(buffer, decoder)
    if header is not None:
        header["decoder"] = "OpenJPH"
        return header
    header = jpeg2000.read_header(buffer)
    header["decoder"] = "OpenJPEG"
    return header


def _layout(
    src: Any, decoder: str | None = None, **kwargs: Any
) -> tuple[tuple[int, ...], np.dtype]:
    header = _openjph_header(src, decoder)
    if header is None:
        return jpeg2000._layout(src, **kwargs)
    names = ("rows", "columns", "samples_per_pixel", "bits_allocated", "pixel_representation",
             "reduce", "region")
    layout = frame_layout(header, **{k: kwargs[k] for k in names if k in kwargs})
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
    decoder: str | None = None,
    **codec_options: Any,
) -> np.ndarray:
    """Decode one HTJ2K (or any JPEG 2000) frame to an array.

    The parameters, return value and errors are those of
    :func:`dicomcore.codecs.jpeg2000.decode_frame` (``reduce`` and
    ``region`` included; ``threads`` only applies when OpenJPEG decodes),
    plus ``decoder``: "openjph" (fast; for trusted data, see the module
    notes), "openjpeg" or None for :data:`PREFER_OPENJPH`'s choice.
    Codestreams OpenJPH does not handle go to OpenJPEG. Both give identical
    results for lossless data; lossy (9/7) samples can differ by one unit
    between the two decoders' rounding.
    """
    _check_decoders()
    buffer = jpeg2000._as_buffer(src)
    header = _openjph_header(buffer, decoder)
    if header is None:
        return jpeg2000.decode_frame(
            buffer,
            rows=rows,
            columns=columns,
            samples_per_pixel=samples_per_pixel,
            bits_allocated=bits_allocated,
            pixel_representation=pixel_representation,
            out=out,
            reduce=reduce,
            region=region,
            threads=threads,
            apply_j2k_sign_correction=apply_j2k_sign_correction,
            photometric_interpretation=photometric_interpretation,
            **codec_options,
        )
    layout = frame_layout(
        header,
        rows=rows,
        columns=columns,
        samples_per_pixel=samples_per_pixel,
        bits_allocated=bits_allocated,
        pixel_representation=pixel_representation,
        reduce=reduce,
        region=region,
    )
    if out is None:
        out = np.empty(layout.shape, dtype=layout.dtype)
    elif not isinstance(out, np.ndarray) or not out.flags.c_contiguous:
        raise ValueError("'out' must be a C-contiguous numpy.ndarray")
    elif out.shape != layout.shape or out.dtype != layout.dtype:
        raise ValueError(
            f"'out' must have shape {layout.shape} and dtype {layout.dtype}, not {out.shape} "
            f"and {out.dtype}"
        )
    if apply_j2k_sign_correction is None:
        from dicomcore import config

        apply_j2k_sign_correction = config.APPLY_J2K_CORRECTIONS
    if photometric_interpretation is not None and not photometric_interpretation.startswith(
        "MONOCHROME"
    ):
        apply_j2k_sign_correction = False
    mode = _STORE_AS_IS
    if (
        apply_j2k_sign_correction
        and header["components"] == 1
        and pixel_representation in (0, 1)
        and pixel_representation != int(header["is_signed"])
    ):
        mode = _STORE_SIGN_EXTEND if pixel_representation == 1 else _STORE_LOW_BITS
    messages = _openjph.decode(
        buffer, out, reduce=reduce, row0=layout.origin[0], column0=layout.origin[1], mode=mode
    )
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
    CPU); the keyword arguments are those of :func:`decode_frame`, and errors
    say which frame failed ("frame N").
    """
    _check_decoders()
    kwargs.pop("threads", None)
    buffers = [jpeg2000._as_buffer(frame) for frame in frames]
    return decode_batch(decode_frame, _layout, buffers, out, threads, kwargs)


# ---------------------------------------------------------------------------
# Encoding


def _decompositions_for_rpcl(rows: int, columns: int) -> int:
    """The fewest decompositions that bring both sides to at most 64 samples."""
    levels = 0
    while -(-max(rows, columns) // (1 << levels)) > _RPCL_BASE_SIZE:
        levels += 1
    return levels


def _default_decompositions(rows: int, columns: int) -> int:
    """Five, fewer for images too small to halve five times."""
    return max(0, min(5, min(rows, columns).bit_length() - 1))


def _first_tile_part(codestream: bytes) -> int:
    """The offset of the first SOT marker: the end of the main header (A.4.1)."""
    offset = 2
    while offset + 4 <= len(codestream):
        marker, length = struct.unpack_from(">HH", codestream, offset)
        if marker == 0xFF90:
            return offset
        offset += 2 + length
    raise JPEG2000Error("the encoded codestream has no tile-parts")


def _tile_parts(codestream: bytes, offset: int) -> list[tuple[int, int]]:
    """(Isot, Psot) of every tile-part, walking the SOT markers from ``offset``."""
    parts = []
    while offset + 12 <= len(codestream) and codestream[offset : offset + 2] == b"\xff\x90":
        tile, length = struct.unpack_from(">HI", codestream, offset + 4)
        if length == 0:  # the last tile-part runs to EOC
            length = len(codestream) - 2 - offset
        parts.append((tile, length))
        offset += length
    return parts


def _with_tlm(codestream: bytes) -> bytes:
    """Insert TLM marker segments (ISO/IEC 15444-1 A.7.1) before the first tile-part.

    Each entry holds a tile-part's tile index (16 bits, ST = 2) and length
    (32 bits, SP = 1), so a reader finds every tile-part without parsing.
    """
    first = _first_tile_part(codestream)
    parts = _tile_parts(codestream, first)
    if not parts:
        raise JPEG2000Error("the encoded codestream has no tile-parts")
    per_segment = (0xFFFF - 4) // 6
    segments = []
    for index, start in enumerate(range(0, len(parts), per_segment)):
        chunk = parts[start : start + per_segment]
        body = b"".join(struct.pack(">HI", tile, length) for tile, length in chunk)
        segments.append(struct.pack(">HHBB", 0xFF55, 4 + len(body), index, 0x60) + body)
    return codestream[:first] + b"".join(segments) + codestream[first:]


def encode_frame(
    arr: np.ndarray,
    *,
    bits_stored: int | None = None,
    pixel_representation: int | None = None,
    photometric_interpretation: str | None = None,
    transfer_syntax_uid: str = HTJ2K_LOSSLESS,
    quantization_step: float | None = None,
    use_mct: bool = True,
    decompositions: int | None = None,
    progression: str | None = None,
    code_block_size: tuple[int, int] = (64, 64),
    tlm: bool | None = None,
    **codec_options: Any,
) -> bytes:
    """Encode one frame to an HTJ2K codestream with OpenJPH.

    Parameters
    ----------
    arr : numpy.ndarray
        (rows, columns) or (rows, columns, samples) with 1, 3 or 4 samples,
        any integer dtype.
    bits_stored : int, optional
        (0028,0101): the precision, 1 to 20 bits. Default: the dtype's size
        for 8- and 16-bit arrays.
    pixel_representation : int, optional
        (0028,0103): 1 codes signed samples. Default: the dtype's signedness.
    photometric_interpretation : str, optional
        (0028,0004). RGB data (or 3 samples with no value given) gets the
        multiple-component transform when ``use_mct``: set the dataset's
        value to :func:`encoded_photometric_interpretation` afterwards.
    transfer_syntax_uid : str
        1.2.840.10008.1.2.4.201 (HTJ2K Lossless), .202 (HTJ2K Lossless RPCL:
        RPCL progression, a TLM marker segment, enough decompositions for a
        lowest resolution of at most 64 x 64, PS3.5 Section 10.18) or .203
        (HTJ2K: lossless, or lossy with ``quantization_step``).
    quantization_step : float, optional
        Lossy (.203 only): the base quantization step of the irreversible
        9/7 wavelet, relative to the sample range (e.g. 1/256 for visually
        lossless 8-bit data); smaller is better quality.
    use_mct : bool
        Apply the multiple-component transform to RGB data.
    decompositions : int, optional
        Wavelet levels; default 5, fewer for small images, more where .202
        needs them.
    progression : str, optional
        LRCP, RLCP, RPCL (default), PCRL or CPRL; .202 requires RPCL.
    code_block_size : (int, int)
        Code-block height and width: powers of two from 4 to 1024, area at
        most 4096.
    tlm : bool, optional
        Write a TLM marker segment; always done for .202.

    Returns
    -------
    bytes
        The HTJ2K codestream, SOC to EOC (never JP2, PS3.5 A.4.11).

    Raises
    ------
    ValueError
        For arguments that disagree (e.g. a sample that does not fit in
        ``bits_stored``, naming its row and column).
    ImportError
        If dicomcore was built without OpenJPH.
    """
    library = _openjph_library()
    if not isinstance(arr, np.ndarray) or arr.ndim not in (2, 3) or arr.dtype.kind not in "iu":
        raise ValueError("encode_frame needs an integer array of shape (rows, columns[, samples])")
    samples = 1 if arr.ndim == 2 else arr.shape[2]
    if samples not in (1, 3, 4):
        raise ValueError(f"Samples per Pixel must be 1, 3 or 4 for HTJ2K, not {samples}")
    rows, columns = arr.shape[:2]
    if rows < 1 or columns < 1:
        raise ValueError(f"cannot encode an empty image of {rows} x {columns}")
    if pixel_representation is None:
        pixel_representation = 1 if arr.dtype.kind == "i" else 0
    if pixel_representation not in (0, 1):
        raise ValueError(f"Pixel Representation must be 0 or 1, not {pixel_representation}")
    if bits_stored is None:
        if arr.dtype.itemsize > 2:
            raise ValueError(f"pass bits_stored to encode a {arr.dtype} array")
        bits_stored = arr.dtype.itemsize * 8
    if not 1 <= bits_stored <= _MAX_PRECISION:
        raise ValueError(
            f"Bits Stored must be 1 to {_MAX_PRECISION} for HTJ2K encoding, not {bits_stored}"
        )

    if transfer_syntax_uid not in ENCODES:
        raise ValueError(
            f"transfer syntax {transfer_syntax_uid} is not an HTJ2K one; use one of "
            f"{', '.join(ENCODES)}"
        )
    reversible = quantization_step is None
    if not reversible:
        if transfer_syntax_uid != HTJ2K:
            raise ValueError(
                "quantization_step makes lossy data, which only HTJ2K "
                "(1.2.840.10008.1.2.4.203) allows"
            )
        if not (math.isfinite(quantization_step) and 0 < quantization_step <= 1):
            raise ValueError(f"quantization_step must be in (0, 1], not {quantization_step}")

    rpcl_only = transfer_syntax_uid == HTJ2K_LOSSLESS_RPCL
    if progression is None:
        progression = "RPCL"
    progression = progression.upper()
    if progression not in _PROGRESSIONS:
        raise ValueError(f"progression must be one of {', '.join(_PROGRESSIONS)}")
    if rpcl_only and progression != "RPCL":
        raise ValueError("HTJ2K Lossless RPCL (1.2.840.10008.1.2.4.202) requires RPCL progression")
    needed = _decompositions_for_rpcl(rows, columns) if rpcl_only else 0
    if decompositions is None:
        decompositions = max(_default_decompositions(rows, columns), needed)
    if not 0 <= decompositions <= 32:
        raise ValueError(f"decompositions must be 0 to 32, not {decompositions}")
    if decompositions < needed:
        raise ValueError(
            f"HTJ2K Lossless RPCL needs at least {needed} decompositions for a {rows} x "
            f"{columns} image (lowest resolution at most 64 x 64, PS3.5 Section 10.18)"
        )
    block_h, block_w = (int(v) for v in code_block_size)
    for side in (block_h, block_w):
        if side < 4 or side > 1024 or side & (side - 1):
            raise ValueError(f"code-block sides must be powers of two from 4 to 1024, not {side}")
    if block_h * block_w > 4096:
        raise ValueError("a code-block may hold at most 4096 samples (ISO/IEC 15444-1 A.6.1)")

    if photometric_interpretation is None and samples == 3:
        photometric_interpretation = "RGB"
    mct = use_mct and samples == 3 and photometric_interpretation == "RGB"
    encoded, messages = library.encode(
        np.ascontiguousarray(arr),
        precision=bits_stored,
        is_signed=bool(pixel_representation),
        reversible=reversible,
        quantization_step=quantization_step or 0.0,
        color_transform=mct,
        decompositions=decompositions,
        block_size=(block_h, block_w),
        progression=progression,
    )
    if messages:
        _warn(messages)
    if rpcl_only or tlm:
        encoded = _with_tlm(encoded)
    return encoded


def encode_frames(
    arr: np.ndarray, *, threads: int | None = None, **kwargs: Any
) -> list[bytes]:
    """Encode each frame of a (frames, rows, columns[, samples]) array on a pool of threads.

    The keyword arguments are those of :func:`encode_frame`; errors say which
    frame failed ("frame N").
    """
    _openjph_library()
    kwargs.pop("threads", None)
    return encode_batch(encode_frame, arr, threads, kwargs)
