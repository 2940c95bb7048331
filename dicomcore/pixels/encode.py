"""Changing a dataset's pixel data: ``compress``, ``decompress``, ``set_pixel_data``.

Each works in two steps: first everything new is computed (frames decoded,
encoded and encapsulated, element values made) without touching the dataset;
then the dataset is changed, and if anything fails there, every element it
had is put back. So a failure (bad parameters, a codec error, a missing
element) leaves the dataset exactly as it was, and the exception says why.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from dicomcore import encaps
from dicomcore._workers import thread_count
from dicomcore.pixels import registry
from dicomcore.pixels.decode import decode_dataset, pixel_ids
from dicomcore.pixels.layout import PixelLayout, declared_transfer_syntax, element
from dicomcore.uid import UID, ExplicitVRLittleEndian, generate_uid

if TYPE_CHECKING:
    from dicomcore.dataset import Dataset


__all__ = ["compress", "decompress", "set_pixel_data"]

_PIXEL_DATA = 0x7FE00010
_EXTENDED_OFFSET_TABLE = 0x7FE00001
_EXTENDED_OFFSET_LENGTHS = 0x7FE00002
_MAX_NATIVE_LENGTH = 0xFFFFFFFE
_MONOCHROME = ("MONOCHROME1", "MONOCHROME2", "PALETTE COLOR")


# -- all or nothing ---------------------------------------------------------------------


@contextmanager
def _all_or_nothing(ds: Dataset) -> Iterator[None]:
    """Undo every element change made to ``ds`` (and its file meta) if the block fails.

    Changes must replace elements (``ds[tag] = DataElement(...)``) or delete them,
    never change an element object in place, so that keeping the old objects is a
    complete backup.
    """
    state = ds.__dict__
    saved = {
        "_dict": dict(state["_dict"]),
        "_index_gone": None if state.get("_index_gone") is None else set(state["_index_gone"]),
        "_pixel_array": state.get("_pixel_array"),
        "_pixel_id": state.get("_pixel_id"),
    }
    had_meta = "file_meta" in state
    meta = state.get("file_meta")
    meta_saved = None
    if meta is not None:
        meta_saved = (dict(meta._dict), None if meta._index_gone is None else set(meta._index_gone))
    try:
        yield
    except BaseException:
        for name, value in saved.items():
            object.__setattr__(ds, name, value)
        if had_meta:
            object.__setattr__(ds, "file_meta", meta)
            if meta is not None and meta_saved is not None:
                object.__setattr__(meta, "_dict", meta_saved[0])
                object.__setattr__(meta, "_index_gone", meta_saved[1])
        elif "file_meta" in ds.__dict__:
            object.__delattr__(ds, "file_meta")
        raise


def _put(ds: Dataset, tag: int, vr: str, value: Any, undefined_length: bool = False) -> None:
    from dicomcore.dataelem import DataElement

    ds[tag] = DataElement(tag, vr, value, is_undefined_length=undefined_length)


def _remove(ds: Dataset, tag: int) -> None:
    if tag in ds:
        del ds[tag]


def _file_meta(ds: Dataset) -> Any:
    meta = ds.__dict__.get("file_meta")
    if meta is None:
        from dicomcore.dataset import FileMetaDataset

        meta = FileMetaDataset()
        ds.file_meta = meta
    return meta


def _new_instance_uid(ds: Dataset, meta: Any) -> None:
    uid = generate_uid()
    _put(ds, 0x00080018, "UI", uid)
    _put(meta, 0x00020003, "UI", uid)


# -- compress ---------------------------------------------------------------------------


def _check_array(arr: Any, layout: PixelLayout) -> np.ndarray:
    """``arr`` as (frames, rows, columns[, samples]) after checking it against ``layout``."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"'arr' must be a numpy.ndarray, not {type(arr).__name__}")
    frames = layout.number_of_frames
    expected = layout.shape(frames)
    if arr.shape != expected:
        raise ValueError(
            f"The shape of the array {arr.shape} doesn't match the dataset's Image Pixel "
            f"values, which need {expected} (frames, rows, columns, samples per pixel)"
        )
    if layout.bits_allocated == 1:
        if arr.dtype.kind not in "ub" or (arr.size and arr.max() > 1):
            raise ValueError("Bits Allocated 1 data must be an array of 0 and 1 values")
        arr = arr.astype(np.uint8, copy=False)
    else:
        kind = "i" if layout.pixel_representation else "u"
        if arr.dtype.kind != kind or arr.dtype.itemsize != layout.dtype.itemsize:
            raise ValueError(
                f"The array's dtype '{arr.dtype}' doesn't match the dataset's (0028,0100) "
                f"'Bits Allocated' {layout.bits_allocated} and (0028,0103) 'Pixel "
                f"Representation' {layout.pixel_representation}, which need '{layout.dtype}'"
            )
    return arr.reshape((frames, *layout.frame_shape))


def _ratio_text(ratio: float) -> str:
    """A DS value (at most 16 characters, PS3.5 Table 6.2-1)."""
    text = f"{ratio:.4f}".rstrip("0").rstrip(".")
    return text[:16]


def _append_values(ds: Dataset, keyword: str, value: str) -> str | list[str]:
    current = ds.get(keyword)
    if current is None or current == "":
        return value
    if isinstance(current, (list, tuple)) or type(current).__name__ == "MultiValue":
        return [str(v) for v in current] + [value]
    return [str(current), value]


def compress(
    ds: Dataset,
    transfer_syntax_uid: str,
    arr: np.ndarray | None = None,
    *,
    encoding_plugin: str = "",
    decoding_plugin: str = "",
    encapsulate_ext: bool = False,
    generate_instance_uid: bool = True,
    jls_error: int | None = None,
    j2k_cr: list[float] | None = None,
    j2k_psnr: list[float] | None = None,
    threads: int | None = None,
    **kwargs: Any,
) -> Dataset:
    """Compress the pixel data of ``ds`` in place, as pydicom 3's ``compress``.

    Parameters
    ----------
    ds : Dataset
        With (0028,0002) Samples per Pixel, (0028,0004) Photometric Interpretation,
        (0028,0010) Rows, (0028,0011) Columns, (0028,0100) Bits Allocated,
        (0028,0101) Bits Stored, (0028,0103) Pixel Representation, and (0028,0008)
        Number of Frames for more than one frame (PS3.3 C.7.6.3).
    transfer_syntax_uid : str
        RLE Lossless, JPEG-LS Lossless / Near-Lossless, JPEG 2000 Lossless /
        JPEG 2000, HTJ2K (Lossless, Lossless RPCL, lossy) or Deflated Image Frame
        Compression, or any a registered plugin encodes.
    arr : numpy.ndarray, optional
        Pixels to compress instead of the dataset's, shaped as ``pixel_array``
        returns them and matching the Image Pixel values.
    encoding_plugin : str, optional
        The plugin to encode with; by default the first available one.
    decoding_plugin : str, optional
        When the dataset is already compressed, the plugin that decodes it first.
    encapsulate_ext : bool
        Add an Extended Offset Table (7FE0,0001) and its lengths (7FE0,0002) with
        an empty Basic Offset Table even when a Basic Offset Table would do. It is
        added anyway when the frames are too large for 32-bit offsets (PS3.5 A.4).
    generate_instance_uid : bool
        Give the dataset a new (0008,0018) SOP Instance UID (default True).
    jls_error : int, optional
        JPEG-LS Near-Lossless: the largest absolute error allowed (NEAR).
    j2k_cr, j2k_psnr : list of float, optional
        JPEG 2000 (lossy): compression ratio or PSNR of each quality layer.
    threads : int, optional
        Frames are encoded on this many threads (default every CPU).
    **kwargs
        Plugin options, e.g. ``use_mct``, ``interleave_mode``,
        ``quantization_step`` (HTJ2K lossy), ``deflate_level``.

    Returns
    -------
    Dataset
        ``ds``, with (0002,0010) Transfer Syntax UID (file meta added if absent),
        encapsulated (7FE0,0010) Pixel Data, (0028,0006) Planar Configuration 0,
        (0028,0004) Photometric Interpretation as the codec requires (e.g. YBR_RCT
        for RGB in JPEG 2000 Lossless, PS3.5 Section 8.2.4), and for lossy coding
        (0028,2110) Lossy Image Compression "01" with the ratio (0028,2112) and
        method (0028,2114) appended (PS3.3 C.7.6.1.1.5).

    Raises
    ------
    AttributeError
        Naming every missing Image Pixel element.
    ValueError
        For parameters the codec or the data do not allow; the dataset is unchanged.
    RuntimeError
        If no plugin for the transfer syntax is available, saying what to install.
    """
    uid = UID(str(transfer_syntax_uid))
    if not uid.is_encapsulated:
        raise ValueError(
            f"'{uid.name}' ({uid}) is not a compressed transfer syntax: use decompress() "
            "for native pixel data"
        )
    plugin = registry.get_encoding_plugin(uid, encoding_plugin)
    options = dict(kwargs)
    if jls_error is not None:
        options["jls_error"] = jls_error
    if j2k_cr is not None:
        options["j2k_cr"] = j2k_cr
    if j2k_psnr is not None:
        options["j2k_psnr"] = j2k_psnr
    workers = thread_count(threads)

    if arr is None:
        layout = PixelLayout.from_dataset(ds)
        if layout.pixel_keyword != "PixelData":
            raise ValueError(f"{layout.pixel_keyword} cannot be compressed (PS3.5 Section 8.2)")
        # Exactly the frames Number of Frames announces: the dataset keeps that value.
        if layout.is_encapsulated:
            pixels, layout = decode_dataset(
                ds, decoding_plugin=decoding_plugin, threads=workers, allow_excess_frames=False
            )
        else:
            pixels, layout = decode_dataset(
                ds, raw=True, threads=workers, allow_excess_frames=False
            )
        frames_array = pixels.reshape((layout.number_of_frames, *layout.frame_shape))
    else:
        layout = PixelLayout.from_values(ds, transfer_syntax=ExplicitVRLittleEndian)
        frames_array = _check_array(arr, layout)

    result = plugin.encode(frames_array, layout, uid, options, workers)
    encoded = result.frames
    lengths = [len(memoryview(frame).cast("B")) for frame in encoded]
    extended = encapsulate_ext or encaps.needs_extended_offsets(lengths)
    if extended:
        value, table, table_lengths = encaps.encapsulate_extended(encoded)
    else:
        value, table, table_lengths = encaps.encapsulate(encoded), None, None
    ratio = None
    if result.lossy_method:
        native_bytes = layout.number_of_frames * layout.samples_per_frame * layout.bits_allocated / 8
        ratio = native_bytes / max(1, sum(lengths))

    with _all_or_nothing(ds):
        meta = _file_meta(ds)
        _put(meta, 0x00020010, "UI", uid)
        for tag in (0x7FE00008, 0x7FE00009):
            _remove(ds, tag)
        _put(ds, _PIXEL_DATA, "OB", value, undefined_length=True)
        if table is not None:
            _put(ds, _EXTENDED_OFFSET_TABLE, "OV", table)
            _put(ds, _EXTENDED_OFFSET_LENGTHS, "OV", table_lengths)
        else:
            _remove(ds, _EXTENDED_OFFSET_TABLE)
            _remove(ds, _EXTENDED_OFFSET_LENGTHS)
        if layout.samples_per_pixel > 1:
            _put(ds, 0x00280006, "US", 0)
        if result.photometric_interpretation != ds.get("PhotometricInterpretation"):
            _put(ds, 0x00280004, "CS", result.photometric_interpretation)
        if result.lossy_method and ratio is not None:
            _put(ds, 0x00282110, "CS", "01")
            _put(ds, 0x00282112, "DS", _append_values(ds, "LossyImageCompressionRatio", _ratio_text(ratio)))
            _put(ds, 0x00282114, "CS", _append_values(ds, "LossyImageCompressionMethod", result.lossy_method))
        if generate_instance_uid:
            _new_instance_uid(ds, meta)
        object.__setattr__(ds, "_pixel_array", None)
        object.__setattr__(ds, "_pixel_id", {})
    return ds


# -- decompress -------------------------------------------------------------------------


def _native_bytes(arr: np.ndarray, layout: PixelLayout) -> bytes:
    """The array as native little-endian Pixel Data bytes (bit-packed for 1 bit)."""
    if layout.bits_allocated == 1:
        from dicomcore.pixels.utils import pack_bits

        return pack_bits(arr, pad=False)
    if sys.byteorder == "big" and arr.dtype.itemsize > 1:
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    return np.ascontiguousarray(arr).tobytes()


def decompress(
    ds: Dataset,
    *,
    as_rgb: bool = True,
    generate_instance_uid: bool = True,
    decoding_plugin: str = "",
    threads: int | None = None,
    **kwargs: Any,
) -> Dataset:
    """Decompress the pixel data of ``ds`` in place to Explicit VR Little Endian.

    Parameters
    ----------
    ds : Dataset
        A dataset with encapsulated (7FE0,0010) Pixel Data and a file meta
        (0002,0010) Transfer Syntax UID.
    as_rgb : bool
        Convert YBR_FULL / YBR_FULL_422 to RGB (default True, as pydicom 3).
    generate_instance_uid : bool
        Give the dataset a new (0008,0018) SOP Instance UID (default True).
    decoding_plugin : str, optional
        The plugin to decode with; by default the first available one.
    threads : int, optional
        Frames are decoded on this many threads (default every CPU).
    **kwargs
        Decoding options, as for :func:`~dicomcore.pixels.pixel_array`.

    Returns
    -------
    Dataset
        ``ds`` with native Pixel Data (OB for 8 bits or less, else OW), the new
        transfer syntax, Photometric Interpretation and Planar Configuration of the
        decoded pixels, Number of Frames, and no Extended Offset Table. The
        decoded array stays cached as ``ds.pixel_array``.

    Raises
    ------
    AttributeError
        If there is no Pixel Data or no Transfer Syntax UID.
    ValueError
        If the data is already uncompressed or too large for native encoding.
    """
    if element(ds, _PIXEL_DATA) is None:
        raise AttributeError(
            "Unable to decompress as the dataset has no (7FE0,0010) 'Pixel Data' element"
        )
    uid = declared_transfer_syntax(ds)
    if uid is None:
        raise AttributeError(
            "Unable to determine the initial compression state as there's no (0002,0010) "
            "'Transfer Syntax UID' element in the dataset's 'file_meta' attribute"
        )
    if not uid.is_encapsulated:
        raise ValueError("The dataset is already uncompressed")
    kwargs.pop("index", None)
    arr, layout = decode_dataset(
        ds, as_rgb=as_rgb, decoding_plugin=decoding_plugin, threads=thread_count(threads), **kwargs
    )
    value = _native_bytes(arr, layout)
    if len(value) > _MAX_NATIVE_LENGTH:
        raise ValueError(
            "Unable to decompress as the length of the uncompressed pixel data will be "
            f"greater than the maximum allowed by the DICOM Standard ({len(value)} bytes)"
        )
    if len(value) % 2:
        value += b"\x00"
    frames = layout.number_of_frames

    with _all_or_nothing(ds):
        meta = _file_meta(ds)
        _put(meta, 0x00020010, "UI", ExplicitVRLittleEndian)
        _put(ds, _PIXEL_DATA, "OB" if layout.bits_allocated <= 8 else "OW", value)
        _remove(ds, _EXTENDED_OFFSET_TABLE)
        _remove(ds, _EXTENDED_OFFSET_LENGTHS)
        if layout.photometric_interpretation != ds.get("PhotometricInterpretation"):
            _put(ds, 0x00280004, "CS", layout.photometric_interpretation)
        if layout.samples_per_pixel > 1:
            _put(ds, 0x00280006, "US", 0)
        if "NumberOfFrames" in ds or frames > 1:
            _put(ds, 0x00280008, "IS", str(frames))
        if generate_instance_uid:
            _new_instance_uid(ds, meta)
        object.__setattr__(ds, "_pixel_array", arr)
        object.__setattr__(ds, "_pixel_id", pixel_ids(ds))
    return ds


# -- set_pixel_data ---------------------------------------------------------------------


def set_pixel_data(
    ds: Dataset,
    arr: np.ndarray,
    photometric_interpretation: str,
    bits_stored: int,
    *,
    generate_instance_uid: bool = True,
) -> None:
    """Replace the pixel data of ``ds`` with ``arr`` as native data, as pydicom 3's.

    Parameters
    ----------
    ds : Dataset
        The dataset to change.
    arr : numpy.ndarray
        ``(rows, columns)``, ``(rows, columns, samples)``, ``(frames, rows,
        columns)`` for monochrome or palette data, or ``(frames, rows, columns,
        samples)``; an unsigned or signed integer dtype of 8, 16, 32 or 64 bits.
    photometric_interpretation : str
        (0028,0004) of the pixels.
    bits_stored : int
        (0028,0101); every value must fit in it.
    generate_instance_uid : bool
        Give the dataset a new (0008,0018) SOP Instance UID (default True).

    Notes
    -----
    Sets Rows, Columns, Samples per Pixel, Bits Allocated, Bits Stored, High Bit,
    Pixel Representation, Photometric Interpretation, Planar Configuration (for
    colour), Number of Frames, and Pixel Data; a compressed transfer syntax becomes
    Explicit VR Little Endian (PS3.3 C.7.6.3, PS3.5 Section 8.1).
    """
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "iu":
        raise ValueError("'arr' must be a numpy.ndarray of unsigned or signed integers")
    if arr.dtype.itemsize not in (1, 2, 4, 8):
        raise ValueError(f"Unsupported dtype '{arr.dtype}'")
    monochrome = photometric_interpretation in _MONOCHROME
    if arr.ndim == 2:
        frames, (rows, columns), samples = 1, arr.shape, 1
    elif arr.ndim == 3 and monochrome:
        (frames, rows, columns), samples = arr.shape, 1
    elif arr.ndim == 3:
        frames, (rows, columns, samples) = 1, arr.shape
    elif arr.ndim == 4:
        frames, rows, columns, samples = arr.shape
    else:
        raise ValueError(f"An array of {arr.ndim} dimensions cannot be pixel data")
    if monochrome and samples != 1 or not monochrome and samples != 3:
        raise ValueError(
            f"An array of shape {arr.shape} does not hold '{photometric_interpretation}' data"
        )
    bits_allocated = arr.dtype.itemsize * 8
    if not 1 <= bits_stored <= bits_allocated:
        raise ValueError(
            f"Invalid 'bits_stored' value '{bits_stored}', must be between 1 and the "
            f"array's bits per sample ({bits_allocated})"
        )
    signed = arr.dtype.kind == "i"
    if arr.size:
        low, high = int(arr.min()), int(arr.max())
        least = -(1 << (bits_stored - 1)) if signed else 0
        most = (1 << (bits_stored - 1)) - 1 if signed else (1 << bits_stored) - 1
        if low < least or high > most:
            raise ValueError(
                f"The ndarray contains values that are outside the allowable range of "
                f"({least}, {most}) for a 'bits_stored' value of '{bits_stored}'"
            )
    if not 0 < rows <= 0xFFFF or not 0 < columns <= 0xFFFF:
        raise ValueError(f"Rows and columns must be 1 to 65535, not {rows} x {columns}")
    value = _native_bytes(arr, PixelLayout(rows, columns, samples, bits_allocated, bits_stored,
                                          int(signed), photometric_interpretation))
    if len(value) > _MAX_NATIVE_LENGTH:
        raise ValueError(f"{len(value)} bytes of pixel data exceed the 32-bit length limit")
    if len(value) % 2:
        value += b"\x00"
    uid = declared_transfer_syntax(ds)
    if uid is not None and not uid.is_little_endian:
        raise NotImplementedError(
            f"The dataset's transfer syntax '{uid.name}' is big-endian, which "
            "set_pixel_data() does not write; change it to Explicit VR Little Endian first"
        )

    with _all_or_nothing(ds):
        meta = _file_meta(ds)
        if uid is None or uid.is_encapsulated:
            _put(meta, 0x00020010, "UI", ExplicitVRLittleEndian)
        _put(ds, 0x00280002, "US", samples)
        _put(ds, 0x00280004, "CS", photometric_interpretation)
        if samples > 1:
            _put(ds, 0x00280006, "US", 0)
        else:
            _remove(ds, 0x00280006)
        if frames > 1 or "NumberOfFrames" in ds:
            _put(ds, 0x00280008, "IS", str(frames))
        _put(ds, 0x00280010, "US", rows)
        _put(ds, 0x00280011, "US", columns)
        _put(ds, 0x00280100, "US", bits_allocated)
        _put(ds, 0x00280101, "US", bits_stored)
        _put(ds, 0x00280102, "US", bits_stored - 1)
        _put(ds, 0x00280103, "US", int(signed))
        for tag in (0x7FE00008, 0x7FE00009, _EXTENDED_OFFSET_TABLE, _EXTENDED_OFFSET_LENGTHS):
            _remove(ds, tag)
        _put(ds, _PIXEL_DATA, "OB" if bits_allocated == 8 else "OW", value)
        if generate_instance_uid:
            _new_instance_uid(ds, meta)

