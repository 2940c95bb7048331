"""Overlay Plane data to arrays (PS3.3 C.9.2, PS3.5 Section 8.1.2).

Overlay Data (60xx,3000) is bit-packed, least significant bit first, frame after
frame with no byte alignment between frames.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from dicomcore.pixels import _unpack

if TYPE_CHECKING:
    from dicomcore.dataset import Dataset

__all__ = ["overlay_array"]


def _value(ds: Dataset, group: int, element: int) -> Any:
    elem = ds.get((group << 16) | element)
    return None if elem is None else elem.value


def overlay_array(ds: Dataset, group: int) -> np.ndarray:
    """The overlay of repeating group ``group`` (0x6000 to 0x601E, even) as an array.

    Parameters
    ----------
    ds : Dataset
        With (60xx,3000) Overlay Data, (60xx,0010) Overlay Rows, (60xx,0011)
        Overlay Columns and (60xx,0100) Overlay Bits Allocated; (60xx,0015) Number
        of Frames in Overlay defaults to 1.
    group : int
        The overlay's group number.

    Returns
    -------
    numpy.ndarray
        uint8 of 0 and 1, ``(rows, columns)`` or ``(frames, rows, columns)``.

    Raises
    ------
    ValueError
        For a group outside 0x6000 - 0x601E, or overlay data too short for the
        frames it should hold.
    AttributeError
        Naming the required elements that are missing.
    """
    if not 0x6000 <= group <= 0x60FF or group % 2:
        raise ValueError(
            "The group part of the 'Overlay Data' element tag must be an even number "
            f"between 0x6000 and 0x60FF, not {group:#06x}"
        )
    names = {
        0x3000: "OverlayData",
        0x0100: "OverlayBitsAllocated",
        0x0010: "OverlayRows",
        0x0011: "OverlayColumns",
    }
    values = {name: _value(ds, group, element) for element, name in names.items()}
    missing = [name for name, value in values.items() if value is None]
    if missing:
        raise AttributeError(
            "Unable to convert the overlay data as the following required elements are "
            f"missing from the dataset: {', '.join(missing)}"
        )
    frames = _value(ds, group, 0x0015)
    frames = 1 if frames in (None, "") else int(frames)
    rows, columns = int(values["OverlayRows"]), int(values["OverlayColumns"])
    if frames < 1:
        raise ValueError(
            f"Unable to reshape the overlay array as a value of {frames} for "
            f"({group:04X},0015) 'Number of Frames in Overlay' is invalid."
        )
    data = memoryview(values["OverlayData"]).cast("B")
    pixels = frames * rows * columns
    expected = (pixels + 7) // 8
    padded = expected + expected % 2
    if len(data) < expected:
        raise ValueError(
            f"The length of the overlay data in the dataset ({len(data)} bytes) doesn't "
            f"match the expected length ({padded} bytes). The dataset may be corrupted or "
            "there may be an issue with the overlay data handler."
        )
    if len(data) > padded:
        warnings.warn(
            f"The length of the overlay data in the dataset ({len(data)} bytes) indicates "
            f"it contains excess padding. {len(data) - expected} bytes will be removed from "
            "the end of the data",
            UserWarning,
            stacklevel=2,
        )
    out = np.empty(pixels, dtype=np.uint8)
    _unpack.unpack_bits(data, 0, memoryview(out), 0, pixels)
    if frames > 1:
        return out.reshape(frames, rows, columns)
    return out.reshape(rows, columns)
