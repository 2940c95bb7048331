"""Small pixel helpers with pydicom 3's names (``pydicom.pixels.utils``).

Bit packing (PS3.5 Section 8.1.1), the Image Pixel values of a dataset
(PS3.3 C.7.6.3) as options, dtypes and shapes, the expected length of native
pixel data, YBR_FULL_422 upsampling and the JPEG 2000 sample precision. The
decoding and encoding entry points are re-exported so that code written for
``pydicom.pixels.utils`` imports them from here unchanged.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from dicomcore.pixels import _unpack
from dicomcore.pixels.decode import iter_pixels, pixel_array
from dicomcore.pixels.encode import compress, decompress, set_pixel_data
from dicomcore.pixels.layout import (
    _TAG_OF_OPTION,
    IMAGE_PIXEL_KEYWORDS,
    PIXEL_KEYWORDS,
    PixelLayout,
    _as_int,
    _name,
    declared_transfer_syntax,
    element,
)
from dicomcore.uid import UID

if TYPE_CHECKING:
    from dicomcore.dataset import Dataset

__all__ = [
    "as_pixel_options",
    "compress",
    "decompress",
    "expand_ybr422",
    "get_expected_length",
    "get_image_pixel_ids",
    "get_j2k_parameters",
    "get_nr_frames",
    "iter_pixels",
    "pack_bits",
    "pixel_array",
    "pixel_dtype",
    "reshape_pixel_array",
    "set_pixel_data",
    "unpack_bits",
]

_NUMBER_OF_FRAMES = 0x00280008
#: Transfer syntaxes whose decoded colour data is always by pixel (0) or by plane
#: (1), whatever (0028,0006) says (PS3.5 8.2.1, 8.2.3, 8.2.4 and G.2).
_PLANAR_OF_SYNTAX = {
    "1.2.840.10008.1.2.4.50": 0,
    "1.2.840.10008.1.2.4.57": 0,
    "1.2.840.10008.1.2.4.70": 0,
    "1.2.840.10008.1.2.4.80": 0,
    "1.2.840.10008.1.2.4.81": 0,
    "1.2.840.10008.1.2.4.90": 0,
    "1.2.840.10008.1.2.4.91": 0,
    "1.2.840.10008.1.2.5": 1,
}
#: The header of the JP2 signature box (ISO/IEC 15444-1 I.5.1): length 12, type "jP  ".
_JP2_SIGNATURE_BOX = b"\x00\x00\x00\x0cjP  "
#: SOC then SIZ markers opening a codestream (ISO/IEC 15444-1 A.4.1, A.5.1).
_SOC_SIZ = b"\xff\x4f\xff\x51"
#: Offset of Ssiz of component 0: SOC, SIZ, Lsiz, Rsiz, 8 x 32-bit sizes, Csiz.
_SSIZ0 = 4 + 2 + 2 + 8 * 4 + 2


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


# -- Image Pixel values ------------------------------------------------------------------


def _value(ds: Dataset, option: str) -> Any:
    """The value of the Image Pixel element for ``option`` (None when absent)."""
    found = element(ds, _TAG_OF_OPTION[option][0])
    return None if found is None else found.value


def _required_ints(ds: Dataset, purpose: str, *options: str) -> list[int]:
    """The integer values of required Image Pixel elements (PS3.3 C.7.6.3, Type 1).

    Raises
    ------
    AttributeError
        Naming every one of them that is missing or empty.
    """
    values = [_as_int(_value(ds, option), option) for option in options]
    missing = [_name(option) for option, value in zip(options, values) if value is None]
    if missing:
        raise AttributeError(
            f"Unable to {purpose} as the dataset has no (or an empty) {', '.join(missing)} "
            "element, required by the Image Pixel module (PS3.3 C.7.6.3)"
        )
    return values  # type: ignore[return-value]


def _photometric(ds: Dataset, purpose: str) -> str:
    value = _value(ds, "photometric_interpretation")
    if not value:
        raise AttributeError(
            f"Unable to {purpose} as the dataset has no (or an empty) "
            f"{_name('photometric_interpretation')} element (PS3.3 C.7.6.3)"
        )
    return str(value).strip()


def _transfer_syntax(ds: Dataset, purpose: str, known: bool = False) -> UID:
    """The dataset's (0002,0010) Transfer Syntax UID (a known one if ``known``)."""
    uid = declared_transfer_syntax(ds)
    if uid is None:
        raise AttributeError(
            f"Unable to {purpose} as the dataset's 'file_meta' has no (0002,0010) "
            "'Transfer Syntax UID' element"
        )
    if known and not uid.is_transfer_syntax:
        raise AttributeError(
            f"Unable to {purpose} as the (0002,0010) 'Transfer Syntax UID' value "
            f"'{uid}' is not a known transfer syntax (PS3.6 Table A-1)"
        )
    return uid


def as_pixel_options(ds: Dataset, **kwargs: Any) -> dict[str, Any]:
    """Return the dataset's Image Pixel module values as pixel options.

    Parameters
    ----------
    ds : Dataset
        A dataset with Image Pixel module elements (PS3.3 C.7.6.3).
    **kwargs
        Values to use instead of the dataset's, by option name (e.g.
        ``rows=64``); any other keyword is added to the result as given.

    Returns
    -------
    dict[str, Any]
        For each of (0028,0002), (0028,0004), (0028,0006), (0028,0008),
        (0028,0010), (0028,0011), (0028,0100), (0028,0101) and (0028,0103)
        present in ``ds``, its value under ``samples_per_pixel``,
        ``photometric_interpretation``, ``planar_configuration``,
        ``number_of_frames``, ``rows``, ``columns``, ``bits_allocated``,
        ``bits_stored`` or ``pixel_representation``, then ``kwargs``.
        ``number_of_frames`` is always there: 1 when (0028,0008) Number of
        Frames is absent, and 1 with a warning when it is empty or 0 (PS3.3
        C.7.6.6 needs a value greater than 0).
    """
    options: dict[str, Any] = {}
    for tag, _keyword, option in IMAGE_PIXEL_KEYWORDS:
        found = element(ds, tag)
        if found is not None:
            options[option] = found.value
    frames = options.get("number_of_frames")
    if isinstance(frames, str):
        frames = int(frames) if frames.strip() else None
    if not frames:
        if "number_of_frames" in options:
            warnings.warn(
                f"A value of '{frames}' for {_name('number_of_frames')} is invalid, "
                "assuming 1 frame",
                UserWarning,
                stacklevel=2,
            )
        frames = 1
    options["number_of_frames"] = frames
    options.update(kwargs)
    return options


def get_nr_frames(ds: Dataset, warn: bool = True) -> int:
    """Return (0028,0008) Number of Frames, or 1 when it is absent, empty or 0.

    Parameters
    ----------
    ds : Dataset
        The dataset with the pixel data.
    warn : bool
        Warn (default True) when the element is present with an empty or 0
        value, which PS3.3 C.7.6.6 does not allow.

    Returns
    -------
    int
        The number of frames; other values, negative ones included, are
        returned as they are (a value that is not an integer string as read).
    """
    found = element(ds, _NUMBER_OF_FRAMES)
    if found is None:
        return 1
    value = found.value
    if not value:
        if warn:
            warnings.warn(
                f"A value of {value!r} for {_name('number_of_frames')} is non-conformant "
                "(PS3.3 C.7.6.6 needs 1 or more), assuming 1 frame; the value should be "
                "changed to 1",
                UserWarning,
                stacklevel=2,
            )
        return 1
    try:
        return int(value)
    except (TypeError, ValueError):
        return value  # not an IS (e.g. "1A"): returned as read, as pydicom 3 does


def _frames(ds: Dataset, purpose: str) -> int:
    """:func:`get_nr_frames`, which must be an integer here."""
    frames = get_nr_frames(ds)
    if not isinstance(frames, int):
        raise ValueError(
            f"Unable to {purpose} as the {_name('number_of_frames')} value {frames!r} is "
            "not an integer string (PS3.5 6.2, IS)"
        )
    return frames


def get_image_pixel_ids(ds: Dataset) -> dict[str, int]:
    """Return the :func:`id` of the value of each element that affects the pixels.

    Comparing two results tells whether any of the Image Pixel elements
    (PS3.3 C.7.6.3), Number of Frames or the pixel data itself (Pixel Data,
    Float Pixel Data, Double Float Pixel Data; PS3.3 C.7.6.24) was replaced.

    Parameters
    ----------
    ds : Dataset
        The dataset with the pixel data.

    Returns
    -------
    dict[str, int]
        Keyword to ``id(value)``; an absent element gives ``id(None)``.
    """
    keywords = [keyword for _tag, keyword, _option in IMAGE_PIXEL_KEYWORDS]
    keywords += [PIXEL_KEYWORDS[tag] for tag in (0x7FE00008, 0x7FE00009, 0x7FE00010)]
    return {keyword: id(ds.get(keyword)) for keyword in keywords}


def get_expected_length(ds: Dataset, unit: str = "bytes") -> int:
    """Return the expected length of native pixel data, in bytes or samples.

    Needs (0028,0002) Samples per Pixel, (0028,0004) Photometric
    Interpretation, (0028,0010) Rows, (0028,0011) Columns and (0028,0100) Bits
    Allocated; (0028,0008) Number of Frames is 1 when absent. Bit-packed data
    (Bits Allocated 1) fills whole bytes only at the end of the data (PS3.5
    8.1.1), and YBR_FULL_422 stores two samples a pixel (PS3.3 C.7.6.3.1.2).

    Parameters
    ----------
    ds : Dataset
        The dataset with the Image Pixel module.
    unit : str
        ``"pixels"`` for the number of samples (rows x columns x samples per
        pixel x frames, before any subsampling); anything else, like the
        default ``"bytes"``, for whole bytes without the trailing padding byte
        of odd length data (PS3.5 8.1.1). Other values are taken as bytes, as
        pydicom 3 does.

    Raises
    ------
    AttributeError
        If a required element is missing ((0028,0004) Photometric
        Interpretation is needed for bytes only).
    ValueError
        If Number of Frames is not an integer.
    """
    purpose = "compute the expected pixel data length"
    rows, columns, samples, allocated = _required_ints(
        ds, purpose, "rows", "columns", "samples_per_pixel", "bits_allocated"
    )
    frames = _frames(ds, purpose)
    if unit == "pixels":
        return rows * columns * samples * frames
    # Only the values the length depends on; nothing here is checked or decoded.
    layout = PixelLayout(
        rows=rows,
        columns=columns,
        samples_per_pixel=samples,
        bits_allocated=allocated,
        bits_stored=allocated,
        pixel_representation=0,
        photometric_interpretation=_photometric(ds, purpose),
        number_of_frames=frames,
    )
    return layout.expected_length()


def pixel_dtype(ds: Dataset, as_float: bool = False) -> np.dtype:
    """Return the NumPy dtype that holds one native sample of ``ds``'s pixel data.

    Integers for the Image Pixel module (PS3.3 C.7.6.3), floats for the
    Floating Point and Double Floating Point Image Pixel modules (PS3.3
    C.7.6.24); the byte order is the transfer syntax's (PS3.5 Section 10).

    Parameters
    ----------
    ds : Dataset
        The dataset with (0028,0100) Bits Allocated, (0028,0103) Pixel
        Representation (unless ``as_float``) and, in its ``file_meta``,
        (0002,0010) Transfer Syntax UID.
    as_float : bool
        Return ``float<Bits Allocated>`` instead of ``uint``/``int`` (default False).

    Returns
    -------
    numpy.dtype
        ``uint8`` for bit-packed data (Bits Allocated 1), otherwise the dtype
        of exactly Bits Allocated bits.

    Raises
    ------
    AttributeError
        If the transfer syntax is missing or unknown, or a required element is missing.
    ValueError
        If Pixel Representation is not 0 or 1, or Bits Allocated is neither 1
        nor a multiple of 8 (PS3.5 8.1.1).
    NotImplementedError
        If NumPy has no dtype of that size (24, 40, 48 and 56 bits; 8-bit floats).
    """
    purpose = "determine the data type of the pixel data"
    little = _transfer_syntax(ds, purpose, known=True).is_little_endian
    if as_float:
        (allocated,) = _required_ints(ds, purpose, "bits_allocated")
        kind = "float"
    else:
        (representation,) = _required_ints(ds, purpose, "pixel_representation")
        if representation not in (0, 1):
            raise ValueError(
                f"Unable to {purpose} as a {_name('pixel_representation')} value of "
                f"'{representation}' is invalid, it must be 0 or 1 (PS3.3 C.7.6.3)"
            )
        (allocated,) = _required_ints(ds, purpose, "bits_allocated")
        kind = "int" if representation else "uint"
    if allocated == 1:
        return np.dtype(np.uint8)
    if allocated <= 0 or allocated % 8:
        raise ValueError(
            f"Unable to {purpose} as a {_name('bits_allocated')} value of '{allocated}' is "
            "invalid, it must be 1 or a multiple of 8 (PS3.5 8.1.1)"
        )
    name = f"{kind}{allocated}"
    try:
        dtype = np.dtype(name)
    except TypeError:
        raise NotImplementedError(
            f"The data type '{name}' needed to contain the pixel data is not supported by NumPy"
        ) from None
    return dtype.newbyteorder("<" if little else ">")


def reshape_pixel_array(ds: Dataset, arr: np.ndarray) -> np.ndarray:
    """Return the 1D array of decoded samples ``arr`` with the dataset's shape.

    Planar Configuration 1 (colour by plane, PS3.3 C.7.6.3.1.3) gives a view
    with the samples on the last axis. Some transfer syntaxes fix it whatever
    (0028,0006) says: 0 for the JPEG, JPEG-LS and JPEG 2000 ones listed in
    pydicom 3 (their decoders interleave the components), 1 for RLE Lossless
    (one segment a sample, PS3.5 G.2).

    Parameters
    ----------
    ds : Dataset
        The dataset with (0028,0010) Rows, (0028,0011) Columns, (0028,0002)
        Samples per Pixel, (0028,0008) Number of Frames (1 when absent) and,
        for more than one sample, (0028,0006) Planar Configuration and the
        ``file_meta`` (0002,0010) Transfer Syntax UID.
    arr : numpy.ndarray
        The samples of every frame, in the order they were decoded.

    Returns
    -------
    numpy.ndarray
        Of shape (rows, columns), (rows, columns, samples), (frames, rows,
        columns) or (frames, rows, columns, samples) (PS3.3 C.7.6.3.1).

    Raises
    ------
    AttributeError
        If a required element or the transfer syntax is missing.
    ValueError
        If Number of Frames is not an integer, Samples per Pixel is less than 1,
        Planar Configuration not 0 or 1, or ``arr`` has not that many values.
    """
    purpose = "reshape the pixel array"
    frames = _frames(ds, purpose)
    rows, columns, samples = _required_ints(ds, purpose, "rows", "columns", "samples_per_pixel")
    if samples < 1:
        raise ValueError(
            f"Unable to {purpose} as a {_name('samples_per_pixel')} value of '{samples}' is "
            "invalid, it must be 1 or more (PS3.3 C.7.6.3.1.1)"
        )
    planar = 0
    if samples > 1:
        uid = _transfer_syntax(ds, purpose)
        planar = _PLANAR_OF_SYNTAX.get(str(uid))
        if planar is None:
            (planar,) = _required_ints(ds, purpose, "planar_configuration")
        if planar not in (0, 1):
            raise ValueError(
                f"Unable to {purpose} as a {_name('planar_configuration')} value of "
                f"'{planar}' is invalid, it must be 0 or 1 (PS3.3 C.7.6.3.1.3)"
            )
    if samples == 1:
        shape: tuple[int, ...] = (frames, rows, columns)
    elif planar == 0:
        shape = (frames, rows, columns, samples)
    else:
        shape = (frames, samples, rows, columns)
    out = arr.reshape(shape)
    if planar == 1:
        out = out.transpose(0, 2, 3, 1)
    return out[0] if frames == 1 else out


# -- YBR_FULL_422 ------------------------------------------------------------------------


def expand_ybr422(src: bytes | bytearray | memoryview, bits_allocated: int) -> bytes:
    """Return native YBR_FULL_422 data upsampled to YBR_FULL.

    Native YBR_FULL_422 stores two Y samples then one Cb and one Cr for each
    pair of pixels on a row (PS3.3 C.7.6.3.1.2); each pixel here gets its own
    copy of the pair's Cb and Cr, so the result is 1.5 times as long.

    Parameters
    ----------
    src : bytes-like
        The YBR_FULL_422 samples (``Y1 Y2 Cb Cr`` groups), in the data's byte order.
    bits_allocated : int
        (0028,0100) Bits Allocated: 8 or 16.

    Raises
    ------
    ValueError
        If ``bits_allocated`` is not 8 or 16, or ``src`` does not hold whole
        ``Y1 Y2 Cb Cr`` groups.
    """
    if bits_allocated not in (8, 16):
        raise ValueError(
            f"Unable to expand YBR_FULL_422 data with a (0028,0100) 'Bits Allocated' value "
            f"of {bits_allocated}, it must be 8 or 16"
        )
    itemsize = bits_allocated // 8
    view = memoryview(src).cast("B")
    if len(view) % (4 * itemsize):
        raise ValueError(
            f"Unable to expand YBR_FULL_422 data of {len(view)} bytes, it must hold whole "
            f"groups of 4 {bits_allocated}-bit samples (Y1 Y2 Cb Cr)"
        )
    pairs = len(view) // (4 * itemsize)
    out = bytearray(pairs * 6 * itemsize)
    _unpack.expand_ybr422(view, 0, out, 0, pairs, itemsize)
    return bytes(out)


# -- JPEG 2000 ---------------------------------------------------------------------------


def _jp2_codestream(data: memoryview) -> memoryview | None:
    """The contents of a JP2 file's Contiguous Codestream box (ISO/IEC 15444-1 I.5.4)."""
    offset = 0
    while offset + 8 <= len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        box_type = bytes(data[offset + 4 : offset + 8])
        header = 8
        if length == 1:  # the length is in the 64-bit XLBox (I.4)
            if offset + 16 > len(data):
                return None
            length = int.from_bytes(data[offset + 8 : offset + 16], "big")
            header = 16
        elif length == 0:  # the box runs to the end of the file
            length = len(data) - offset
        if length < header:
            return None
        if box_type == b"jp2c":
            return data[offset + header : offset + length]
        offset += length
    return None


def get_j2k_parameters(codestream: bytes | bytearray | memoryview) -> dict[str, Any]:
    """Return the precision and signedness of a JPEG 2000 codestream's first component.

    Reads only the SIZ marker segment (ISO/IEC 15444-1 A.5.1) that follows SOC
    at the start of the codestream: precision is ``(Ssiz & 0x7F) + 1`` and the
    component is signed when ``Ssiz & 0x80``. A JP2 file (which PS3.5 A.4.4
    does not allow, but some writers use), recognised by the header of its
    signature box as pydicom 3 does, is read through its codestream box.

    Parameters
    ----------
    codestream : bytes-like
        One JPEG 2000 frame.

    Returns
    -------
    dict
        ``{"jp2": bool, "precision": int, "is_signed": bool}``, with ``jp2``
        True for a JP2 file; an empty dict if the data is neither a codestream
        starting with SOC and SIZ nor a JP2 file with one.
    """
    data = memoryview(codestream).cast("B")
    jp2 = bytes(data[: len(_JP2_SIGNATURE_BOX)]) == _JP2_SIGNATURE_BOX
    if jp2:
        found = _jp2_codestream(data)
        if found is None:
            return {}
        data = found
    if len(data) <= _SSIZ0 or bytes(data[:4]) != _SOC_SIZ:
        return {}
    ssiz = data[_SSIZ0]
    return {"jp2": jp2, "precision": (ssiz & 0x7F) + 1, "is_signed": bool(ssiz & 0x80)}
