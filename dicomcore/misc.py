"""Small helpers with pydicom 3's names: ``is_dicom`` and ``size_in_bytes``."""

from __future__ import annotations

import math
import os
import re

from dicomcore.valuerep import warn_and_log  # pydicom 3 keeps it here

__all__ = ["is_dicom", "size_in_bytes", "warn_and_log"]

_PREAMBLE_LENGTH = 128
_SIZE_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9}
_SIZE = re.compile(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z]*)\s*")


def is_dicom(file_path: str | os.PathLike[str]) -> bool:
    """Whether the file at ``file_path`` starts as a DICOM file does.

    Only the 128-byte preamble and the ``DICM`` prefix after it are looked at
    (PS3.10 Section 7.1), so this is fast and conservative: a dataset stored
    without the File Meta Information header gives False although
    ``dcmread(..., force=True)`` may read it.

    Parameters
    ----------
    file_path : str or PathLike
        The file to look at.

    Returns
    -------
    bool
    """
    with open(file_path, "rb") as f:
        start = f.read(_PREAMBLE_LENGTH + 4)
    return start[_PREAMBLE_LENGTH:] == b"DICM"


def size_in_bytes(expr: int | float | str | None) -> int | float | None:
    """The number of bytes that a ``defer_size`` argument of ``dcmread`` stands for.

    Parameters
    ----------
    expr : int, float, str or None
        A number of bytes, or a string such as ``"512"``, ``"2 KB"`` or
        ``"1.5 mb"`` (units B, KB, MB, GB of 1000, 1000**2, 1000**3 bytes,
        any case). None and infinity mean no limit.

    Returns
    -------
    int, float or None
        None for no limit; an int for a plain number string.

    Raises
    ------
    ValueError
        If ``expr`` is a string that is not a number with one of those units.
    """
    if expr is None:
        return None
    if isinstance(expr, (int, float)):
        return None if math.isinf(expr) else expr
    match = _SIZE.fullmatch(expr)
    if match is None or match.group(2).upper() not in _SIZE_UNITS:
        raise ValueError(
            f"Unable to parse the size {expr!r}: expected a number of bytes, optionally "
            "followed by B, KB, MB or GB"
        )
    number, unit = match.group(1), match.group(2).upper()
    if not unit and re.fullmatch(r"[-+]?\d+", number):
        return int(number)
    return float(number) * _SIZE_UNITS[unit]
