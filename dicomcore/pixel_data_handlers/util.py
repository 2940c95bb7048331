"""The names of pydicom 3's deprecated ``pixel_data_handlers.util``, leading to ``dicomcore.pixels``.

``from dicomcore.pixel_data_handlers.util import apply_voi_lut`` keeps old
code working; each name gives a DeprecationWarning naming its new home, as
pydicom 3 does.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from typing import Any

__all__ = ["dtype_corrected_for_endianness"]

# Old name -> the public module it lives in now.
_MOVED = {
    **dict.fromkeys(
        (
            "apply_color_lut",
            "apply_modality_lut",
            "apply_voi",
            "apply_voi_lut",
            "apply_windowing",
            "convert_color_space",
            "pack_bits",
            "unpack_bits",
        ),
        "dicomcore.pixels",
    ),
    **dict.fromkeys(
        (
            "expand_ybr422",
            "get_expected_length",
            "get_image_pixel_ids",
            "get_j2k_parameters",
            "get_nr_frames",
            "pixel_dtype",
            "reshape_pixel_array",
        ),
        "dicomcore.pixels.utils",
    ),
}


def __getattr__(name: str) -> Any:
    module = _MOVED.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"'dicomcore.pixel_data_handlers' is deprecated, as in pydicom 3: use "
        f"'from {module} import {name}'",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*__all__, *_MOVED])


def dtype_corrected_for_endianness(is_little_endian: bool | None, numpy_dtype: Any) -> Any:
    """``numpy_dtype`` in the byte order of data encoded little (or big) endian.

    Deprecated as in pydicom 3: dicomcore's arrays are always in native byte
    order.

    Raises
    ------
    ValueError
        If ``is_little_endian`` is None (the dataset's encoding is not known).
    """
    warnings.warn(
        "'dtype_corrected_for_endianness' is deprecated, as in pydicom 3",
        DeprecationWarning,
        stacklevel=2,
    )
    if is_little_endian is None:
        raise ValueError(
            "The dataset's byte order ('is_little_endian') must be known to correct the dtype"
        )
    if is_little_endian != (sys.byteorder == "little"):
        return numpy_dtype.newbyteorder("S")
    return numpy_dtype
