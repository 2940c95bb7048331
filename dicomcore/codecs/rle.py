"""RLE Lossless pixel codec (transfer syntax 1.2.840.10008.1.2.5, PS3.5 Annex G).

Each frame is a 64-byte header (segment count and up to 15 segment offsets)
followed by one PackBits-coded segment per byte plane: for every sample, the most
significant byte first. This module decodes such frames to NumPy arrays shaped as
pydicom 3 returns them, ``(rows, columns)`` or ``(rows, columns, samples)`` with
interleaved (planar configuration 0), native-endian samples, and encodes arrays back
with the shortest coding PackBits allows for each row.

The work is done by dicomcore's own C kernel without the GIL, so
:func:`decode_frames` and :func:`encode_frames` spread a multi-frame image over a
pool of threads and any number of caller threads may use the module at once.

Damaged frames raise :class:`RLEError` naming what is wrong and in which segment;
``lenient=True`` decodes what can be decoded, leaves the rest zero and warns with
:class:`RLEWarning` instead.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from dicomcore._workers import run_all, thread_count

try:
    from dicomcore.codecs import _rle
except ImportError:  # not built (e.g. an sdist installed without a C compiler)
    _rle = None

__all__ = [
    "ENCODES",
    "RLE_LOSSLESS",
    "RLEError",
    "RLEWarning",
    "TRANSFER_SYNTAXES",
    "decode_frame",
    "decode_frames",
    "encode_frame",
    "encode_frames",
    "is_available",
    "segment_offsets",
]

#: RLE Lossless transfer syntax UID.
RLE_LOSSLESS = "1.2.840.10008.1.2.5"
#: Transfer syntaxes whose frames :func:`decode_frame` decodes.
TRANSFER_SYNTAXES: tuple[str, ...] = (RLE_LOSSLESS,)
#: Transfer syntaxes :func:`encode_frame` encodes to.
ENCODES: tuple[str, ...] = (RLE_LOSSLESS,)

_MAX_SEGMENTS = 15
_HEADER_LENGTH = 64
_INSTALL_HINT = (
    "dicomcore.codecs.rle requires dicomcore's compiled RLE extension "
    "(dicomcore.codecs._rle), which needs a C compiler; on Debian: apt-get install "
    "build-essential python3-dev, then reinstall dicomcore"
)

BytesLike = bytes | bytearray | memoryview | np.ndarray


class RLEError(ValueError):
    """An RLE frame could not be decoded, or an array could not be encoded.

    Attributes
    ----------
    reason : str or None
        What was wrong, as a short name: ``"header_truncated"``, ``"segment_count"``,
        ``"offset_in_header"``, ``"offset_order"``, ``"offset_past_end"``,
        ``"segment_truncated"``, ``"literal_truncated"``, ``"run_overflow"`` or
        ``"bad_argument"``.
    segment : int or None
        The segment it was found in, numbered from 1 as in PS3.5 G.5.
    offset : int or None
        Byte offset within the frame's data where it was found.
    frame : int or None
        Index of the frame in a batch call (:func:`decode_frames`,
        :func:`encode_frames`); None for single-frame calls.
    """

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        segment: int | None = None,
        offset: int | None = None,
        frame: int | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.segment = segment
        self.offset = offset
        self.frame = frame


class RLEWarning(UserWarning):
    """A damaged RLE frame was decoded with ``lenient=True``; part of it is zero."""


def is_available() -> bool:
    """Return True when the compiled RLE kernel can be used."""
    return _rle is not None


def _native() -> Any:
    if _rle is None:
        raise ImportError(_INSTALL_HINT)
    return _rle


def segment_offsets(src: BytesLike) -> tuple[int, ...]:
    """Return the segment offsets listed in an RLE frame's header.

    Parameters
    ----------
    src : bytes-like
        One frame of RLE data.

    Returns
    -------
    tuple of int
        One offset per segment the header declares (PS3.5 G.5).

    Raises
    ------
    RLEError
        If the frame is shorter than the 64-byte header or declares more than 15
        segments.
    """
    header = memoryview(src).cast("B")[:_HEADER_LENGTH]
    if len(header) < _HEADER_LENGTH:
        raise RLEError(
            f"RLE frame data is {len(header)} bytes, shorter than the 64-byte header "
            "(PS3.5 G.5)",
            reason="header_truncated",
        )
    words = np.frombuffer(header, dtype="<u4")
    count = int(words[0])
    if count > _MAX_SEGMENTS:
        raise RLEError(
            f"the RLE header declares {count} segments; PS3.5 G.5 allows 1 to 15",
            reason="segment_count",
        )
    return tuple(int(v) for v in words[1 : 1 + count])


# -- Argument handling --------------------------------------------------------------------


def _geometry_from_segments(
    src: BytesLike, samples_per_pixel: int | None, bits_allocated: int | None
) -> tuple[int, int]:
    """Fill in samples per pixel and bits allocated from the header's segment count.

    Samples per pixel 1 or 3 times 1, 2, 4 or 8 bytes gives each valid count exactly
    one reading, so the header settles whatever the caller left out.
    """
    if samples_per_pixel is not None and bits_allocated is not None:
        return samples_per_pixel, bits_allocated
    count = len(segment_offsets(src))
    if bits_allocated is not None:
        bytes_per_sample = bits_allocated // 8
        if bytes_per_sample and count % bytes_per_sample == 0 and count:
            return count // bytes_per_sample, bits_allocated
    elif samples_per_pixel is not None:
        if samples_per_pixel > 0 and count % samples_per_pixel == 0:
            return samples_per_pixel, 8 * (count // samples_per_pixel)
    else:
        for samples in (1, 3):
            if count % samples == 0 and count // samples in (1, 2, 4, 8):
                return samples, 8 * (count // samples)
    raise RLEError(
        f"cannot tell samples per pixel and bits allocated from the RLE header's "
        f"{count} segments; pass samples_per_pixel and bits_allocated",
        reason="segment_count",
    )


def _sample_dtype(bits_allocated: int, pixel_representation: int) -> np.dtype:
    if bits_allocated not in (8, 16, 32, 64):
        raise ValueError(
            f"RLE Lossless needs bits allocated 8, 16, 32 or 64, not {bits_allocated} "
            "(PS3.5 G.2)"
        )
    if pixel_representation not in (0, 1):
        raise ValueError(f"pixel_representation must be 0 or 1, not {pixel_representation}")
    kind = "i" if pixel_representation else "u"
    return np.dtype(f"={kind}{bits_allocated // 8}")


def _frame_shape(rows: int, columns: int, samples_per_pixel: int) -> tuple[int, ...]:
    if samples_per_pixel == 1:
        return (rows, columns)
    return (rows, columns, samples_per_pixel)


def _check_out(out: Any, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    if not isinstance(out, np.ndarray):
        raise ValueError(f"out must be a numpy.ndarray, not {type(out).__name__}")
    if out.shape != shape or out.dtype != dtype:
        raise ValueError(
            f"out has shape {out.shape} and dtype {out.dtype}; the frames need shape "
            f"{shape} and dtype {dtype}"
        )
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError("out must be a writeable, C-contiguous array")
    return out


class _DecodeSettings:
    """Checked decoding arguments shared by every frame of a call."""

    __slots__ = (
        "rows",
        "columns",
        "samples_per_pixel",
        "bits_allocated",
        "bits_stored",
        "signed",
        "lenient",
        "lsb_first",
        "dtype",
        "shape",
    )

    def __init__(
        self,
        first_frame: BytesLike | None,
        rows: int | None,
        columns: int | None,
        samples_per_pixel: int | None,
        bits_allocated: int | None,
        pixel_representation: int,
        out_frame: tuple[tuple[int, ...], np.dtype] | None,
        options: dict[str, Any],
    ) -> None:
        bits_stored = options.pop("bits_stored", None)
        lenient = options.pop("lenient", False)
        segment_order = options.pop("segment_order", ">")
        if options:
            raise TypeError(f"unknown RLE decoding option(s): {', '.join(sorted(options))}")
        if segment_order not in (">", "<"):
            raise ValueError(
                f"segment_order must be '>' (most significant byte first, PS3.5 G.2) or "
                f"'<', not {segment_order!r}"
            )
        if out_frame is not None:
            # Whatever the caller left out is read off the output array.
            out_shape, out_dtype = out_frame
            if len(out_shape) in (2, 3):
                rows = out_shape[0] if rows is None else rows
                columns = out_shape[1] if columns is None else columns
                if samples_per_pixel is None:
                    samples_per_pixel = out_shape[2] if len(out_shape) == 3 else 1
            if bits_allocated is None and out_dtype.kind in "ui":
                bits_allocated = out_dtype.itemsize * 8
        if rows is None or columns is None:
            raise ValueError("rows and columns are needed to decode RLE data")
        if rows < 1 or columns < 1 or rows > 0xFFFFFFFF or columns > 0xFFFFFFFF:
            raise ValueError(f"rows and columns must be positive, not {rows} x {columns}")
        if samples_per_pixel is None or bits_allocated is None:
            if first_frame is None:
                raise ValueError("samples_per_pixel and bits_allocated are needed")
            samples_per_pixel, bits_allocated = _geometry_from_segments(
                first_frame, samples_per_pixel, bits_allocated
            )
        self.dtype = _sample_dtype(bits_allocated, pixel_representation)
        if samples_per_pixel < 1 or samples_per_pixel * (bits_allocated // 8) > _MAX_SEGMENTS:
            raise ValueError(
                f"{samples_per_pixel} samples of {bits_allocated} bits need "
                f"{samples_per_pixel * bits_allocated // 8} segments; RLE allows at most 15 "
                "(PS3.5 G.2)"
            )
        if bits_stored is not None and not 1 <= bits_stored <= bits_allocated:
            raise ValueError(
                f"bits_stored must be between 1 and bits allocated ({bits_allocated}), "
                f"not {bits_stored}"
            )
        self.rows = int(rows)
        self.columns = int(columns)
        self.samples_per_pixel = int(samples_per_pixel)
        self.bits_allocated = int(bits_allocated)
        self.bits_stored = 0 if bits_stored is None else int(bits_stored)
        self.signed = bool(pixel_representation)
        self.lenient = bool(lenient)
        self.lsb_first = segment_order == "<"
        self.shape = _frame_shape(self.rows, self.columns, self.samples_per_pixel)

    def decode_into(self, src: BytesLike, out: np.ndarray) -> tuple | None:
        return _native().decode_into(
            src,
            out,
            self.rows,
            self.columns,
            self.samples_per_pixel,
            self.bits_allocated // 8,
            self.lenient,
            self.lsb_first,
            self.bits_stored,
            self.signed,
        )


def _warn_problem(problem: tuple, frame: int | None, stacklevel: int) -> None:
    message, count, _reason, _segment = problem
    where = "" if frame is None else f"frame {frame}: "
    more = f" (and {count - 1} more problem{'s' if count > 2 else ''})" if count > 1 else ""
    warnings.warn(
        f"{where}{message}{more}; the bytes that could not be decoded are zero",
        RLEWarning,
        stacklevel=stacklevel + 1,
    )


def _with_frame(error: RLEError, frame: int) -> RLEError:
    tagged = RLEError(
        f"frame {frame}: {error}",
        reason=error.reason,
        segment=error.segment,
        offset=error.offset,
        frame=frame,
    )
    tagged.__cause__ = error
    return tagged


# -- Decoding -----------------------------------------------------------------------------


def decode_frame(
    src: BytesLike,
    *,
    rows: int | None = None,
    columns: int | None = None,
    samples_per_pixel: int | None = None,
    bits_allocated: int | None = None,
    pixel_representation: int = 0,
    out: np.ndarray | None = None,
    **codec_options: Any,
) -> np.ndarray:
    """Decode one RLE Lossless frame (PS3.5 Annex G) to an array.

    Parameters
    ----------
    src : bytes-like
        The frame's data: the 64-byte RLE header and its segments (one fragment of
        the encapsulated Pixel Data, PS3.5 A.4.2).
    rows, columns : int
        Frame size; required unless ``out`` is given.
    samples_per_pixel : int, optional
        1 or 3 (any count whose segments fit in 15 works). Read from ``out`` or,
        together with `bits_allocated`, from the header's segment count if omitted.
    bits_allocated : int, optional
        8, 16, 32 or 64.
    pixel_representation : int, optional
        0 for unsigned samples (default), 1 for two's complement signed samples.
    out : numpy.ndarray, optional
        A C-contiguous, writeable array of the frame's shape and dtype to decode into,
        e.g. one frame of a preallocated multi-frame array.
    **codec_options
        ``bits_stored`` (int): when below bits allocated, clear the unused high bits
        (unsigned) or fill them with the sign bit (signed), as PS3.5 8.1.1 and
        pydicom do. ``lenient`` (bool, default False): decode damaged data as far as
        possible, zero the rest and warn with :class:`RLEWarning` instead of raising.
        ``segment_order`` (``">"`` default, or ``"<"`` for non-conformant data with
        the least significant byte's segment first).

    Returns
    -------
    numpy.ndarray
        Shape ``(rows, columns)`` or ``(rows, columns, samples_per_pixel)``, dtype
        ``uint8``/``uint16``/``uint32``/``uint64`` (signed with pixel_representation
        1), native byte order; ``out`` itself when given.

    Raises
    ------
    RLEError
        If the header or a segment is damaged (segment count that does not match the
        image, offsets out of order, inside the header or past the end, truncated
        segments, runs that overflow the frame), naming the segment and offset.
    ValueError
        If the arguments or ``out`` do not describe a valid frame.
    ImportError
        If the compiled kernel is not available.
    """
    _native()
    out_frame = None if out is None else (getattr(out, "shape", ()), getattr(out, "dtype", None))
    if out_frame is not None and not isinstance(out, np.ndarray):
        raise ValueError(f"out must be a numpy.ndarray, not {type(out).__name__}")
    settings = _DecodeSettings(
        src,
        rows,
        columns,
        samples_per_pixel,
        bits_allocated,
        pixel_representation,
        out_frame,
        dict(codec_options),
    )
    if out is None:
        out = np.empty(settings.shape, dtype=settings.dtype)
    else:
        _check_out(out, settings.shape, settings.dtype)
    problem = settings.decode_into(src, out)
    if problem is not None:
        _warn_problem(problem, None, stacklevel=2)
    return out


def decode_frames(
    frames: Sequence[BytesLike],
    *,
    rows: int | None = None,
    columns: int | None = None,
    samples_per_pixel: int | None = None,
    bits_allocated: int | None = None,
    pixel_representation: int = 0,
    out: np.ndarray | None = None,
    threads: int | None = None,
    **codec_options: Any,
) -> np.ndarray:
    """Decode many RLE Lossless frames into one array, on a pool of threads.

    Parameters
    ----------
    frames : sequence of bytes-like
        One item per frame, as for :func:`decode_frame`.
    rows, columns, samples_per_pixel, bits_allocated, pixel_representation
        As for :func:`decode_frame`; the same for every frame.
    out : numpy.ndarray, optional
        C-contiguous, writeable array of shape ``(len(frames), *frame_shape)``.
    threads : int, optional
        Threads to decode on; default ``os.cpu_count()``.
    **codec_options
        As for :func:`decode_frame`.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(frames), rows, columns[, samples_per_pixel])``.

    Raises
    ------
    RLEError
        For the first damaged frame (lowest index), its message prefixed with
        ``"frame N: "`` and :attr:`RLEError.frame` set.
    """
    _native()
    frames = list(frames)
    count = len(frames)
    out_frame = None
    if out is not None:
        if not isinstance(out, np.ndarray):
            raise ValueError(f"out must be a numpy.ndarray, not {type(out).__name__}")
        out_frame = (out.shape[1:], out.dtype)
    settings = _DecodeSettings(
        frames[0] if frames else None,
        rows,
        columns,
        samples_per_pixel,
        bits_allocated,
        pixel_representation,
        out_frame,
        dict(codec_options),
    )
    shape = (count, *settings.shape)
    if out is None:
        out = np.empty(shape, dtype=settings.dtype)
    else:
        _check_out(out, shape, settings.dtype)

    def work(i: int) -> tuple | None:
        try:
            return settings.decode_into(frames[i], out[i])
        except RLEError as exc:
            raise _with_frame(exc, i) from exc

    problems = run_all(count, thread_count(threads, count), work)
    for i, problem in enumerate(problems):
        if problem is not None:
            _warn_problem(problem, i, stacklevel=2)
    return out


# -- Encoding -----------------------------------------------------------------------------

_MONOCHROME = ("MONOCHROME1", "MONOCHROME2", "PALETTE COLOR")


def _check_encode_options(
    arr: np.ndarray,
    samples_per_pixel: int,
    bits_stored: int | None,
    pixel_representation: int | None,
    photometric_interpretation: str | None,
) -> None:
    if arr.dtype.kind not in "ui" or arr.dtype.itemsize not in (1, 2, 4, 8):
        raise ValueError(
            f"RLE Lossless encodes 8, 16, 32 or 64-bit integer samples, not {arr.dtype} "
            "(PS3.5 G.2)"
        )
    bits_allocated = arr.dtype.itemsize * 8
    if samples_per_pixel < 1 or samples_per_pixel * arr.dtype.itemsize > _MAX_SEGMENTS:
        raise ValueError(
            f"{samples_per_pixel} samples of {bits_allocated} bits need "
            f"{samples_per_pixel * arr.dtype.itemsize} segments; RLE allows at most 15 "
            "(PS3.5 G.2)"
        )
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"cannot encode an empty frame of shape {arr.shape}")
    if arr.shape[0] > 0xFFFF or arr.shape[1] > 0xFFFF:
        raise ValueError(
            f"a frame of {arr.shape[0]} x {arr.shape[1]} pixels exceeds DICOM's 65535 rows "
            "or columns"
        )
    if bits_stored is not None and not 1 <= bits_stored <= bits_allocated:
        raise ValueError(
            f"bits_stored must be between 1 and bits allocated ({bits_allocated}), "
            f"not {bits_stored}"
        )
    if pixel_representation is not None and pixel_representation not in (0, 1):
        raise ValueError(f"pixel_representation must be 0 or 1, not {pixel_representation}")
    if photometric_interpretation is not None:
        expected = 1 if photometric_interpretation in _MONOCHROME else 3
        if expected != samples_per_pixel:
            raise ValueError(
                f"photometric interpretation {photometric_interpretation} has {expected} "
                f"sample(s) per pixel, the array has {samples_per_pixel}"
            )


def _array_from_bytes(src: BytesLike, options: dict[str, Any]) -> np.ndarray:
    """View little-endian frame bytes (as stored in Pixel Data) as an array."""
    rows = options.pop("rows", None)
    columns = options.pop("columns", None)
    samples = options.pop("samples_per_pixel", 1)
    bits_allocated = options.pop("bits_allocated", None)
    planar_configuration = options.pop("planar_configuration", 0)
    if rows is None or columns is None or bits_allocated is None:
        raise ValueError("rows, columns and bits_allocated are needed to encode raw bytes")
    if bits_allocated not in (8, 16, 32, 64):
        raise ValueError(
            f"RLE Lossless needs bits allocated 8, 16, 32 or 64, not {bits_allocated}"
        )
    data = np.frombuffer(src, dtype=f"<u{bits_allocated // 8}")
    expected = rows * columns * samples
    if data.size != expected:
        raise ValueError(
            f"{len(memoryview(src).cast('B'))} bytes do not hold {rows} x {columns} x "
            f"{samples} samples of {bits_allocated} bits"
        )
    if samples == 1:
        return data.reshape(rows, columns)
    if planar_configuration == 1:
        # Colour-by-plane input: a strided view, which the kernel reads as it is.
        return data.reshape(samples, rows, columns).transpose(1, 2, 0)
    if planar_configuration != 0:
        raise ValueError(f"planar_configuration must be 0 or 1, not {planar_configuration}")
    return data.reshape(rows, columns, samples)


def encode_frame(
    arr: np.ndarray | BytesLike,
    *,
    bits_stored: int | None = None,
    pixel_representation: int | None = None,
    photometric_interpretation: str | None = None,
    **codec_options: Any,
) -> bytes:
    """Encode one frame as RLE Lossless (PS3.5 Annex G).

    Every row of every byte plane gets the shortest PackBits coding there is (runs
    never cross a row, three or more equal bytes are replicate runs, PS3.5 G.3.1), so
    the result is never larger than that of any other conformant encoder.

    Parameters
    ----------
    arr : numpy.ndarray or bytes-like
        Shape ``(rows, columns)`` or ``(rows, columns, samples)``, an integer dtype of
        8, 16, 32 or 64 bits in either byte order and any memory layout. Raw bytes
        (little-endian, as in Pixel Data) need the codec options ``rows``,
        ``columns``, ``bits_allocated`` and optionally ``samples_per_pixel`` (default
        1) and ``planar_configuration`` (default 0).
    bits_stored : int, optional
        Checked against the sample size only: RLE keeps every bit.
    pixel_representation : int, optional
        0 or 1; checked only, RLE codes bytes whatever their sign.
    photometric_interpretation : str, optional
        Checked against the number of samples.
    **codec_options
        ``samples_per_pixel`` to confirm the last axis is samples, and the raw-bytes
        options above.

    Returns
    -------
    bytes
        The RLE frame: header and even-length segments.

    Raises
    ------
    ValueError
        If the array cannot be coded as RLE (dtype, more than 15 segments, empty).
    """
    native = _native()
    options = dict(codec_options)
    if isinstance(arr, np.ndarray):
        samples = options.pop("samples_per_pixel", None)
        rows = options.pop("rows", None)
        columns = options.pop("columns", None)
        bits_allocated = options.pop("bits_allocated", None)
        if bits_allocated is not None and bits_allocated != arr.dtype.itemsize * 8:
            raise ValueError(
                f"bits_allocated {bits_allocated} does not match the array's dtype {arr.dtype}"
            )
        if arr.ndim == 2:
            inferred = 1
        elif arr.ndim == 3:
            inferred = arr.shape[2]
        else:
            raise ValueError(f"expected a frame of 2 or 3 dimensions, got shape {arr.shape}")
        if samples is not None and samples != inferred:
            raise ValueError(f"samples_per_pixel {samples} does not match shape {arr.shape}")
        if (rows is not None and rows != arr.shape[0]) or (
            columns is not None and columns != arr.shape[1]
        ):
            raise ValueError(f"rows x columns {rows} x {columns} do not match shape {arr.shape}")
        options.pop("planar_configuration", None)
    else:
        arr = _array_from_bytes(arr, options)
        inferred = 1 if arr.ndim == 2 else arr.shape[2]
    if options:
        raise TypeError(f"unknown RLE encoding option(s): {', '.join(sorted(options))}")
    _check_encode_options(
        arr, inferred, bits_stored, pixel_representation, photometric_interpretation
    )
    return native.encode_array(arr, inferred)


def encode_frames(
    arr: np.ndarray,
    *,
    threads: int | None = None,
    bits_stored: int | None = None,
    pixel_representation: int | None = None,
    photometric_interpretation: str | None = None,
    **codec_options: Any,
) -> list[bytes]:
    """Encode every frame of ``arr`` as RLE Lossless, on a pool of threads.

    Parameters
    ----------
    arr : numpy.ndarray
        Shape ``(frames, rows, columns)`` or ``(frames, rows, columns, samples)``.
    threads : int, optional
        Threads to encode on; default ``os.cpu_count()``.
    bits_stored, pixel_representation, photometric_interpretation, **codec_options
        As for :func:`encode_frame`.

    Returns
    -------
    list of bytes
        One RLE frame per item of the first axis.
    """
    native = _native()
    if not isinstance(arr, np.ndarray) or arr.ndim not in (3, 4):
        raise ValueError("encode_frames needs an array of shape (frames, rows, columns[, samples])")
    options = dict(codec_options)
    samples = options.pop("samples_per_pixel", None)
    inferred = 1 if arr.ndim == 3 else arr.shape[3]
    if samples is not None and samples != inferred:
        raise ValueError(f"samples_per_pixel {samples} does not match shape {arr.shape}")
    if options:
        raise TypeError(f"unknown RLE encoding option(s): {', '.join(sorted(options))}")
    count = arr.shape[0]
    if count:
        _check_encode_options(
            arr[0], inferred, bits_stored, pixel_representation, photometric_interpretation
        )

    def work(i: int) -> bytes:
        try:
            return native.encode_array(arr[i], inferred)
        except RLEError as exc:
            raise _with_frame(exc, i) from exc

    return run_all(count, thread_count(threads, count), work)
