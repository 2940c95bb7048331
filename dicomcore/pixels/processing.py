"""Pixel value transformations with pydicom 3's names (``pydicom.pixels.processing``).

The grayscale pipeline of PS3.3 C.11 (modality LUT or rescale, VOI LUT or
windowing, presentation LUT), palette colour lookup (C.7.6.3.1.5 and the
segmented tables of C.7.9.2), and YCbCr / RGB conversion (C.7.6.3.1.2).
Every function takes the array and the dataset that describes it.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from dicomcore.dataset import Dataset

__all__ = [
    "apply_color_lut",
    "apply_modality_lut",
    "apply_presentation_lut",
    "apply_rescale",
    "apply_voi",
    "apply_voi_lut",
    "apply_windowing",
    "convert_color_space",
]

# PS3.3 C.7.6.3.1.2: YCbCr (full range, ITU-T T.871) <-> RGB. Single precision
# products, as pydicom 3 computes them, so results match it value for value.
_YBR_TO_RGB = np.asarray(
    [
        [1.000, 1.000, 1.000],
        [0.000, -0.114 * 1.772 / 0.587, 1.772],
        [1.402, -0.299 * 1.402 / 0.587, 0.000],
    ],
    dtype=np.float32,
)
_RGB_TO_YBR = np.asarray(
    [
        [+0.299, -0.299 / 1.772, +0.701 / 1.402],
        [+0.587, -0.587 / 1.772, -0.587 / 1.402],
        [+0.114, +0.886 / 1.772, -0.114 / 1.402],
    ],
    dtype=np.float32,
)
# Segmented LUT expansion stops at this many entries (a LUT has at most 65536)
# and this depth of indirect segments: damaged tables cannot loop or explode.
_MAX_LUT_ENTRIES = 1 << 17
_MAX_INDIRECTION = 8


def _ybr_to_rgb(arr: np.ndarray, in_place: bool) -> np.ndarray:
    if arr.flags.c_contiguous and arr.dtype == np.uint8:
        from dicomcore.pixels import _unpack

        out = arr if in_place and arr.flags.writeable else np.empty_like(arr)
        flat_in = memoryview(arr.reshape(-1))
        _unpack.ybr_full_to_rgb_u8(flat_in, memoryview(out.reshape(-1)))
        return out
    values = arr.astype(np.float32)
    values -= [0, 128, 128]
    np.matmul(values, _YBR_TO_RGB, out=values)
    values += 0.5
    np.floor(values, out=values)
    np.clip(values, 0, 255, out=values)
    return values.astype(arr.dtype)


def _rgb_to_ybr(arr: np.ndarray) -> np.ndarray:
    values = np.matmul(arr, _RGB_TO_YBR, dtype=np.float32)
    values += [0.5, 128.5, 128.5]
    np.floor(values, out=values)
    np.clip(values, 0, 255, out=values)
    return values.astype(arr.dtype)


def convert_color_space(
    arr: np.ndarray,
    current: str,
    desired: str,
    per_frame: bool = False,
    *,
    in_place: bool = False,
) -> np.ndarray:
    """Convert 8-bit colour samples between YBR_FULL(_422) and RGB.

    Parameters
    ----------
    arr : numpy.ndarray
        uint8 samples with the colour last: ``(..., 3)``.
    current, desired : str
        "RGB", "YBR_FULL" or "YBR_FULL_422" (422 data must already be
        upsampled, so it converts as YBR_FULL).
    per_frame : bool
        Accepted for pydicom compatibility; every frame is converted either way.
    in_place : bool
        Write the result into ``arr`` when it is writeable (YBR to RGB only).

    Returns
    -------
    numpy.ndarray
        The converted samples, uint8 (PS3.3 C.7.6.3.1.2, ITU-T T.871 equations,
        rounded to nearest and clipped to 0 - 255).

    Raises
    ------
    ValueError
        For an array that is not uint8.
    NotImplementedError
        For other colour spaces.
    """
    if arr.dtype != np.dtype("u1"):
        raise ValueError(
            f"Invalid ndarray.dtype '{arr.dtype}' for color space conversion, must be "
            "'uint8' or an equivalent"
        )
    ybr = ("YBR_FULL", "YBR_FULL_422")
    if current in ybr and desired in ybr or current == desired == "RGB":
        return arr
    if current in ybr and desired == "RGB":
        return _ybr_to_rgb(arr, in_place)
    if current == "RGB" and desired in ybr:
        return _rgb_to_ybr(arr)
    raise NotImplementedError(f"Conversion from {current} to {desired} is not supported.")


# -- lookup tables ----------------------------------------------------------------------


def _little_endian(ds: Dataset) -> bool:
    meta = ds.__dict__.get("file_meta")
    if meta is not None and meta.get("TransferSyntaxUID"):
        from dicomcore.uid import UID

        return bool(UID(str(meta.TransferSyntaxUID)).is_little_endian)
    read_little = ds.__dict__.get("_read_little")
    if read_little is None:
        return True
    return bool(read_little)


def _lut_words(item: Dataset, ds: Dataset, count: int, dtype: str) -> np.ndarray:
    """LUT Data (US or OW, PS3.3 C.11.1.1) as an array of ``count`` entries."""
    elem = item["LUTData"]
    if elem.VR == "OW" or isinstance(elem.value, (bytes, bytearray, memoryview)):
        order = "<" if _little_endian(ds) else ">"
        data = bytes(elem.value)
        if len(data) < 2 * count:
            raise ValueError(
                f"(0028,3006) 'LUT Data' has {len(data) // 2} entries, the LUT Descriptor "
                f"says {count}"
            )
        words = np.frombuffer(data, dtype=f"{order}u2", count=count)
    else:
        value = elem.value
        words = np.asarray(value if isinstance(value, (list, tuple)) or hasattr(value, "__len__") else [value])
    return words.astype(dtype)


def _descriptor(item: Dataset, keyword: str = "LUTDescriptor") -> tuple[int, int, int]:
    values = list(item[keyword].value)
    if len(values) != 3:
        raise ValueError(f"'{keyword}' must have 3 values, not {values!r}")
    entries, first, depth = (int(v) for v in values)
    return entries or 1 << 16, first, depth


def _lookup(arr: np.ndarray, lut: np.ndarray, first_map: int, entries: int) -> np.ndarray:
    """Map input values through ``lut``: below ``first_map`` to entry 0, above to the last."""
    index = arr.astype(np.int64) - first_map if arr.dtype.kind in "iub" else (
        np.asarray(arr, dtype=np.float64) - first_map
    ).astype(np.int64)
    np.clip(index, 0, min(entries, len(lut)) - 1, out=index)
    return lut[index]


def apply_modality_lut(arr: np.ndarray, ds: Dataset) -> np.ndarray:
    """Apply the Modality LUT or the rescale operation (PS3.3 C.11.1).

    Parameters
    ----------
    arr : numpy.ndarray
        Stored pixel values.
    ds : Dataset
        With a (0028,3000) Modality LUT Sequence, or (0028,1053) Rescale Slope and
        (0028,1052) Rescale Intercept.

    Returns
    -------
    numpy.ndarray
        LUT output (unsigned, of the LUT's bit depth), rescaled float64 values, or
        ``arr`` unchanged when the dataset has neither.
    """
    sequence = ds.get("ModalityLUTSequence")
    if sequence:
        item = sequence[0]
        entries, first, depth = _descriptor(item)
        lut = _lut_words(item, ds, entries, f"uint{8 if depth <= 8 else 16}")
        return _lookup(arr, lut, first, entries)
    if "RescaleSlope" in ds and "RescaleIntercept" in ds:
        out = arr.astype(np.float64) * float(ds.RescaleSlope)
        out += float(ds.RescaleIntercept)
        return out
    return arr


apply_rescale = apply_modality_lut


def apply_voi(arr: np.ndarray, ds: Dataset, index: int = 0) -> np.ndarray:
    """Apply item ``index`` of the (0028,3010) VOI LUT Sequence (PS3.3 C.11.2.1.1).

    Returns ``arr`` unchanged when there is no VOI LUT Sequence.
    """
    sequence = ds.get("VOILUTSequence")
    if not sequence:
        return arr
    item = sequence[index]
    entries, first, depth = _descriptor(item)
    if depth == 8:
        dtype = "uint8"
    elif 10 <= depth <= 16:
        dtype = "uint16"
    else:
        raise NotImplementedError(f"'{depth}' bits per LUT entry is not supported")
    lut = _lut_words(item, ds, entries, dtype)
    return _lookup(arr, lut, first, entries)


def _multi(ds: Dataset, keyword: str, index: int) -> float:
    value = ds[keyword].value
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return float(value[index])
    return float(value)


def apply_windowing(arr: np.ndarray, ds: Dataset, index: int = 0) -> np.ndarray:
    """Apply a window (PS3.3 C.11.2.1.2 LINEAR, C.11.2.1.3 LINEAR_EXACT and SIGMOID).

    Parameters
    ----------
    arr : numpy.ndarray
        Values after the modality LUT / rescale.
    ds : Dataset
        With (0028,1050) Window Center, (0028,1051) Window Width and optionally
        (0028,1056) VOI LUT Function; ``index`` picks one of several windows.

    Returns
    -------
    numpy.ndarray
        float64 values over the output range (the stored range, rescaled when the
        dataset has a rescale, or the modality LUT's range).
    """
    if "WindowWidth" not in ds and "WindowCenter" not in ds:
        return arr
    if ds.PhotometricInterpretation not in ("MONOCHROME1", "MONOCHROME2"):
        raise ValueError(
            "When performing a windowing operation only 'MONOCHROME1' and 'MONOCHROME2' "
            "are allowed for (0028,0004) Photometric Interpretation"
        )
    function = str(ds.get("VOILUTFunction", "LINEAR") or "LINEAR").strip().upper()
    center = _multi(ds, "WindowCenter", index)
    width = _multi(ds, "WindowWidth", index)
    bits_stored = int(ds.BitsStored)
    sequence = ds.get("ModalityLUTSequence")
    if sequence:
        y_min, y_max = 0.0, float(2 ** _descriptor(sequence[0])[2] - 1)
    elif int(ds.PixelRepresentation) == 0:
        y_min, y_max = 0.0, float(2**bits_stored - 1)
    else:
        y_min, y_max = float(-(2 ** (bits_stored - 1))), float(2 ** (bits_stored - 1) - 1)
    slope, intercept = ds.get("RescaleSlope"), ds.get("RescaleIntercept")
    if slope is not None and intercept is not None:
        y_min = y_min * float(slope) + float(intercept)
        y_max = y_max * float(slope) + float(intercept)
    y_range = y_max - y_min
    values = arr.astype(np.float64)
    if function in ("LINEAR", "LINEAR_EXACT"):
        if function == "LINEAR":
            if width < 1:
                raise ValueError(
                    "The (0028,1051) Window Width must be greater than or equal to 1 for "
                    "a 'LINEAR' windowing operation"
                )
            center -= 0.5
            width -= 1
        elif width <= 0:
            raise ValueError(
                "The (0028,1051) Window Width must be greater than 0 for a 'LINEAR_EXACT' "
                "windowing operation"
            )
        below = values <= center - width / 2
        above = values > center + width / 2
        between = ~(below | above)
        if width:
            values[between] = ((values[between] - center) / width + 0.5) * y_range + y_min
        values[below] = y_min
        values[above] = y_max
        return values
    if function == "SIGMOID":
        if width <= 0:
            raise ValueError(
                "The (0028,1051) Window Width must be greater than 0 for a 'SIGMOID' "
                "windowing operation"
            )
        return y_range / (1 + np.exp(-4 * (values - center) / width)) + y_min
    raise ValueError(f"Unsupported (0028,1056) VOI LUT Function value '{function}'")


def apply_voi_lut(
    arr: np.ndarray, ds: Dataset, index: int = 0, prefer_lut: bool = True
) -> np.ndarray:
    """Apply the VOI LUT or the window, whichever the dataset has (PS3.3 C.11.2).

    With both, ``prefer_lut`` (default True) chooses the VOI LUT Sequence.
    """
    sequence = ds.get("VOILUTSequence")
    has_lut = bool(sequence) and all(
        sequence[0].get(k) is not None for k in ("LUTDescriptor", "LUTData")
    )
    has_window = ds.get("WindowCenter") is not None and ds.get("WindowWidth") is not None
    if has_lut and (prefer_lut or not has_window):
        return apply_voi(arr, ds, index)
    if has_window:
        return apply_windowing(arr, ds, index)
    return arr


def apply_presentation_lut(arr: np.ndarray, ds: Dataset) -> np.ndarray:
    """Apply the Presentation LUT Sequence or Shape (PS3.3 C.11.4, C.11.6).

    A (2050,0010) Presentation LUT Sequence maps the input range, linearly
    quantised to the LUT's entries, to P-values; (2050,0020) Presentation LUT
    Shape INVERSE inverts the range and IDENTITY leaves it.
    """
    sequence = ds.get("PresentationLUTSequence")
    if sequence:
        item = sequence[0]
        entries, _first, depth = _descriptor(item)
        itemsize = 8 if depth <= 8 else 16
        elem = item["LUTData"]
        if elem.VR == "US" and not isinstance(elem.value, (bytes, bytearray)):
            value = elem.value
            lut = np.asarray(value if hasattr(value, "__len__") else [value], dtype="u2")
        else:
            lut = np.frombuffer(bytes(elem.value)[: entries * itemsize // 8], f"uint{itemsize}")
            lut = lut.copy()
        shift = itemsize - depth
        if shift > 0:
            lut = (lut << shift).astype(lut.dtype) >> shift
        values = arr.astype(np.float32)
        values -= values.min()
        top = values.max()
        if top:
            values /= top / (entries - 1)
        return lut[values.astype(np.uint16)]
    shape = ds.get("PresentationLUTShape")
    if shape is not None:
        transform = str(shape).strip().upper()
        if transform not in ("IDENTITY", "INVERSE"):
            raise NotImplementedError(
                f"A (2050,0020) 'Presentation LUT Shape' value of '{shape}' is not supported"
            )
        if transform == "INVERSE":
            return arr.max() - arr
    return arr


# -- palette colour ---------------------------------------------------------------------


def _expand_segments(
    words: Sequence[int], previous: int | None = None, limit: int | None = None, depth: int = 0
) -> list[int]:
    """Expand a segmented palette LUT (PS3.3 C.7.9.2) to its entries.

    Discrete segments list values, linear segments interpolate from the last value,
    indirect segments replay earlier segments (offset in words, least significant
    word first).
    """
    if depth > _MAX_INDIRECTION:
        raise ValueError("Segmented palette LUT: indirect segments nested too deeply")
    lut: list[int] = []
    position = 0
    segments = 0
    while position + 1 < len(words):
        if limit is not None and segments >= limit:
            break
        opcode, length = words[position], words[position + 1]
        position += 2
        if opcode == 0:
            if position + length > len(words):
                raise ValueError(
                    f"Segmented palette LUT: a discrete segment at word {position - 2} needs "
                    f"{length} values, {len(words) - position} remain"
                )
            lut.extend(words[position : position + length])
            position += length
        elif opcode == 1:
            start = lut[-1] if lut else previous
            if start is None:
                raise ValueError(
                    "Error expanding a segmented palette color lookup table: the first "
                    "segment cannot be a linear segment"
                )
            if position >= len(words):
                raise ValueError("Segmented palette LUT: a linear segment has no end value")
            end = words[position]
            position += 1
            if start == end or length == 0:
                lut.extend([end] * length)
            else:
                step = (end - start) / length
                lut.extend(int(v) for v in np.around(np.linspace(start + step, end, length)))
        elif opcode == 2:
            if not lut:
                raise ValueError(
                    "Error expanding a segmented palette color lookup table: the first "
                    "segment cannot be an indirect segment"
                )
            if position + 1 >= len(words):
                raise ValueError("Segmented palette LUT: an indirect segment has no offset")
            offset = words[position] | (words[position + 1] << 16)
            position += 2
            if offset >= len(words):
                raise ValueError(
                    f"Segmented palette LUT: indirect segment offset {offset} is past the end"
                )
            lut.extend(_expand_segments(words[offset:], lut[-1], length, depth + 1))
        else:
            raise ValueError(
                f"Error expanding a segmented palette lookup table: unknown segment type "
                f"'{opcode}'"
            )
        segments += 1
        if len(lut) > _MAX_LUT_ENTRIES:
            raise ValueError("Segmented palette LUT expands to more than 65536 entries")
    return lut


def apply_color_lut(
    arr: np.ndarray, ds: Dataset | None = None, palette: str | None = None
) -> np.ndarray:
    """Map PALETTE COLOR indices to RGB(A) through the Palette Color LUTs (PS3.3 C.7.6.3.1.5).

    Parameters
    ----------
    arr : numpy.ndarray
        Palette indices, ``(rows, columns)`` or ``(frames, rows, columns)``.
    ds : Dataset
        With the Red/Green/Blue Palette Color Lookup Table Descriptors (0028,1101-
        1103) and their Data (0028,1201-1203) or Segmented Data (0028,1221-1223);
        Alpha (0028,1104 / 1204 / 1224) when present.
    palette : str, optional
        A well-known palette (PS3.6 Annex B) by name or UID; not shipped with
        dicomcore, so a ValueError says so.

    Returns
    -------
    numpy.ndarray
        ``arr.shape + (3,)`` (or 4 with alpha) of uint8 or uint16, the LUT's depth.
    """
    if palette is not None:
        raise ValueError(
            f"Well-known palette '{palette}' is not shipped with dicomcore: pass a dataset "
            "with the palette's Palette Color Lookup Table Module instead"
        )
    if ds is None:
        raise ValueError("Either 'ds' or 'palette' is required")
    if str(ds.get("PixelPresentation", "") or "") in ("MIXED", "COLOR"):
        raise ValueError(
            "Use of this function with the Supplemental Palette Color Lookup Table Module "
            "is not currently supported"
        )
    if "RedPaletteColorLookupTableDescriptor" not in ds:
        raise ValueError("No suitable Palette Color Lookup Table Module found")
    entries, first, nominal = _descriptor(ds, "RedPaletteColorLookupTableDescriptor")
    colours = ("Red", "Green", "Blue", "Alpha")
    luts: list[np.ndarray] = []
    if "RedPaletteColorLookupTableData" in ds:
        for colour in colours:
            data = ds.get(f"{colour}PaletteColorLookupTableData")
            if data is None:
                if colour == "Alpha":
                    continue
                raise ValueError(f"(0028,12xx) '{colour}PaletteColorLookupTableData' is missing")
            data = bytes(data)
            depth = len(data) * 8 / entries
            if depth not in (8, 16):
                raise ValueError(
                    f"The bit depth of the LUT data '{depth:.1f}' is invalid (only 8 or 16 "
                    "bits per entry allowed)"
                )
            order = "<" if _little_endian(ds) else ">"
            luts.append(np.frombuffer(data, dtype=f"{order}u{int(depth) // 8}").astype(f"u{int(depth) // 8}"))
    elif "SegmentedRedPaletteColorLookupTableData" in ds:
        if nominal not in (8, 16):
            raise ValueError(
                f"The bit depth of the LUT data '{float(nominal):.1f}' is invalid (only 8 or "
                "16 bits per entry allowed)"
            )
        order = "<" if _little_endian(ds) else ">"
        size = nominal // 8
        for colour in colours:
            data = ds.get(f"Segmented{colour}PaletteColorLookupTableData")
            if data is None:
                if colour == "Alpha":
                    continue
                raise ValueError(
                    f"'Segmented{colour}PaletteColorLookupTableData' is missing"
                )
            data = bytes(data)
            fmt = f"{order}{len(data) // size}{'B' if size == 1 else 'H'}"
            words = struct.unpack(fmt, data[: len(data) // size * size])
            luts.append(np.asarray(_expand_segments(words), dtype=f"u{size}"))
    else:
        raise ValueError("No suitable Palette Color Lookup Table Module found")
    if any(len(lut) != len(luts[0]) for lut in luts[1:]):
        raise ValueError("LUT data must be the same length")
    dtype = luts[0].dtype
    index = np.asarray(arr).astype(np.int64) - first
    np.clip(index, 0, min(entries, len(luts[0])) - 1, out=index)
    out = np.empty((*np.shape(arr), len(luts)), dtype=dtype)
    for channel, lut in enumerate(luts):
        out[..., channel] = lut[index]
    return out

