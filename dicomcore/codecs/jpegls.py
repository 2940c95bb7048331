"""JPEG-LS Lossless and Near-Lossless pixel codec, through CharLS.

DICOM's JPEG-LS transfer syntaxes (PS3.5 Section 8.2.3 and Annex A.4.3) encapsulate
one ISO/IEC 14495-1 (ITU-T T.87) codestream per frame. This module decodes such
frames to NumPy arrays laid out the way DICOM expects (``(rows, columns)`` or
``(rows, columns, samples)`` with interleaved samples, a container sized by Bits
Allocated) and encodes arrays back, using CharLS, the reference implementation.

Every call creates its own CharLS decoder or encoder and runs the codec without the
GIL, so :func:`decode_frames` and :func:`encode_frames` spread a multi-frame image
over a pool of threads, and any number of caller threads may use the module at
once.

Signed pixel data (Pixel Representation 1) is coded, as the standard and pydicom 3
do, as the two's complement bit pattern within the sample precision: encoding masks
samples to Bits Stored bits, decoding sign-extends from the codestream's precision.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dicomcore._workers import run_all, thread_count

try:
    from dicomcore.codecs import _jpegls
except ImportError:  # CharLS was not found when dicomcore was built
    _jpegls = None

__all__ = [
    "ENCODES",
    "INTERLEAVE_LINE",
    "INTERLEAVE_NONE",
    "INTERLEAVE_SAMPLE",
    "JPEGLSError",
    "JPEGLS_LOSSLESS",
    "JPEGLS_NEAR_LOSSLESS",
    "MAX_UNCONFIRMED_BYTES",
    "TRANSFER_SYNTAXES",
    "JpegLsHeader",
    "charls_version",
    "decode_frame",
    "decode_frames",
    "encode_frame",
    "encode_frames",
    "is_available",
    "read_header",
]

#: JPEG-LS Lossless Image Compression.
JPEGLS_LOSSLESS = "1.2.840.10008.1.2.4.80"
#: JPEG-LS Lossy (Near-Lossless) Image Compression.
JPEGLS_NEAR_LOSSLESS = "1.2.840.10008.1.2.4.81"

#: Transfer syntaxes whose frames :func:`decode_frame` decodes.
TRANSFER_SYNTAXES: tuple[str, ...] = (JPEGLS_LOSSLESS, JPEGLS_NEAR_LOSSLESS)
#: Transfer syntaxes :func:`encode_frame` encodes to (near-lossless with ``jls_error``).
ENCODES: tuple[str, ...] = (JPEGLS_LOSSLESS, JPEGLS_NEAR_LOSSLESS)

#: Largest decoded frame, in bytes, accepted on the word of the codestream alone.
#: A JPEG-LS header can claim 65535 x 65535 x 255 samples in a few dozen bytes;
#: callers that pass ``rows``/``columns`` (read from the dataset) are not limited.
MAX_UNCONFIRMED_BYTES = 1 << 30

#: Interleave modes (ISO/IEC 14495-1 ILV) for the ``interleave_mode`` option: one
#: scan per component, one line of each component in turn, or pixel by pixel.
INTERLEAVE_NONE = 0
INTERLEAVE_LINE = 1
INTERLEAVE_SAMPLE = 2
# Sample interleaving reads DICOM's Planar Configuration 0 input as it is, and
# compresses real colour images best of the three.
_DEFAULT_INTERLEAVE = INTERLEAVE_SAMPLE

_INSTALL_HINT = (
    "dicomcore.codecs.jpegls requires CharLS; on Debian: apt-get install libcharls-dev, "
    "then reinstall dicomcore"
)

# PS3.5 Table 8.2.3-1: (samples per pixel, pixel representations, max Bits Stored,
# allowed in near-lossless) for each Photometric Interpretation.
_PROFILES: dict[str, tuple[int, tuple[int, ...], int, bool]] = {
    "MONOCHROME1": (1, (0, 1), 16, True),
    "MONOCHROME2": (1, (0, 1), 16, True),
    "PALETTE COLOR": (1, (0,), 16, False),
    "RGB": (3, (0,), 16, True),
    "YBR_FULL": (3, (0,), 8, True),
}

if _jpegls is not None:
    JPEGLSError = _jpegls.JPEGLSError
else:

    class JPEGLSError(ValueError):  # type: ignore[no-redef]
        """A JPEG-LS stream could not be decoded or an image could not be encoded."""

        def __init__(self, message: str, code: int | None = None, frame: int | None = None):
            super().__init__(message)
            self.code = code
            self.frame = frame


def is_available() -> bool:
    """Return True when the CharLS extension was built and can be used."""
    return _jpegls is not None


def charls_version() -> str | None:
    """The version of the CharLS library dicomcore was built with, None without one."""
    return None if _jpegls is None else _jpegls.charls_version()


def _native() -> Any:
    if _jpegls is None:
        raise ImportError(_INSTALL_HINT)
    return _jpegls


@dataclass(frozen=True)
class JpegLsHeader:
    """What a JPEG-LS codestream's headers say, read without decoding the scans.

    The names are those of ISO/IEC 14495-1 / CharLS; :attr:`rows`, :attr:`columns`
    and :attr:`samples_per_pixel` give the DICOM names.

    Attributes
    ----------
    width, height : int
        Frame size in pixels (SOF segment).
    bits_per_sample : int
        Sample precision P, 2 to 16.
    component_count : int
        Number of components (1 for greyscale, 3 for colour).
    near_lossless : int
        The NEAR parameter: 0 for lossless, otherwise the maximum absolute error.
    interleave_mode : int
        ILV: 0 none (one scan per component), 1 line, 2 sample.
    color_transformation : int
        HP colour transform (0 none); non-zero streams are not valid DICOM.
    """

    width: int
    height: int
    bits_per_sample: int
    component_count: int
    near_lossless: int
    interleave_mode: int
    color_transformation: int

    @property
    def rows(self) -> int:
        return self.height

    @property
    def columns(self) -> int:
        return self.width

    @property
    def samples_per_pixel(self) -> int:
        return self.component_count

    @property
    def is_lossless(self) -> bool:
        return self.near_lossless == 0


def read_header(src: bytes | bytearray | memoryview) -> JpegLsHeader:
    """Read a JPEG-LS codestream's frame and scan parameters without decoding it.

    Parameters
    ----------
    src : bytes-like
        One frame's codestream (ISO/IEC 14495-1 Annex C syntax).

    Returns
    -------
    JpegLsHeader
        Dimensions, precision, components, NEAR and interleave mode.

    Raises
    ------
    JPEGLSError
        If the headers are truncated or invalid, with CharLS's message.
    """
    return JpegLsHeader(*_native().read_header(src))


def _output_itemsize(bits_allocated: int | None) -> int:
    if bits_allocated is None:
        return 0
    if bits_allocated not in (8, 16, 32, 64):
        raise ValueError(
            f"Bits Allocated {bits_allocated} is not supported for JPEG-LS: use 8, 16, 32 or 64"
        )
    return bits_allocated // 8


def _decode_arguments(
    rows: int | None,
    columns: int | None,
    samples_per_pixel: int | None,
    bits_allocated: int | None,
    pixel_representation: int,
    codec_options: dict[str, Any],
) -> dict[str, Any]:
    if pixel_representation not in (0, 1):
        raise ValueError(f"Pixel Representation must be 0 or 1, not {pixel_representation}")
    for name, value in (
        ("rows", rows),
        ("columns", columns),
        ("samples_per_pixel", samples_per_pixel),
    ):
        if value is not None and value < 1:
            raise ValueError(f"{name} must be positive, not {value}")
    # pydicom 3's option name; off returns the raw (unsigned) bit patterns.
    correct_sign = bool(codec_options.get("apply_jls_sign_correction", True))
    return {
        "rows": rows or 0,
        "columns": columns or 0,
        "samples_per_pixel": samples_per_pixel or 0,
        "itemsize": _output_itemsize(bits_allocated),
        "signed": pixel_representation == 1,
        "correct_sign": correct_sign,
        "max_unconfirmed_bytes": int(
            codec_options.get("max_unconfirmed_bytes", MAX_UNCONFIRMED_BYTES)
        ),
    }


def _decode_one(src: Any, out: np.ndarray | None, arguments: dict[str, Any]) -> np.ndarray:
    native = _native()
    arguments = dict(arguments)
    if not arguments.pop("correct_sign") and arguments["signed"]:
        # Decode the raw bit patterns, then present them with the signed dtype.
        if out is not None and (
            not isinstance(out, np.ndarray) or out.dtype.kind != "i" or not out.dtype.isnative
        ):
            raise ValueError(
                "'out' must have a native signed integer dtype for Pixel Representation 1"
            )
        arguments["signed"] = False
        raw = None if out is None else out.view(f"u{out.dtype.itemsize}")
        result = native.decode(src, raw, **arguments)
        return out if out is not None else result.view(f"i{result.dtype.itemsize}")
    return native.decode(src, out, **arguments)


def decode_frame(
    src: bytes | bytearray | memoryview,
    *,
    rows: int | None = None,
    columns: int | None = None,
    samples_per_pixel: int | None = None,
    bits_allocated: int | None = None,
    pixel_representation: int = 0,
    bits_stored: int | None = None,
    out: np.ndarray | None = None,
    **codec_options: Any,
) -> np.ndarray:
    """Decode one JPEG-LS frame (PS3.5 Section 8.2.3) to an array.

    Parameters
    ----------
    src : bytes-like
        The frame's complete codestream (all its fragments joined). Trailing padding
        after the EOI marker is ignored.
    rows, columns, samples_per_pixel : int, optional
        The dataset's (0028,0010), (0028,0011) and (0028,0002); each one given is
        checked against the codestream before anything is allocated.
    bits_allocated : int, optional
        (0028,0100), choosing the output container: 8, 16, 32 or 64. By default the
        smallest that holds the codestream's precision (8 or 16).
    pixel_representation : int, optional
        (0028,0103). With 1 the output is signed, and the samples are sign-extended
        from the codestream's precision, as pydicom 3 does: JPEG-LS stores signed
        samples as their two's complement bit pattern within that precision.
    bits_stored : int, optional
        (0028,0101). Accepted for the uniform codec signature; as in pydicom 3 the
        sign extension uses the precision written in the codestream, which is the
        number of bits the samples were actually coded with.
    out : numpy.ndarray, optional
        Destination, C-contiguous, of exactly the shape and dtype that would be
        returned; typically one frame of a preallocated multi-frame array.
    **codec_options
        ``apply_jls_sign_correction`` (default True; False keeps the raw bit
        patterns), ``max_unconfirmed_bytes`` (default :data:`MAX_UNCONFIRMED_BYTES`,
        0 for no limit): the largest output allowed when none of ``rows``,
        ``columns``, ``samples_per_pixel`` is given. Other options are ignored, so a
        caller may pass the same options to every codec.

    Returns
    -------
    numpy.ndarray
        Shape ``(rows, columns)`` or ``(rows, columns, samples)``, colour samples
        interleaved (Planar Configuration 0) whatever the codestream's interleave
        mode; dtype ``uint8``/``uint16``/``uint32``/``uint64`` from Bits Allocated,
        or the signed counterpart for Pixel Representation 1. ``out`` if given.

    Raises
    ------
    JPEGLSError
        For a truncated or corrupt codestream (with CharLS's message and error
        code) or a header that disagrees with the expected dimensions.
    ValueError
        For an unusable ``out`` or arguments.
    ImportError
        If dicomcore was built without CharLS.
    """
    _native()
    arguments = _decode_arguments(
        rows, columns, samples_per_pixel, bits_allocated, pixel_representation, codec_options
    )
    return _decode_one(src, out, arguments)


def _run_frames(count: int, threads: int | None, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` for every frame, on ``threads`` threads; errors name the frame."""

    def annotated(index: int) -> Any:
        try:
            return work(index)
        except JPEGLSError as exc:
            raise JPEGLSError(f"frame {index}: {exc}", exc.code, index) from exc
        except ValueError as exc:
            raise JPEGLSError(f"frame {index}: {exc}", None, index) from exc

    return run_all(count, thread_count(threads, count), annotated)


def decode_frames(
    frames: Sequence[bytes | bytearray | memoryview],
    *,
    rows: int | None = None,
    columns: int | None = None,
    samples_per_pixel: int | None = None,
    bits_allocated: int | None = None,
    pixel_representation: int = 0,
    bits_stored: int | None = None,
    out: np.ndarray | None = None,
    threads: int | None = None,
    **codec_options: Any,
) -> np.ndarray:
    """Decode the JPEG-LS frames of a multi-frame image into one array, in parallel.

    Parameters
    ----------
    frames : sequence of bytes-like
        One codestream per frame, in frame order (PS3.5 Annex A.4).
    rows, columns, samples_per_pixel, bits_allocated, pixel_representation, bits_stored
        As for :func:`decode_frame`. Dimensions not given are taken from the first
        frame's header, and every frame must then agree with them.
    out : numpy.ndarray, optional
        Destination of shape ``(len(frames), ...)``, C-contiguous, with the dtype
        :func:`decode_frame` would return.
    threads : int, optional
        Number of threads, default ``os.cpu_count()``; 1 decodes in the caller.
    **codec_options
        As for :func:`decode_frame`.

    Returns
    -------
    numpy.ndarray
        Shape ``(frames, rows, columns[, samples])``.

    Raises
    ------
    JPEGLSError
        For the first failing frame, with ``frame N`` in the message and
        :attr:`JPEGLSError.frame` set.
    """
    native = _native()
    arguments = _decode_arguments(
        rows, columns, samples_per_pixel, bits_allocated, pixel_representation, codec_options
    )
    count = len(frames)
    if out is None:
        if count == 0:
            raise ValueError("no JPEG-LS frames to decode")
        confirmed = bool(rows or columns or samples_per_pixel)
        try:
            first = JpegLsHeader(*native.read_header(frames[0]))
        except JPEGLSError as exc:
            raise JPEGLSError(f"frame 0: {exc}", exc.code, 0) from exc
        arguments["rows"] = arguments["rows"] or first.height
        arguments["columns"] = arguments["columns"] or first.width
        arguments["samples_per_pixel"] = arguments["samples_per_pixel"] or first.component_count
        itemsize = arguments["itemsize"] or (1 if first.bits_per_sample <= 8 else 2)
        arguments["itemsize"] = itemsize
        shape: tuple[int, ...] = (count, arguments["rows"], arguments["columns"])
        if arguments["samples_per_pixel"] > 1:
            shape += (arguments["samples_per_pixel"],)
        total = int(np.prod(shape[1:], dtype=np.int64)) * itemsize
        limit = arguments["max_unconfirmed_bytes"]
        if not confirmed and limit and total > limit:
            raise JPEGLSError(
                f"frame 0: the JPEG-LS header declares a {first.width} x {first.height} x "
                f"{first.component_count} image ({total} bytes decoded), more than the "
                f"{limit} bytes allowed without the caller confirming the dimensions",
                None,
                0,
            )
        out = np.empty(shape, dtype=f"{'i' if arguments['signed'] else 'u'}{itemsize}")
    else:
        if not isinstance(out, np.ndarray) or not out.flags.c_contiguous:
            raise ValueError("'out' must be a C-contiguous ndarray")
        if out.ndim not in (3, 4) or out.shape[0] != count:
            raise ValueError(
                f"'out' must have shape ({count}, rows, columns[, samples]), not {out.shape}"
            )
    destination = out

    def work(index: int) -> None:
        _decode_one(frames[index], destination[index], arguments)

    _run_frames(count, threads, work)
    return destination


def _encode_arguments(
    arr: np.ndarray,
    bits_stored: int | None,
    pixel_representation: int | None,
    photometric_interpretation: str | None,
    codec_options: dict[str, Any],
    frame_ndim: int,
) -> dict[str, Any]:
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected a numpy.ndarray, not {type(arr).__name__}")
    if arr.dtype.kind not in "iu":
        raise ValueError(f"JPEG-LS encodes integer samples, not {arr.dtype}")
    if frame_ndim not in (2, 3):
        raise ValueError(
            f"expected frames of shape (rows, columns[, samples]), got array shape {arr.shape}"
        )
    samples = arr.shape[-1] if frame_ndim == 3 else 1

    if pixel_representation is None:
        pixel_representation = 1 if arr.dtype.kind == "i" else 0
    if pixel_representation not in (0, 1):
        raise ValueError(f"Pixel Representation must be 0 or 1, not {pixel_representation}")
    if bits_stored is None:
        bits_stored = 8 * arr.dtype.itemsize
    if not 2 <= bits_stored <= 16:
        raise ValueError(
            f"JPEG-LS codes 2 to 16 bits per sample (PS3.5 Table 8.2.3-1), "
            f"not Bits Stored {bits_stored}"
        )

    near = int(codec_options.get("jls_error", 0) or 0)
    max_near = min(255, ((1 << bits_stored) - 1) // 2)
    if not 0 <= near <= max_near:
        raise ValueError(
            f"jls_error {near} is outside [0, {max_near}] for Bits Stored {bits_stored} "
            "(ISO/IEC 14495-1 C.2.3: NEAR <= min(255, MAXVAL / 2))"
        )
    if near and codec_options.get("transfer_syntax_uid") == JPEGLS_LOSSLESS:
        raise ValueError(
            f"jls_error {near} makes the image lossy, which JPEG-LS Lossless "
            f"({JPEGLS_LOSSLESS}) does not allow: use JPEG-LS Near-Lossless "
            f"({JPEGLS_NEAR_LOSSLESS})"
        )

    interleave_mode = int(codec_options.get("interleave_mode", _DEFAULT_INTERLEAVE))
    if interleave_mode not in (0, 1, 2):
        raise ValueError(f"interleave_mode must be 0, 1 or 2, not {interleave_mode}")

    if photometric_interpretation is not None:
        profile = _PROFILES.get(str(photometric_interpretation).strip())
        if profile is None:
            raise ValueError(
                f"Photometric Interpretation {photometric_interpretation!r} cannot be "
                f"JPEG-LS encoded (PS3.5 Table 8.2.3-1 allows {', '.join(_PROFILES)})"
            )
        want_samples, representations, max_bits, lossy_ok = profile
        if samples != want_samples:
            raise ValueError(
                f"Photometric Interpretation {photometric_interpretation} needs "
                f"{want_samples} sample(s) per pixel, the array has {samples}"
            )
        if pixel_representation not in representations:
            raise ValueError(
                f"Photometric Interpretation {photometric_interpretation} does not allow "
                f"signed samples in JPEG-LS (PS3.5 Table 8.2.3-1)"
            )
        if bits_stored > max_bits:
            raise ValueError(
                f"Photometric Interpretation {photometric_interpretation} allows at most "
                f"{max_bits} bits stored in JPEG-LS, not {bits_stored} (PS3.5 Table 8.2.3-1)"
            )
        if near and not lossy_ok:
            raise ValueError(
                f"Photometric Interpretation {photometric_interpretation} cannot be "
                "near-lossless encoded: lossy errors would change palette indices"
            )

    signed = pixel_representation == 1
    if signed and near:
        # JPEG-LS knows no sign: an error of up to NEAR could carry a sample across
        # the two's complement wrap (e.g. 2047 -> 2048 == -2048 at 12 bits), so, as
        # pydicom does, samples must keep NEAR away from the signed range's ends.
        low = -(1 << (bits_stored - 1)) + near
        high = (1 << (bits_stored - 1)) - 1 - near
        if arr.size:
            smallest, largest = int(arr.min()), int(arr.max())
            if smallest < low or largest > high:
                raise ValueError(
                    f"signed samples must lie within [{low}, {high}] for near-lossless "
                    f"JPEG-LS with Bits Stored {bits_stored} and jls_error {near}; the "
                    f"array holds [{smallest}, {largest}]"
                )
    return {
        "bits_stored": bits_stored,
        "signed": signed,
        "near_lossless": near,
        "interleave_mode": interleave_mode,
    }


def _as_frame(arr: np.ndarray) -> np.ndarray:
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.dtype.byteorder not in ("=", "|"):
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return np.ascontiguousarray(arr)


def encode_frame(
    arr: np.ndarray,
    *,
    bits_stored: int | None = None,
    pixel_representation: int | None = None,
    photometric_interpretation: str | None = None,
    **codec_options: Any,
) -> bytes:
    """Encode one frame as a JPEG-LS codestream (PS3.5 Section 8.2.3).

    Parameters
    ----------
    arr : numpy.ndarray
        Integer samples, shape ``(rows, columns)`` or ``(rows, columns, samples)``
        with interleaved samples (Planar Configuration 0).
    bits_stored : int, optional
        (0028,0101), 2 to 16; the codestream is written with this precision, so
        12-bit data is coded as 12-bit (smaller than as 16-bit). Default: the
        dtype's size. Every sample must fit, else ValueError.
    pixel_representation : int, optional
        (0028,0103); default 1 for a signed dtype. Signed samples are written as
        their two's complement within Bits Stored, as DICOM and pydicom 3 do, so
        that :func:`decode_frame` with Pixel Representation 1 gives them back.
    photometric_interpretation : str, optional
        (0028,0004); when given, checked against PS3.5 Table 8.2.3-1.
    **codec_options
        ``jls_error``: the NEAR parameter, maximum absolute error per sample
        (default 0, lossless; JPEG-LS Near-Lossless when > 0).
        ``interleave_mode``: 0, 1 or 2 (default 2) for colour images.
        ``transfer_syntax_uid``: when JPEG-LS Lossless, ``jls_error`` must be 0.
        Other options are ignored.

    Returns
    -------
    bytes
        The codestream, of even length (padded with a fill byte before EOI, as
        DICOM encapsulation requires).

    Raises
    ------
    ValueError
        For samples outside Bits Stored, unsupported shapes, dtypes or parameters.
    JPEGLSError
        If CharLS refuses the image, with its message.
    """
    native = _native()
    frame = _as_frame(arr)
    arguments = _encode_arguments(
        frame,
        bits_stored,
        pixel_representation,
        photometric_interpretation,
        codec_options,
        frame.ndim,
    )
    return native.encode(frame, **arguments)


def encode_frames(
    arr: np.ndarray,
    *,
    bits_stored: int | None = None,
    pixel_representation: int | None = None,
    photometric_interpretation: str | None = None,
    threads: int | None = None,
    **codec_options: Any,
) -> list[bytes]:
    """Encode every frame of ``arr`` (shape ``(frames, rows, columns[, samples])``).

    Parameters are those of :func:`encode_frame`, plus ``threads`` (default
    ``os.cpu_count()``; 1 encodes in the caller). Frames are encoded in parallel.

    Returns
    -------
    list of bytes
        One codestream per frame, in order.

    Raises
    ------
    JPEGLSError
        For the first failing frame, with ``frame N`` in the message.
    """
    native = _native()
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected a numpy.ndarray, not {type(arr).__name__}")
    if arr.ndim == 4 and arr.shape[3] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (3, 4):
        raise ValueError(
            f"expected an array of shape (frames, rows, columns[, samples]), not {arr.shape}"
        )
    if arr.dtype.byteorder not in ("=", "|"):
        arr = arr.astype(arr.dtype.newbyteorder("="))
    arr = np.ascontiguousarray(arr)
    arguments = _encode_arguments(
        arr,
        bits_stored,
        pixel_representation,
        photometric_interpretation,
        codec_options,
        arr.ndim - 1,
    )

    def work(index: int) -> bytes:
        return native.encode(arr[index], **arguments)

    return _run_frames(arr.shape[0], threads, work)
