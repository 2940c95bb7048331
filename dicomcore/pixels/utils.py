"""Small pixel helpers with pydicom 3's names: bit packing (PS3.5 Section 8.1.1)."""

from __future__ import annotations

from typing import Any

import numpy as np

from dicomcore.pixels import _unpack

__all__ = ["pack_bits", "unpack_bits"]


def pack_bits(arr: np.ndarray, pad: bool = True) -> bytes:
    """Pack 0/1 pixels to bytes, least significant bit first (Bits Allocated 1).

    Parameters
    ----------
    arr : numpy.ndarray
        Values 0 or 1, any shape; packed in C order.
    pad : bool
        Append a null byte when the result is of odd length (default True), as
        Pixel Data needs.

    Raises
    ------
    ValueError
        If the array holds values other than 0 and 1.
    """
    flat = np.ascontiguousarray(arr).reshape(-1)
    if flat.size and (flat.min() < 0 or flat.max() > 1):
        raise ValueError("Only binary arrays (containing ones or zeroes) can be packed")
    packed = _unpack.pack_bits(flat.astype(np.uint8, copy=False))
    if pad and len(packed) % 2:
        packed += b"\x00"
    return packed


def unpack_bits(src: Any, as_array: bool = True) -> np.ndarray | bytes:
    """Unpack bit-packed bytes to one byte (0 or 1) per bit, least significant first.

    Returns a uint8 array of ``8 * len(src)`` values, or their bytes when
    ``as_array`` is False.
    """
    view = memoryview(src).cast("B")
    out = np.empty(len(view) * 8, dtype=np.uint8)
    _unpack.unpack_bits(view, 0, memoryview(out), 0, out.size)
    return out if as_array else out.tobytes()
