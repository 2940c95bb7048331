"""Native (uncompressed) pixel data to arrays (PS3.5 Section 8.1 and 8.2).

One pass over the source bytes does everything a native frame needs: the byte
order of big endian data, colour-by-plane to colour-by-pixel (planar
configuration 1), YBR_FULL_422's shared chroma, bit-packed 1-bit pixels (whose
frames need not start on a byte), and the bits above Bits Stored (cleared, or
sign-extended for signed data, PS3.5 Section 8.1.1). The source is read where it
lies (for a memory-mapped file, the mapping), so the pixel bytes are copied once,
into the output array; large copies are split over threads.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from dicomcore._workers import run_all, thread_count
from dicomcore.pixels import _unpack
from dicomcore.pixels.layout import PixelLayout
from dicomcore.uid import ExplicitVRBigEndian

__all__ = ["decode_native", "native_length_problem"]

# Below this many bytes one thread copies faster than several start.
_PARALLEL_BYTES = 8 << 20


def _byte_view(arr: np.ndarray) -> memoryview:
    return memoryview(arr.reshape(-1).view(np.uint8))


def _parallel_copy(
    src: memoryview,
    start: int,
    dst: memoryview,
    count: int,
    itemsize: int,
    swap: bool,
    bits_stored: int,
    signed: bool,
    threads: int | None,
) -> None:
    """copy_samples over ``threads`` threads (the caller's included) for large copies."""
    threads = thread_count(threads)
    total = count * itemsize
    if threads == 1 or total < _PARALLEL_BYTES:
        _unpack.copy_samples(src, start, dst, 0, count, itemsize, swap, bits_stored, signed)
        return
    parts = min(threads, max(1, total // (_PARALLEL_BYTES // 2)))
    step = -(-count // parts)
    chunks = [(i, min(step, count - i)) for i in range(0, count, step)]

    def copy_chunk(index: int) -> None:
        first, n = chunks[index]
        _unpack.copy_samples(
            src, start + first * itemsize, dst, first * itemsize, n, itemsize, swap,
            bits_stored, signed,
        )

    run_all(len(chunks), len(chunks), copy_chunk)


def native_length_problem(layout: PixelLayout, actual: int) -> str | None:
    """Why ``actual`` bytes cannot hold the layout's frames, or None if they can."""
    expected = layout.expected_length()
    padded = expected + expected % 2
    if actual < padded and actual != expected:
        return (
            f"The number of bytes of pixel data is less than expected ({actual} vs "
            f"{padded} bytes) - the dataset may be corrupted, have an invalid group 0028 "
            "element value, or the transfer syntax may be incorrect"
        )
    return None


def _frame_count(layout: PixelLayout, actual: int, allow_excess_frames: bool) -> int:
    """The frames to decode, checking the length as PS3.5 Section 8.1.1 describes."""
    problem = native_length_problem(layout, actual)
    if problem:
        raise ValueError(problem)
    expected = layout.expected_length()
    padded = expected + expected % 2
    frames = layout.number_of_frames
    if actual > padded:
        if layout.photometric_interpretation == "YBR_FULL_422":
            full = expected // 2 * 3
            if actual >= full + full % 2:
                raise ValueError(
                    "The number of bytes of pixel data is a third larger than expected "
                    f"({actual} vs {expected} bytes) which indicates the set (0028,0004) "
                    "'Photometric Interpretation' value of 'YBR_FULL_422' is incorrect and "
                    "may need to be changed to either 'RGB' or 'YBR_FULL'"
                )
        whole = actual * 8 // layout.frame_bits
        if allow_excess_frames and whole > frames:
            warnings.warn(
                f"The number of bytes of pixel data is sufficient to contain {whole} frames "
                f"which is larger than the given (0028,0008) 'Number of Frames' value of "
                f"{frames}. The returned data will include these extra frames and if it's "
                "correct then you should update 'Number of Frames' accordingly, otherwise "
                "pass 'allow_excess_frames=False' to return only the first "
                f"{frames} frames.",
                UserWarning,
                stacklevel=4,
            )
            return whole
        warnings.warn(
            f"The pixel data is {actual} bytes long, which indicates it contains "
            f"{actual - expected} bytes of excess padding to be removed",
            UserWarning,
            stacklevel=4,
        )
    return frames


def _swapped_pairs(view: memoryview, start: int, length: int) -> tuple[bytes, int]:
    """8-bit data written as big endian OW: undo the pairwise byte swap.

    Returns the corrected bytes covering [start, start + length) and where
    ``start`` falls in them.
    """
    first = start - start % 2
    end = start + length
    end += end % 2
    chunk = bytes(view[first:end])
    if len(chunk) % 2:
        chunk += b"\x00"
    fixed = np.frombuffer(chunk, dtype="<u2").byteswap().tobytes()
    return fixed, start - first


def decode_native(
    value: Any,
    layout: PixelLayout,
    index: int | None = None,
    *,
    threads: int | None = None,
    correct_unused_bits: bool = True,
    allow_excess_frames: bool = True,
    view_only: bool = False,
) -> tuple[np.ndarray, PixelLayout]:
    """Unpack native pixel data to an array shaped as pydicom 3 returns it.

    Parameters
    ----------
    value : bytes-like
        The pixel data element's value (a memoryview into a mapped file is read
        in place).
    layout : PixelLayout
        The dataset's Image Pixel values; its transfer syntax gives the byte order.
    index : int, optional
        Decode only this frame (0-based); the others are not read.
    threads : int, optional
        Threads for large copies (default: every CPU).
    correct_unused_bits : bool
        Clear (or sign-extend) the bits above Bits Stored (default True, as
        pydicom 3).
    allow_excess_frames : bool
        Return whole frames beyond (0028,0008) Number of Frames when the data
        holds them, with a warning (default True, as pydicom 3).
    view_only : bool
        Return a read-only view of the source instead of a copy when no
        conversion is needed.

    Returns
    -------
    numpy.ndarray
        ``(rows, columns[, samples])`` for one frame, else ``(frames, rows,
        columns[, samples])``; samples interleaved, native byte order.
    PixelLayout
        The layout describing the array (YBR_FULL_422 becomes YBR_FULL, the frame
        count may grow with excess frames, planar configuration is 0).

    Raises
    ------
    ValueError
        If the data is too short for the frames (or frame ``index``), naming both
        lengths, or Bits Allocated is not 1, 8, 16, 32 or 64.
    """
    view = memoryview(value).cast("B") if not isinstance(value, memoryview) else value
    if view.format != "B" or view.ndim != 1:
        view = view.cast("B")
    actual = len(view)
    frame_bits = layout.frame_bits
    if index is None:
        frames = _frame_count(layout, actual, allow_excess_frames)
        first_frame = 0
    else:
        if index < 0:
            raise ValueError(f"The frame index must not be negative, not {index}")
        if (index + 1) * frame_bits > actual * 8:
            raise ValueError(f"There is insufficient pixel data to contain {index + 1} frames")
        frames = 1
        first_frame = index
    dtype = layout.dtype
    allocated = layout.bits_allocated
    if allocated not in (1, 8, 16, 32, 64):
        raise ValueError(
            f"Native pixel data with (0028,0100) 'Bits Allocated' {allocated} is not supported"
        )
    out_layout = layout.with_values(number_of_frames=frames if index is None else layout.number_of_frames)
    shape = layout.shape(frames) if index is None else layout.frame_shape

    if allocated == 1:
        count = frames * layout.samples_per_frame
        out = np.empty(shape, dtype=np.uint8)
        _unpack.unpack_bits(view, first_frame * frame_bits, _byte_view(out), 0, count)
        return out, out_layout

    itemsize = allocated // 8
    big_endian = layout.transfer_syntax == ExplicitVRBigEndian
    swap = big_endian and itemsize > 1
    start = first_frame * frame_bits // 8
    length = frames * frame_bits // 8
    source: Any = view
    if (
        big_endian
        and itemsize == 1
        and layout.pixel_keyword == "PixelData"
        and layout.pixel_vr == "OW"
    ):
        source, start = _swapped_pairs(view, start, length)
    bits = 0
    if correct_unused_bits and layout.pixel_keyword == "PixelData":
        if layout.bits_stored < allocated:
            bits = layout.bits_stored
    signed = layout.pixel_representation == 1 and not layout.is_float
    ybr422 = layout.photometric_interpretation == "YBR_FULL_422"
    planar = layout.samples_per_pixel > 1 and layout.planar_configuration == 1 and not ybr422

    if view_only and not (swap or bits or planar or ybr422) and source is view:
        arr = np.frombuffer(view, dtype=dtype, count=length // itemsize, offset=start)
        return arr.reshape(shape), out_layout.with_values(planar_configuration=0)

    out = np.empty(shape, dtype=dtype)
    target = _byte_view(out)
    if ybr422:
        pairs = frames * layout.pixels_per_frame // 2
        _unpack.expand_ybr422(source, start, target, 0, pairs, itemsize, swap, bits, signed)
        return out, out_layout.with_values(
            photometric_interpretation="YBR_FULL", planar_configuration=0
        )
    if planar:
        _unpack.interleave_planes(
            source,
            start,
            target,
            0,
            frames,
            layout.pixels_per_frame,
            layout.samples_per_pixel,
            itemsize,
            swap,
            bits,
            signed,
        )
        return out, out_layout.with_values(planar_configuration=0)
    _parallel_copy(
        memoryview(source) if isinstance(source, bytes) else source,
        start,
        target,
        length // itemsize,
        itemsize,
        swap,
        bits,
        signed,
        threads,
    )
    return out, out_layout
