"""Writing datasets and DICOM files (PS3.5 section 7, PS3.10 section 7).

Elements that were read from a file and never changed are copied as the bytes
they were read from, whenever the output uses the same encoding; runs of such
elements go out as one copy. So a dataset read and written back unchanged gives
the same bytes, and writing costs little more than copying the file.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from typing import TYPE_CHECKING, Any, BinaryIO

from dicomcore.dataelem import (
    DataElement,
    RawDataElement,
    SequenceSource,
    convert_raw_data_element,
)
from dicomcore.dataset import Dataset, FileMetaDataset, validate_file_meta
from dicomcore.tag import raise_with_tag
from dicomcore.valuerep import BYTES_VR

if TYPE_CHECKING:
    from dicomcore.uid import UID

# PS3.5 Table 7.1-1: VRs with a 32-bit length (and two reserved bytes) in explicit VR.
_LONG_LENGTH_VRS = frozenset(
    {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}
)
_UNDEFINED_LENGTH = 0xFFFFFFFF
_ITEM = 0xFFFEE000
_ITEM_DELIMITER = 0xFFFEE00D
_SEQUENCE_DELIMITER = 0xFFFEE0DD
_PIXEL_DATA = 0x7FE00010
_WAVEFORM_OB_OW_TAGS = frozenset({0x54000110, 0x54000112, 0x5400100A, 0x54001010})
_LUT_DATA = 0x00283006
_DEFLATED = {"1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.4.95"}


# -- ambiguous VRs (PS3.5 Annex A, PS3.3 C.7.6.3 and C.11.1) -------------------

def _find_in_ancestors(ds: Dataset, tag: int) -> Any:
    """The value of ``tag`` in ``ds`` or the nearest dataset above it that has one."""
    current: Dataset | None = ds
    while current is not None:
        elem = current._lookup(tag)
        if elem is not None:
            value = elem.value if isinstance(elem, DataElement) else elem.value
            if value is not None and value != b"":
                if isinstance(value, bytes):
                    return int.from_bytes(value[:2], "little")
                return value
        current = current._parent
    return None


def correct_ambiguous_vr_element(
    elem: DataElement, ds: Dataset, is_little_endian: bool
) -> DataElement:
    """Choose the VR of an element whose dictionary VR has alternatives.

    Parameters
    ----------
    elem : DataElement
        The element; its ``VR`` is replaced in place when it is ambiguous.
    ds : Dataset
        The dataset holding it (Pixel Representation, Bits Allocated and the
        like are looked up there and in its parents).
    is_little_endian : bool
        The byte order of the element's encoded value.
    """
    vr = elem.VR
    if vr not in ("US or SS", "OB or OW", "US or SS or OW", "US or OW"):
        return elem
    tag = elem.tag
    if tag == _PIXEL_DATA:
        if elem.is_undefined_length:
            elem.VR = "OB"  # PS3.5 Annex A.4: encapsulated
        elif ds.original_encoding[0]:
            elem.VR = "OW"  # PS3.5 Annex A.1: implicit VR pixel data is OW
        else:
            bits = _find_in_ancestors(ds, 0x00280100)
            elem.VR = "OW" if bits is None or bits > 8 else "OB"
    elif vr == "US or SS":
        representation = _find_in_ancestors(ds, 0x00280103)
        if representation is None:
            representation = 0
        elem.VR = "SS" if representation == 1 else "US"
    elif tag in _WAVEFORM_OB_OW_TAGS:
        if ds.original_encoding[0]:
            elem.VR = "OW"
        else:
            bits = _find_in_ancestors(ds, 0x003A021A)  # Waveform Bits Allocated
            elem.VR = "OW" if bits is None or bits > 8 else "OB"
    elif tag == _LUT_DATA:
        descriptor = _find_in_ancestors(ds, 0x00283002)
        first = None
        if descriptor is not None:
            first = descriptor[0] if not isinstance(descriptor, int) else descriptor
        elem.VR = "US" if first == 1 else "OW"
    else:
        # Overlay Data (60xx,3000) and the remaining OB/OW or US/SS/OW elements:
        # OW is valid in every transfer syntax (PS3.5 section 8.1.2).
        elem.VR = "OW"
    return elem


def correct_ambiguous_vr(ds: Dataset, is_little_endian: bool) -> Dataset:
    """Resolve every ambiguous VR in ``ds``, descending into sequences."""
    for elem in ds:
        correct_ambiguous_vr_element(elem, ds, is_little_endian)
        if elem.VR == "SQ":
            for item in elem.value:
                correct_ambiguous_vr(item, is_little_endian)
    return ds


# -- element encoding ----------------------------------------------------------

def _header(tag: int, vr: str, length: int, implicit: bool, little: bool) -> bytes:
    """The encoded tag, VR and length of an element (PS3.5 section 7.1)."""
    order = "<" if little else ">"
    if implicit:
        return struct.pack(order + "HHL", tag >> 16, tag & 0xFFFF, length)
    if vr in _LONG_LENGTH_VRS:
        return struct.pack(order + "HH2s2xL", tag >> 16, tag & 0xFFFF, vr.encode(), length)
    return struct.pack(order + "HH2sH", tag >> 16, tag & 0xFFFF, vr.encode(), length)


def _item_header(tag: int, length: int, little: bool) -> bytes:
    return struct.pack("<HHL" if little else ">HHL", tag >> 16, tag & 0xFFFF, length)


def _encoded_value(elem: DataElement, little: bool, encodings: list[str]) -> bytes | memoryview:
    raw = elem.raw_value_if_unchanged(little)
    if raw is not None:
        return raw
    from dicomcore.values import encode_value

    value = elem.value
    if value is None:
        return b""
    if elem.VR not in BYTES_VR:
        return encode_value(elem.VR, value, little, encodings)
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
    elif isinstance(value, io.IOBase):
        # A buffered value (pydicom 3), e.g. an EncapsulatedBuffer: read from where
        # it stands, then put back there.
        start = value.tell()
        try:
            data = value.read()
        finally:
            value.seek(start)
    else:
        return encode_value(elem.VR, value, little, encodings)
    return data + b"\0" if len(data) % 2 else data


def _write_element(
    out: bytearray,
    elem: DataElement,
    ds: Dataset,
    implicit: bool,
    little: bool,
    encodings: list[str],
    ancestors: list[Dataset],
) -> None:
    if elem.VR in ("US or SS", "OB or OW", "US or SS or OW", "US or OW"):
        correct_ambiguous_vr_element(elem, ds, little)
    vr = elem.VR
    tag = elem.tag
    if vr == "SQ":
        _write_sequence(out, elem, ds, implicit, little, encodings, ancestors)
        return
    value = _encoded_value(elem, little, encodings)
    if elem.is_undefined_length and tag == _PIXEL_DATA:
        # Encapsulated pixel data: fragments then a sequence delimiter (PS3.5 A.4).
        out += _header(tag, vr, _UNDEFINED_LENGTH, implicit, little)
        out += value
        out += _item_header(_SEQUENCE_DELIMITER, 0, little)
        return
    length = len(value)
    if not implicit and vr not in _LONG_LENGTH_VRS and length > 0xFFFF:
        # Too long for a 16-bit length: PS3.5 section 6.2.2 note allows UN.
        vr = "UN"
    out += _header(tag, vr, length, implicit, little)
    out += value


def _write_sequence(
    out: bytearray,
    elem: DataElement,
    ds: Dataset,
    implicit: bool,
    little: bool,
    encodings: list[str],
    ancestors: list[Dataset],
) -> None:
    raw = elem._raw
    if (
        not elem.is_decoded
        and isinstance(raw, SequenceSource)
        and raw.implicit_vr == implicit
        and raw.little_endian == little
        and raw.end < len(memoryview(raw.buffer))
    ):
        # Never opened: copy the encoded items as they were. (A sequence that
        # reaches the end of the data may have been cut short, so it is
        # decoded and encoded again, which writes every item complete.)
        body = memoryview(raw.buffer)[raw.start:raw.end]
        _finish_sequence(out, elem, body, implicit, little)
        return
    body = bytearray()
    for item in elem.value:
        content = bytearray()
        _write_dataset_body(content, item, implicit, little, [item, *ancestors])
        if item.is_undefined_length_sequence_item:
            body += _item_header(_ITEM, _UNDEFINED_LENGTH, little)
            body += content
            body += _item_header(_ITEM_DELIMITER, 0, little)
        else:
            body += _item_header(_ITEM, len(content), little)
            body += content
    _finish_sequence(out, elem, body, implicit, little)


def _finish_sequence(out: bytearray, elem: DataElement, body: Any, implicit: bool,
                     little: bool) -> None:
    if elem.is_undefined_length:
        out += _header(elem.tag, "SQ", _UNDEFINED_LENGTH, implicit, little)
        out += body
        out += _item_header(_SEQUENCE_DELIMITER, 0, little)
    else:
        out += _header(elem.tag, "SQ", len(body), implicit, little)
        out += body


def _write_dataset_body(
    out: bytearray, ds: Dataset, implicit: bool, little: bool, ancestors: list[Dataset]
) -> None:
    """Append the encoded elements of ``ds`` (no preamble or meta) to ``out``."""
    index = ds._index
    same_encoding = (
        index is not None and index.implicit_vr == implicit and index.little_endian == little
    )
    encodings = ds._character_set
    if not same_encoding:
        ds._realize()
        for tag in sorted(ds._dict):
            try:
                _write_element(out, ds[tag], ds, implicit, little, encodings, ancestors)
            except Exception as exc:
                raise_with_tag(exc, tag)
        return
    # Untouched index entries are copied as encoded (consecutive ones in one
    # slice); the elements in _dict are encoded again, or copied if unchanged.
    buffer = memoryview(index.buffer)
    elements = ds._dict
    for step in index.write_plan(ds._index_gone, sorted(elements)):
        if step.__class__ is tuple:
            out += buffer[step[0]:step[1]]
            continue
        try:
            elem = elements.get(step)
            if elem is None:
                elem = ds._lookup(step)
            if isinstance(elem, RawDataElement):
                elem = ds[step]
            _write_element(out, elem, ds, implicit, little, encodings, ancestors)
        except Exception as exc:
            raise_with_tag(exc, step)


def _stream_encoding(
    fp: Any, dataset: Dataset | None, implicit_vr: bool | None, little_endian: bool | None
) -> tuple[bool, bool]:
    """The encoding to write with: the arguments, else ``fp``'s (a DicomIO), else the dataset's."""
    if implicit_vr is None:
        implicit_vr = getattr(fp, "is_implicit_VR", None)
    if little_endian is None:
        little_endian = getattr(fp, "is_little_endian", None)
    if implicit_vr is None:
        implicit_vr = bool(dataset is not None and dataset.is_implicit_VR)
    if little_endian is None:
        little_endian = dataset is None or dataset.is_little_endian is not False
    return bool(implicit_vr), bool(little_endian)


def write_dataset(
    fp: BinaryIO | bytearray,
    dataset: Dataset,
    parent_encoding: str | list[str] | None = None,
    *,
    implicit_vr: bool | None = None,
    little_endian: bool | None = None,
) -> int:
    """Write the encoded elements of ``dataset`` to ``fp``, as pydicom 3's; returns the byte count.

    The encoding is ``implicit_vr`` / ``little_endian`` when given, else that of
    ``fp`` (a :class:`~dicomcore.filebase.DicomIO`'s ``is_implicit_VR`` and
    ``is_little_endian``), else the one the dataset was read with.
    ``parent_encoding`` is accepted for pydicom's signature: text is encoded
    with the dataset's own Specific Character Set, else its parent's.
    """
    implicit_vr, little_endian = _stream_encoding(fp, dataset, implicit_vr, little_endian)
    out = bytearray()
    _write_dataset_body(out, dataset, implicit_vr, little_endian, [dataset])
    _emit(fp, out)
    return len(out)


def _emit(fp: BinaryIO | bytearray, out: bytearray) -> None:
    if isinstance(fp, bytearray):
        fp += out
    else:
        fp.write(out)


def write_data_element(
    fp: BinaryIO | bytearray,
    elem: DataElement | RawDataElement,
    encodings: str | list[str] | None = None,
) -> None:
    """Write one element to ``fp`` in ``fp``'s encoding, as pydicom 3's.

    ``fp`` is a :class:`~dicomcore.filebase.DicomIO` (its ``is_implicit_VR`` and
    ``is_little_endian``; explicit VR little endian otherwise); ``encodings`` are
    the character sets for text values (default ISO 646).
    """
    implicit_vr, little_endian = _stream_encoding(fp, None, None, None)
    if isinstance(encodings, str):
        encodings = [encodings]
    encodings = list(encodings or ["iso8859"])
    if isinstance(elem, RawDataElement):
        elem = convert_raw_data_element(elem, encoding=encodings)
    out = bytearray()
    _write_element(out, elem, Dataset(), implicit_vr, little_endian, encodings, [])
    _emit(fp, out)


def encode_dataset(dataset: Dataset, implicit_vr: bool, little_endian: bool) -> bytes:
    """The encoded elements of ``dataset`` as bytes."""
    out = bytearray()
    _write_dataset_body(out, dataset, implicit_vr, little_endian, [dataset])
    return bytes(out)


# -- file meta information (PS3.10 section 7.1) ---------------------------------

def encode_file_meta(file_meta: FileMetaDataset, enforce_standard: bool = True) -> bytes:
    """The encoded File Meta Information: always explicit VR little endian.

    With ``enforce_standard``, (0002,0000) File Meta Information Group Length is
    added if absent; when present it is set to the length of what follows it.
    """
    validate_file_meta(file_meta, enforce_standard)
    rest = Dataset()
    for tag in file_meta.keys():
        if tag != 0x00020000:
            rest._dict[int(tag)] = file_meta._dict[tag]
    object.__setattr__(rest, "_charset", ["iso8859"])
    body = encode_dataset(rest, False, True)
    if not enforce_standard and 0x00020000 not in file_meta:
        return body
    file_meta.FileMetaInformationGroupLength = len(body)
    return _header(0x00020000, "UL", 4, False, True) + struct.pack("<L", len(body)) + body


def write_file_meta_info(fp: BinaryIO, file_meta: FileMetaDataset, enforce_standard: bool = True) -> None:
    """Write the File Meta Information to ``fp``."""
    fp.write(encode_file_meta(file_meta, enforce_standard))


# -- whole files -----------------------------------------------------------------

def _determine_encoding(
    ds: Dataset,
    transfer_syntax: UID | None,
    implicit_vr: bool | None,
    little_endian: bool | None,
    force_encoding: bool,
) -> tuple[bool, bool]:
    """The encoding to write with: transfer syntax, then arguments, then the dataset's."""
    arguments = (implicit_vr, little_endian)
    if force_encoding:
        if None in arguments:
            raise ValueError(
                "'implicit_vr' and 'little_endian' are required if 'force_encoding' is used"
            )
        return implicit_vr, little_endian  # type: ignore[return-value]
    if implicit_vr is not None and little_endian is None:
        arguments = (implicit_vr, True)
    fallback: tuple[Any, Any] = (None, None)
    if None not in arguments:
        fallback = arguments
    elif None not in (ds.is_implicit_VR, ds.is_little_endian):
        fallback = (ds.is_implicit_VR, ds.is_little_endian)
    elif None not in ds.original_encoding:
        fallback = ds.original_encoding
    if transfer_syntax is None:
        if None not in fallback:
            return fallback
        raise ValueError(
            "Unable to determine the encoding to use for writing the dataset, please set the "
            "file meta's Transfer Syntax UID or use the 'implicit_vr' and 'little_endian' "
            "arguments"
        )
    if transfer_syntax.is_private and not transfer_syntax.is_transfer_syntax:
        if None in fallback:
            raise ValueError(
                "The 'implicit_vr' and 'little_endian' arguments are required when using a "
                "private transfer syntax"
            )
        return fallback
    if not transfer_syntax.is_transfer_syntax:
        raise ValueError(
            f"The Transfer Syntax UID '{transfer_syntax}' is not a valid transfer syntax"
        )
    if implicit_vr is not None and implicit_vr != transfer_syntax.is_implicit_VR:
        raise ValueError(
            "The 'implicit_vr' value is not consistent with the required VR encoding for the "
            f"'{transfer_syntax.name}' transfer syntax"
        )
    if little_endian is not None and little_endian != transfer_syntax.is_little_endian:
        raise ValueError(
            "The 'little_endian' value is not consistent with the required endianness for "
            f"the '{transfer_syntax.name}' transfer syntax"
        )
    return bool(transfer_syntax.is_implicit_VR), bool(transfer_syntax.is_little_endian)


def encode_file(
    dataset: Dataset,
    *,
    implicit_vr: bool | None = None,
    little_endian: bool | None = None,
    enforce_file_format: bool = False,
    force_encoding: bool = False,
) -> bytes:
    """The bytes :func:`dcmwrite` would write."""
    return bytes(
        _encode_file(
            dataset,
            implicit_vr=implicit_vr,
            little_endian=little_endian,
            enforce_file_format=enforce_file_format,
            force_encoding=force_encoding,
        )
    )


def _encode_file(
    dataset: Dataset,
    *,
    implicit_vr: bool | None,
    little_endian: bool | None,
    enforce_file_format: bool,
    force_encoding: bool,
) -> bytearray:
    """:func:`encode_file` without the final copy: the file is built in one bytearray."""
    import copy

    from dicomcore.uid import UID, ExplicitVRBigEndian, ImplicitVRLittleEndian

    if force_encoding and enforce_file_format:
        raise ValueError("'force_encoding' cannot be used with 'enforce_file_format'")
    original_meta = getattr(dataset, "file_meta", None)
    file_meta = FileMetaDataset()
    if original_meta is not None:
        original_meta._realize()
        for tag, elem in original_meta._dict.items():
            file_meta._dict[int(tag)] = copy.copy(elem)
    ts_value = file_meta.get("TransferSyntaxUID", None)
    if ts_value and not isinstance(ts_value, str):
        raise ValueError(f"(0002,0010) Transfer Syntax UID is not a UID: {ts_value!r}")
    transfer_syntax = UID(ts_value) if ts_value else None
    implicit, little = _determine_encoding(
        dataset, transfer_syntax, implicit_vr, little_endian, force_encoding
    )
    if not force_encoding and (implicit, little) == (True, False):
        raise ValueError("Implicit VR and big endian is not a valid encoding combination")
    preamble = getattr(dataset, "preamble", None)
    if preamble and len(preamble) != 128:
        raise ValueError(f"'{type(dataset).__name__}.preamble' must be 128-bytes long")
    if enforce_file_format:
        if transfer_syntax is None:
            if (implicit, little) == (True, True):
                file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
            elif (implicit, little) == (False, False):
                file_meta.TransferSyntaxUID = ExplicitVRBigEndian
            ts_value = file_meta.get("TransferSyntaxUID", None)
            transfer_syntax = UID(ts_value) if ts_value else None
        sop_class = dataset.get("SOPClassUID", None)
        meta_class = file_meta.get("MediaStorageSOPClassUID", None)
        if meta_class is None or (sop_class and sop_class != meta_class):
            file_meta.MediaStorageSOPClassUID = sop_class
        sop_instance = dataset.get("SOPInstanceUID", None)
        meta_instance = file_meta.get("MediaStorageSOPInstanceUID", None)
        if meta_instance is None or (sop_instance and sop_instance != meta_instance):
            file_meta.MediaStorageSOPInstanceUID = sop_instance
        if not preamble:
            preamble = b"\0" * 128
    if transfer_syntax is not None and not transfer_syntax.is_private and transfer_syntax.is_transfer_syntax:
        pixel = dataset._lookup(_PIXEL_DATA)
        if isinstance(pixel, DataElement):
            pixel.is_undefined_length = bool(transfer_syntax.is_compressed)
    out = bytearray()
    if preamble:
        out += preamble
        out += b"DICM"
    if file_meta._dict or file_meta._index is not None:
        out += encode_file_meta(file_meta, enforce_file_format)
    if transfer_syntax is None or str(transfer_syntax) not in _DEFLATED:
        _write_dataset_body(out, dataset, implicit, little, [dataset])
        return out
    body = bytearray()
    _write_dataset_body(body, dataset, implicit, little, [dataset])
    compressor = zlib.compressobj(zlib.Z_BEST_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS)
    out += compressor.compress(body)
    out += compressor.flush()
    if len(out) % 2:
        out += b"\0"
    return out


def dcmwrite(
    filename: str | os.PathLike[str] | BinaryIO,
    dataset: Dataset,
    /,
    __write_like_original: bool | None = None,
    *,
    implicit_vr: bool | None = None,
    little_endian: bool | None = None,
    enforce_file_format: bool = False,
    force_encoding: bool = False,
    overwrite: bool = True,
    **kwargs: Any,
) -> None:
    """Write ``dataset`` to ``filename``, as pydicom 3's ``dcmwrite``.

    Parameters
    ----------
    filename : path or writeable binary file object
    dataset : Dataset
    implicit_vr, little_endian : bool, optional
        The encoding; by default the Transfer Syntax UID's, else the one the
        dataset was read with.
    enforce_file_format : bool
        Write the DICOM File Format (PS3.10 section 7.1): a preamble, ``DICM``
        and complete File Meta Information, raising ValueError if that cannot
        be done. If False, the dataset is written as it is: the preamble and
        ``DICM`` only if it has a preamble, the File Meta only if present.
    force_encoding : bool
        Use ``implicit_vr`` and ``little_endian`` even if the transfer syntax disagrees.
    overwrite : bool
        If False, raise FileExistsError rather than replacing an existing file.
    """
    if __write_like_original is not None:
        enforce_file_format = not __write_like_original
    if "write_like_original" in kwargs:
        enforce_file_format = not kwargs.pop("write_like_original")
    if kwargs:
        raise TypeError(f"dcmwrite() got unexpected arguments: {', '.join(kwargs)}")
    data = _encode_file(
        dataset,
        implicit_vr=implicit_vr,
        little_endian=little_endian,
        enforce_file_format=enforce_file_format,
        force_encoding=force_encoding,
    )
    if isinstance(filename, (str, os.PathLike)):
        with open(filename, "wb" if overwrite else "xb") as f:
            f.write(data)
    else:
        filename.write(data)

