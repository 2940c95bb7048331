"""Host bytes to the device: gathered into pinned memory, copied asynchronously.

Frames arrive as separate bytes-like objects (fragments of a file's pixel data,
often views into a memory map). :func:`upload` copies them side by side into
one page-locked staging buffer, on several threads (NumPy copies release the
GIL), and queues the host-to-device copy of each part as soon as that part is
gathered, so the PCIe transfer of one part overlaps the gathering of the next.
The device then holds all frames in one buffer, and kernels find frame ``i``
at ``offsets[i]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from dicomcore._workers import helpers

__all__ = ["as_bytes", "gather", "upload"]

# Parts of about this size are gathered and sent one after another.
_PART_BYTES = 16 << 20
# Below this, one thread gathers faster than a pool starts work.
_PARALLEL_BYTES = 4 << 20

def as_bytes(buffer: Any) -> np.ndarray:
    """View a bytes-like object (or C-contiguous array) as a flat uint8 array, without copying."""
    if isinstance(buffer, np.ndarray):
        if not buffer.flags.c_contiguous:
            raise ValueError("frame buffers must be C-contiguous")
        return buffer.reshape(-1).view(np.uint8)
    view = memoryview(buffer)
    if not view.c_contiguous:
        raise ValueError("frame buffers must be C-contiguous")
    return np.frombuffer(view.cast("B") if view.ndim != 1 or view.format != "B" else view, np.uint8)


def _offsets(views: Sequence[np.ndarray]) -> np.ndarray:
    offsets = np.zeros(len(views) + 1, dtype=np.int64)
    np.cumsum([v.size for v in views], out=offsets[1:])
    return offsets


def _copy_range(
    views: Sequence[np.ndarray], offsets: np.ndarray, out: np.ndarray, first: int, last: int
) -> None:
    for i in range(first, last):
        out[offsets[i] : offsets[i + 1]] = views[i]


def _parts(offsets: np.ndarray) -> list[tuple[int, int]]:
    """Split buffer indices into consecutive runs of about _PART_BYTES."""
    parts = []
    first = 0
    count = len(offsets) - 1
    while first < count:
        last = int(np.searchsorted(offsets, offsets[first] + _PART_BYTES, side="right")) - 1
        last = min(max(last, first + 1), count)
        parts.append((first, last))
        first = last
    return parts


def gather(buffers: Sequence[Any], out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Copy ``buffers`` side by side into one uint8 array.

    Parameters
    ----------
    buffers : sequence of bytes-like
        The parts, in order.
    out : numpy.ndarray, optional
        A uint8 array of at least the total length (e.g. pinned memory).

    Returns
    -------
    numpy.ndarray
        ``out`` (or a new array) cut to the total length.
    numpy.ndarray
        int64 offsets: buffer ``i`` is at ``[offsets[i], offsets[i + 1])``.
    """
    views = [as_bytes(b) for b in buffers]
    offsets = _offsets(views)
    total = int(offsets[-1])
    if out is None:
        out = np.empty(total, dtype=np.uint8)
    elif out.dtype != np.uint8 or out.ndim != 1 or out.size < total:
        raise ValueError(f"out must be a 1-D uint8 array of at least {total} bytes")
    out = out[:total]
    parts = _parts(offsets)
    if total < _PARALLEL_BYTES or len(parts) == 1:
        _copy_range(views, offsets, out, 0, len(views))
    else:
        futures = [helpers().submit(_copy_range, views, offsets, out, a, b) for a, b in parts]
        for future in futures:
            future.result()
    return out, offsets


def upload(buffers: Sequence[Any], engine: Any) -> tuple[Any, np.ndarray, np.ndarray]:
    """Send ``buffers`` to the device as one contiguous uint8 array.

    The bytes go through a pinned staging buffer; each part's asynchronous
    copy is queued on the engine's stream as soon as that part is gathered.

    Parameters
    ----------
    buffers : sequence of bytes-like
        What to send, in order.
    engine : Engine
        The device (see :mod:`dicomcore.gpu.engine`).

    Returns
    -------
    device array
        uint8, all buffers side by side.
    numpy.ndarray
        int64 offsets of each buffer in it (length ``len(buffers) + 1``).
    numpy.ndarray
        The host staging copy (valid, read-only by convention: the device copy
        may still be in flight until the engine synchronizes).
    """
    views = [as_bytes(b) for b in buffers]
    offsets = _offsets(views)
    total = int(offsets[-1])
    staging = engine.pinned_empty(total)
    with engine.activate():
        device = engine.xp.empty(max(total, 1), dtype=np.uint8)
    parts = _parts(offsets)
    if total < _PARALLEL_BYTES or len(parts) == 1:
        _copy_range(views, offsets, staging, 0, len(views))
        if total:
            engine.to_device(staging, out=device[:total])
        return device, offsets, staging
    futures = [helpers().submit(_copy_range, views, offsets, staging, a, b) for a, b in parts]
    for (first, last), future in zip(parts, futures):
        future.result()
        a, b = int(offsets[first]), int(offsets[last])
        engine.to_device(staging[a:b], out=device[a:b])
    return device, offsets, staging
