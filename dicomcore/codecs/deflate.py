"""Deflated Image Frame Compression (1.2.840.10008.1.2.8.1, PS3.5 Section 8.2.16).

Each frame is its native (Explicit VR Little Endian) pixel bytes compressed on
their own with Deflate (RFC 1951, no zlib header, as the Deflated Explicit VR
Little Endian transfer syntax uses), one fragment per frame (PS3.5 A.4.13). Bits
Allocated 1 frames are bit-packed per frame, so every frame starts on a byte.
The transfer syntax was made for large binary segmentations, where it saves
much more than its small cost.

zlib releases the GIL while it works, so :func:`decode_frames` and
:func:`encode_frames` run frames in parallel threads. A zlib-wrapped stream (as
some writers produce) is also accepted when decoding.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from dicomcore._workers import run_all, thread_count

__all__ = [
    "DEFLATED_IMAGE_FRAME",
    "ENCODES",
    "TRANSFER_SYNTAXES",
    "DeflateError",
    "decode_frame",
    "decode_frames",
    "encode_frame",
    "encode_frames",
    "is_available",
]

#: Deflated Image Frame Compression transfer syntax UID.
DEFLATED_IMAGE_FRAME = "1.2.840.10008.1.2.8.1"
#: Transfer syntaxes whose frames :func:`decode_frame` decodes.
TRANSFER_SYNTAXES: tuple[str, ...] = (DEFLATED_IMAGE_FRAME,)
#: Transfer syntaxes :func:`encode_frame` encodes to.
ENCODES: tuple[str, ...] = (DEFLATED_IMAGE_FRAME,)

BytesLike = bytes | bytearray | memoryview


class DeflateError(ValueError):
    """A frame could not be inflated, or inflated to the wrong size.

    Attributes
    ----------
    frame : int or None
        The frame's index in a batch call.
    """

    def __init__(self, message: str, frame: int | None = None) -> None:
        super().__init__(message)
        self.frame = frame


def is_available() -> bool:
    """Always True: zlib is part of Python."""
    return True


def _frame_geometry(
    rows: int | None,
    columns: int | None,
    samples_per_pixel: int,
    bits_allocated: int | None,
    pixel_representation: int,
) -> tuple[int, np.dtype, tuple[int, ...]]:
    """(native bytes of one frame, output dtype, output shape)."""
    if rows is None or columns is None or bits_allocated is None:
        raise ValueError("rows, columns and bits_allocated are needed to decode a deflated frame")
    if rows < 1 or columns < 1 or samples_per_pixel < 1:
        raise ValueError(
            f"rows, columns and samples per pixel must be positive, not {rows}, {columns}, "
            f"{samples_per_pixel}"
        )
    if bits_allocated not in (1, 8, 16, 32, 64):
        raise ValueError(f"Bits Allocated must be 1, 8, 16, 32 or 64, not {bits_allocated}")
    if pixel_representation not in (0, 1):
        raise ValueError(f"Pixel Representation must be 0 or 1, not {pixel_representation}")
    samples = rows * columns * samples_per_pixel
    if bits_allocated == 1:
        size = (samples + 7) // 8
        dtype = np.dtype(np.uint8)
    else:
        size = samples * bits_allocated // 8
        dtype = np.dtype(f"{'i' if pixel_representation else 'u'}{bits_allocated // 8}")
    shape = (rows, columns) if samples_per_pixel == 1 else (rows, columns, samples_per_pixel)
    return size, dtype, shape


def _inflate(src: BytesLike, size: int) -> bytes:
    """Inflate at most ``size`` bytes: a corrupt or hostile stream cannot allocate more."""
    data = memoryview(src).cast("B")
    # A zlib header is CM 8 with a check value divisible by 31 (RFC 1950 2.2).
    wrapped = len(data) >= 2 and data[0] & 0x0F == 8 and ((data[0] << 8) | data[1]) % 31 == 0
    for wbits in ((15, -15) if wrapped else (-15,)):
        inflater = zlib.decompressobj(wbits)
        try:
            out = inflater.decompress(data, size)
        except zlib.error as exc:
            if wbits == 15:
                continue
            raise DeflateError(f"the deflated frame is corrupt: {exc}") from None
        if len(out) < size:
            raise DeflateError(
                f"the deflated frame inflates to {len(out)} bytes, the frame needs {size}"
            )
        return out
    raise DeflateError("the deflated frame is corrupt")  # pragma: no cover - loop returns


def decode_frame(
    src: BytesLike,
    *,
    rows: int | None = None,
    columns: int | None = None,
    samples_per_pixel: int = 1,
    bits_allocated: int | None = None,
    pixel_representation: int = 0,
    out: np.ndarray | None = None,
    planar_configuration: int = 0,
    **codec_options: Any,
) -> np.ndarray:
    """Inflate one frame (PS3.5 Section 8.2.16) to an array.

    Parameters
    ----------
    src : bytes-like
        The frame's Deflate stream (its fragment, padding allowed after it).
    rows, columns, samples_per_pixel, bits_allocated, pixel_representation : int
        The dataset's (0028,0010), (0028,0011), (0028,0002), (0028,0100) and
        (0028,0103).
    out : numpy.ndarray, optional
        C-contiguous destination of the returned shape and dtype.
    planar_configuration : int
        (0028,0006): 1 when the frame's samples are stored colour by plane; the
        output is interleaved either way.
    **codec_options
        Accepted for the uniform codec signature and ignored.

    Returns
    -------
    numpy.ndarray
        ``(rows, columns)`` or ``(rows, columns, samples)`` of uint8 (one pixel a
        byte for Bits Allocated 1) or the integer type of Bits Allocated.

    Raises
    ------
    DeflateError
        If the stream is corrupt or inflates to too few bytes.
    """
    size, dtype, shape = _frame_geometry(
        rows, columns, samples_per_pixel, bits_allocated, pixel_representation
    )
    if out is None:
        out = np.empty(shape, dtype=dtype)
    elif out.shape != shape or out.dtype != dtype or not out.flags.c_contiguous:
        raise ValueError(
            f"out must be a C-contiguous array of shape {shape} and dtype {dtype}, not "
            f"{out.shape} {out.dtype}"
        )
    raw = _inflate(src, size)
    if bits_allocated == 1:
        from dicomcore.pixels import _unpack

        _unpack.unpack_bits(raw, 0, memoryview(out).cast("B"), 0, out.size)
        return out
    values = np.frombuffer(raw, dtype=dtype.newbyteorder("<"))
    if samples_per_pixel > 1 and planar_configuration == 1:
        planes = values.reshape(samples_per_pixel, rows, columns)
        out[...] = planes.transpose(1, 2, 0)
    else:
        out.reshape(-1)[...] = values
    return out


def decode_frames(
    frames: Sequence[BytesLike],
    *,
    out: np.ndarray | None = None,
    threads: int | None = None,
    **kwargs: Any,
) -> np.ndarray:
    """Inflate many frames into one ``(frames, rows, columns[, samples])`` array.

    The keyword arguments are those of :func:`decode_frame`; frames are inflated
    in parallel on ``threads`` threads (default every CPU), and an error names
    the frame.
    """
    size, dtype, shape = _frame_geometry(
        kwargs.get("rows"),
        kwargs.get("columns"),
        kwargs.get("samples_per_pixel", 1),
        kwargs.get("bits_allocated"),
        kwargs.get("pixel_representation", 0),
    )
    count = len(frames)
    if out is None:
        out = np.empty((count, *shape), dtype=dtype)
    elif out.shape != (count, *shape) or out.dtype != dtype:
        raise ValueError(f"out must have shape {(count, *shape)} and dtype {dtype}")
    destination = out

    def one(index: int) -> None:
        try:
            decode_frame(frames[index], out=destination[index], **kwargs)
        except DeflateError as exc:
            raise DeflateError(f"frame {index}: {exc}", index) from exc

    run_all(count, thread_count(threads, count), one)
    return out


def encode_frame(
    arr: np.ndarray,
    *,
    bits_stored: int | None = None,
    pixel_representation: int | None = None,
    photometric_interpretation: str | None = None,
    bits_allocated: int | None = None,
    level: int = 6,
    **codec_options: Any,
) -> bytes:
    """Deflate one frame (PS3.5 Section 8.2.16).

    Parameters
    ----------
    arr : numpy.ndarray
        ``(rows, columns)`` or ``(rows, columns, samples)``, interleaved samples,
        any integer or float dtype, either byte order.
    bits_stored, pixel_representation, photometric_interpretation
        Accepted for the uniform codec signature; Deflate keeps every bit.
    bits_allocated : int, optional
        1 packs the (0 or 1) pixels to bits first, as Bits Allocated 1 data is
        stored; otherwise the dtype's size is used.
    level : int
        zlib compression level, 0 to 9 (default 6).

    Returns
    -------
    bytes
        The raw Deflate stream of the frame's little-endian bytes.
    """
    if not isinstance(arr, np.ndarray) or arr.ndim not in (2, 3):
        raise ValueError("encode_frame needs an array of shape (rows, columns[, samples])")
    if not 0 <= level <= 9:
        raise ValueError(f"level must be 0 to 9, not {level}")
    if bits_allocated == 1:
        from dicomcore.pixels import _unpack

        data: Any = _unpack.pack_bits(np.ascontiguousarray(arr, dtype=np.uint8).reshape(-1))
    else:
        if bits_allocated is not None and bits_allocated != arr.dtype.itemsize * 8:
            raise ValueError(f"bits_allocated {bits_allocated} does not match dtype {arr.dtype}")
        data = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def encode_frames(
    arr: np.ndarray, *, threads: int | None = None, **kwargs: Any
) -> list[bytes]:
    """Deflate each frame of a ``(frames, rows, columns[, samples])`` array in parallel.

    The keyword arguments are those of :func:`encode_frame`.
    """
    if not isinstance(arr, np.ndarray) or arr.ndim not in (3, 4):
        raise ValueError("encode_frames needs an array of shape (frames, rows, columns[, samples])")
    count = arr.shape[0]
    return run_all(count, thread_count(threads, count), lambda i: encode_frame(arr[i], **kwargs))
