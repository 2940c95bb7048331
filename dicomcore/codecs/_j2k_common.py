"""What the JPEG 2000 (OpenJPEG) and HTJ2K (OpenJPH) codec modules share.

The exception and warning classes live here, not in the extension modules, so
that they exist (and can be caught) even when a native library was missing at
build time. The frame-batch helpers run one native call per frame on a pool of
threads; the native calls release the GIL, so the threads really run in
parallel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from dicomcore._workers import run_all, thread_count

JPEG2000_LOSSLESS = "1.2.840.10008.1.2.4.90"
JPEG2000 = "1.2.840.10008.1.2.4.91"
HTJ2K_LOSSLESS = "1.2.840.10008.1.2.4.201"
HTJ2K_LOSSLESS_RPCL = "1.2.840.10008.1.2.4.202"
HTJ2K = "1.2.840.10008.1.2.4.203"

#: The largest number of samples (rows x columns x components) a frame may have
#: when nothing but the codestream's own header gives its size: the header is
#: untrusted input, and OpenJPEG / OpenJPH allocate 4 bytes per sample.
MAX_UNCHECKED_SAMPLES = 1 << 28


class JPEG2000Error(ValueError):
    """A JPEG 2000 or HTJ2K codestream could not be decoded or an image encoded.

    The message carries the codec library's own words and, for batch calls,
    the index of the frame ("frame N").
    """


class JPEG2000Warning(UserWarning):
    """A warning the codec library gave while decoding or encoding."""


def sample_dtype(bits_allocated: int, pixel_representation: int) -> np.dtype:
    """The NumPy dtype that holds one sample of ``bits_allocated`` bits.

    Parameters
    ----------
    bits_allocated : int
        (0028,0100) Bits Allocated: 8, 16, 32 or 64 (PS3.5 Section 8.1.1;
        1-bit data is never JPEG 2000 compressed).
    pixel_representation : int
        (0028,0103) Pixel Representation: 0 unsigned, 1 two's complement.
    """
    if bits_allocated not in (8, 16, 32, 64):
        raise ValueError(
            f"Bits Allocated must be 8, 16, 32 or 64 for JPEG 2000 data, not {bits_allocated}"
        )
    if pixel_representation not in (0, 1):
        raise ValueError(f"Pixel Representation must be 0 or 1, not {pixel_representation}")
    kind = "i" if pixel_representation else "u"
    return np.dtype(f"<{kind}{bits_allocated // 8}")


def container_bits(precision: int) -> int:
    """The smallest of 8, 16, 32 bits that holds ``precision`` bits.

    pydicom 3 sizes its output from the codestream's precision the same way.
    """
    if precision <= 8:
        return 8
    if precision <= 16:
        return 16
    return 32


class FrameLayout(NamedTuple):
    """Where a decoded frame goes: its array shape and dtype, and its origin.

    ``origin`` is the (row, column) of the output's first sample on the image
    at the decoded resolution, for decoders that decode whole images.
    """

    shape: tuple[int, ...]
    dtype: np.dtype
    origin: tuple[int, int]


def _reduced_span(low: int, high: int, reduce: int) -> tuple[int, int]:
    """[low, high) on the reference grid, on the grid at 1 / 2**reduce resolution.

    ISO/IEC 15444-1 B.5: a resolution level spans ceil(x / 2**r) at each end.
    """
    scale = 1 << reduce
    return -(-low // scale), -(-high // scale)


def frame_layout(
    header: dict[str, Any],
    *,
    rows: int | None = None,
    columns: int | None = None,
    samples_per_pixel: int | None = None,
    bits_allocated: int | None = None,
    pixel_representation: int | None = None,
    reduce: int = 0,
    region: tuple[int, int, int, int] | None = None,
) -> FrameLayout:
    """Check a codestream's header against the dataset and size the output.

    ``header`` needs ``rows``, ``columns``, ``offset``, ``components``,
    ``precision``, ``is_signed`` and ``decompositions``. The dataset's values
    (PS3.3 C.7.6.3, Image Pixel Module) must agree with the header when given;
    Bits Allocated sets the dtype (default: the smallest container of the
    codestream's precision, as pydicom 3 does).
    """
    height, width, components = header["rows"], header["columns"], header["components"]
    if rows is not None and rows != height:
        raise JPEG2000Error(f"the codestream has {height} rows but (0028,0010) Rows is {rows}")
    if columns is not None and columns != width:
        raise JPEG2000Error(
            f"the codestream has {width} columns but (0028,0011) Columns is {columns}"
        )
    if samples_per_pixel is not None and samples_per_pixel != components:
        raise JPEG2000Error(
            f"the codestream has {components} components but (0028,0002) Samples per Pixel "
            f"is {samples_per_pixel}"
        )
    if components not in (1, 2, 3, 4):
        raise JPEG2000Error(f"{components} components are not supported (1 to 4 are)")
    if (rows is None or columns is None) and height * width * components > MAX_UNCHECKED_SAMPLES:
        raise JPEG2000Error(
            f"the codestream declares {height} x {width} x {components} samples; pass rows "
            "and columns from the dataset to decode an image this large"
        )
    precision = header["precision"]
    if pixel_representation is None:
        pixel_representation = int(header["is_signed"])
    if bits_allocated is None:
        bits_allocated = container_bits(precision)
    elif precision > bits_allocated:
        raise JPEG2000Error(
            f"the codestream's precision ({precision} bits) does not fit in "
            f"(0028,0100) Bits Allocated ({bits_allocated})"
        )
    dtype = sample_dtype(bits_allocated, pixel_representation)

    decompositions = header.get("decompositions", 32)
    if reduce < 0 or reduce > decompositions:
        raise JPEG2000Error(
            f"reduce must be 0 to {decompositions} (the codestream's number of wavelet "
            f"decompositions), not {reduce}"
        )
    top, left, bottom, right = 0, 0, height, width
    if region is not None:
        top, left, bottom, right = (int(v) for v in region)
        if not (0 <= top < bottom <= height and 0 <= left < right <= width):
            raise ValueError(
                f"region (top, left, bottom, right) = {tuple(region)} is not inside the "
                f"{height} x {width} image"
            )
    origin_y, origin_x = header["offset"]
    image_top, _ = _reduced_span(origin_y, origin_y, reduce)
    image_left, _ = _reduced_span(origin_x, origin_x, reduce)
    first_row, end_row = _reduced_span(origin_y + top, origin_y + bottom, reduce)
    first_column, end_column = _reduced_span(origin_x + left, origin_x + right, reduce)
    shape: tuple[int, ...] = (end_row - first_row, end_column - first_column)
    if components > 1:
        shape += (components,)
    return FrameLayout(shape, dtype, (first_row - image_top, first_column - image_left))


def decode_batch(
    decode_one: Callable[..., np.ndarray],
    layout: Callable[..., tuple[tuple[int, ...], np.dtype]],
    frames: Sequence[Any],
    out: np.ndarray | None,
    threads: int | None,
    kwargs: dict[str, Any],
) -> np.ndarray:
    """Decode every frame of ``frames`` into one array of shape (n, ...).

    ``layout(frame, **kwargs)`` gives one frame's output shape and dtype from
    its header alone, so the output can be allocated before any frame is
    decoded and every frame, the first included, is decoded in parallel. When there
    are fewer frames than threads, the spare threads go to the codec itself
    (``threads`` keyword of ``decode_one``). A failure names the frame.
    """
    count = len(frames)
    if count == 0:
        raise ValueError("no frames to decode")
    pool_size = thread_count(threads)
    workers = thread_count(pool_size, count)
    try:
        shape, dtype = layout(frames[0], **kwargs)
    except ValueError as exc:
        raise type(exc)(f"frame 0: {exc}") from exc
    if out is None:
        out = np.empty((count, *shape), dtype=dtype)
    elif not isinstance(out, np.ndarray) or not out.flags.c_contiguous:
        raise ValueError("'out' must be a C-contiguous numpy.ndarray")
    elif out.shape != (count, *shape) or out.dtype != dtype:
        raise ValueError(
            f"'out' must have shape {(count, *shape)} and dtype {dtype}, "
            f"not {out.shape} and {out.dtype}"
        )
    codec_threads = max(1, pool_size // workers)

    def job(index: int) -> None:
        try:
            decode_one(frames[index], out=out[index], threads=codec_threads, **kwargs)
        except ValueError as exc:
            raise type(exc)(f"frame {index}: {exc}") from exc

    run_all(count, workers, job)
    return out


def encode_batch(
    encode_one: Callable[..., bytes],
    arr: np.ndarray,
    threads: int | None,
    kwargs: dict[str, Any],
) -> list[bytes]:
    """Encode each frame ``arr[i]`` of a (n, rows, columns[, samples]) array."""
    if not isinstance(arr, np.ndarray) or arr.ndim not in (3, 4):
        raise ValueError("encode_frames needs an array of shape (frames, rows, columns[, samples])")
    count = arr.shape[0]

    def job(index: int) -> bytes:
        try:
            return encode_one(arr[index], **kwargs)
        except ValueError as exc:
            raise type(exc)(f"frame {index}: {exc}") from exc

    return run_all(count, thread_count(threads, count), job)
