"""Reading DICOM files (PS3.10 section 7) and encoded datasets (PS3.5 section 7).

:func:`dcmread` maps large files into memory instead of reading them, scans the
element structure with the Cython scanner and returns a dataset whose elements
are decoded only when asked for. Nothing is copied until a value is used.
"""

from __future__ import annotations

import io
import mmap
import os
import warnings
import zlib
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from dicomcore._scan import ElementIndex, scan_dataset, scan_file_start
from dicomcore.dataelem import DataElement, RawDataElement, SequenceSource
from dicomcore.dataset import Dataset, FileDataset, FileMetaDataset
from dicomcore.errors import InvalidDicomError
from dicomcore.misc import size_in_bytes
from dicomcore.tag import BaseTag, Tag

#: Files at least this large are memory-mapped rather than read.
MMAP_THRESHOLD = 1 << 20

_PREAMBLE_LENGTH = 128
_TRANSFER_SYNTAX_UID = 0x00020010
_SPECIFIC_CHARACTER_SET = 0x00080005

# (implicit VR, little endian) for the transfer syntaxes that are not explicit
# VR little endian (PS3.5 section 10 and Annex A).
_IMPLICIT_LITTLE = "1.2.840.10008.1.2"
_EXPLICIT_BIG = "1.2.840.10008.1.2.2"
_DEFLATED = {"1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.4.95"}
_STANDARD_TS_ROOT = "1.2.840.10008.1.2."

#: The most that inflating a deflated dataset may produce, as a multiple of the
#: compressed size plus a floor: protects against decompression bombs.
MAX_INFLATE_RATIO = 1000
MAX_INFLATE_FLOOR = 64 << 20


def _load(source: Any) -> tuple[Any, str | None, Any]:
    """The bytes of ``source`` as a buffer (mapped for large files), its name, and the object."""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size >= MMAP_THRESHOLD:
                return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ), path, source
            return f.read(), path, source
    if isinstance(source, (bytes, bytearray, memoryview)):
        return source, None, source
    if hasattr(source, "read"):
        name = getattr(source, "name", None)
        if isinstance(source, io.BytesIO):
            return source.read(), None, source
        fileno = getattr(source, "fileno", None)
        if fileno is not None and isinstance(source, io.BufferedReader):
            try:
                fd = fileno()
                size = os.fstat(fd).st_size
                position = source.tell()
            except (OSError, ValueError):
                pass
            else:
                if size - position >= MMAP_THRESHOLD and position == 0:
                    return mmap.mmap(fd, 0, access=mmap.ACCESS_READ), name, source
        return source.read(), name if isinstance(name, str) else None, source
    raise TypeError(
        "dcmread() expects a path, a binary file object or a bytes-like object, "
        f"not '{type(source).__name__}'"
    )


def read_preamble(buffer: Any, force: bool) -> tuple[bytes | None, int]:
    """The 128-byte preamble and the offset after ``DICM`` (PS3.10 section 7.1).

    Raises
    ------
    InvalidDicomError
        If there is no ``DICM`` prefix and ``force`` is False.
    """
    view = memoryview(buffer)
    if len(view) >= 132 and view[128:132] == b"DICM":
        return bytes(view[:128]), 132
    if len(view) >= 4 and view[:4] == b"DICM":
        return None, 4
    if not force:
        raise InvalidDicomError(
            "File is missing DICOM File Meta Information header or the 'DICM' prefix is "
            "missing from the header. Use force=True to force reading."
        )
    return None, 0


def _read_file_meta(buffer: Any, start: int) -> tuple[FileMetaDataset, int]:
    """The File Meta Information at ``start`` and the offset after it (PS3.10 section 7.1)."""
    view = memoryview(buffer)
    if len(view) - start < 8 or view[start:start + 2] != b"\x02\x00":
        return FileMetaDataset(), start
    index = scan_dataset(buffer, start, little_endian=True, implicit_vr=False,
                         tolerant=True, group2_only=True)
    meta = FileMetaDataset._from_index(index)
    return meta, index.stopped_at


_KNOWN_ENCODINGS: dict[str | None, tuple[bool, bool]] = {
    None: (True, True),
    _IMPLICIT_LITTLE: (True, True),
    _EXPLICIT_BIG: (False, False),
    "1.2.840.10008.1.2.1": (False, True),
}


def _encoding_for(transfer_syntax: str | None) -> tuple[bool, bool]:
    """``(implicit_vr, little_endian)`` for a transfer syntax (PS3.5 section 10)."""
    known = _KNOWN_ENCODINGS.get(transfer_syntax)
    if known is not None:
        return known
    encoding = (False, True)
    try:
        from dicomcore.uid import UID

        uid = UID(transfer_syntax)
        if uid.is_transfer_syntax:
            encoding = (bool(uid.is_implicit_VR), bool(uid.is_little_endian))
    except (ValueError, AttributeError):
        pass
    # The standard's own transfer syntaxes (PS3.5 section 10) never change
    # encoding, so they are remembered; private ones may be registered later.
    if (transfer_syntax is not None and transfer_syntax.startswith(_STANDARD_TS_ROOT)
            and len(_KNOWN_ENCODINGS) < 256):
        _KNOWN_ENCODINGS[transfer_syntax] = encoding
    return encoding


_VR_NAMES = frozenset(
    b"AE AS AT CS DA DS DT FL FD IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI "
    b"UL UN UR US UT UV".split()
)


def _guess_encoding(buffer: Any, position: int) -> tuple[bool, bool]:
    """The encoding of a dataset with no Transfer Syntax UID, from its first element.

    A valid VR after the tag means explicit VR; a first group that only makes
    sense byte-swapped (group 0x0008 read little endian is 0x0800) means big
    endian, which is always explicit VR (PS3.5 Annex A.3).
    """
    head = bytes(memoryview(buffer)[position:position + 6])
    if len(head) < 6 or head[4:6] not in _VR_NAMES:
        return True, True
    group = head[0] | head[1] << 8
    return False, group < 1024


def _inflate(buffer: Any, start: int) -> bytes:
    """Inflate a deflated dataset (PS3.5 Annex A.5), bounded against decompression bombs."""
    compressed = memoryview(buffer)[start:]
    limit = max(MAX_INFLATE_FLOOR, len(compressed) * MAX_INFLATE_RATIO)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        data = inflater.decompress(compressed, limit)
    except zlib.error as exc:
        raise InvalidDicomError(f"Deflated dataset at offset {start} cannot be inflated: {exc}") from exc
    if inflater.unconsumed_tail:
        raise InvalidDicomError(
            f"Deflated dataset at offset {start} inflates to more than {limit} bytes"
        )
    return data


def warn_about_truncation(index: ElementIndex) -> None:
    """Warn about each element that the data ends inside (the partial values are kept)."""
    for tag in index.truncated():
        position = index.find(tag)
        _, _, length, start, end, _, _, _ = index.record(position)
        expected = "undefined length" if length == 0xFFFFFFFF else f"{length} bytes"
        warnings.warn(
            f"The data ends inside element ({tag >> 16:04X},{tag & 0xFFFF:04X}) at offset "
            f"{start}: its value has {end - start} of {expected}; the partial value is kept",
            UserWarning,
            stacklevel=4,
        )
    if index.cut_header_offset >= 0:
        warnings.warn(
            f"The data ends inside an element header at offset {index.cut_header_offset}; "
            "that element is missing",
            UserWarning,
            stacklevel=4,
        )


def _check_defer_size(defer_size: int | str | float | None) -> None:
    try:
        size_in_bytes(defer_size)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Unable to parse defer_size {defer_size!r}") from exc


def dcmread(
    fp: str | os.PathLike[str] | BinaryIO | bytes | bytearray | memoryview,
    defer_size: int | str | float | None = None,
    stop_before_pixels: bool = False,
    force: bool = False,
    specific_tags: list[Any] | None = None,
) -> FileDataset:
    """Read a DICOM file or encoded dataset, as pydicom's ``dcmread``.

    Parameters
    ----------
    fp : path, binary file object or bytes-like
        The source. Files of at least :data:`MMAP_THRESHOLD` bytes are
        memory-mapped: nothing is copied until a value is used.
    defer_size : int, str or float, optional
        Accepted for compatibility: every value is already read only when used.
    stop_before_pixels : bool
        Stop before (7FE0,0010) Pixel Data and the float pixel data elements.
    force : bool
        Read data without the ``DICM`` prefix (PS3.10 section 7.1) or File Meta
        Information, guessing the encoding from the first element.
    specific_tags : list, optional
        Only these tags (or keywords) are kept, plus Specific Character Set.

    Returns
    -------
    FileDataset

    Raises
    ------
    InvalidDicomError
        If the data is not DICOM and ``force`` is False.
    DicomParseError
        If the structure cannot be right; the message names the tag and offset.
    """
    _check_defer_size(defer_size)
    buffer, filename, source = _load(fp)
    preamble, position, meta_index, transfer_syntax = scan_file_start(buffer, force)
    if position < 0:
        read_preamble(buffer, force)  # raises the error naming what is missing
    file_meta = (FileMetaDataset._from_index(meta_index) if meta_index is not None
                 else FileMetaDataset())
    if transfer_syntax is None:
        implicit_vr, little_endian = _guess_encoding(buffer, position)
    else:
        implicit_vr, little_endian = _encoding_for(transfer_syntax)
    if transfer_syntax in _DEFLATED:
        buffer, position = _inflate(buffer, position), 0
    index = scan_dataset(
        buffer, position, little_endian=little_endian, implicit_vr=implicit_vr,
        tolerant=True, stop_at_pixels=stop_before_pixels,
    )
    if index.switched_vr and transfer_syntax is not None:
        found = "implicit" if index.implicit_vr else "explicit"
        expected = "explicit" if index.implicit_vr else "implicit"
        warnings.warn(
            f"Expected {expected} VR, but found {found} VR - using {found} VR for reading",
            UserWarning,
            stacklevel=2,
        )
    if index.is_cut_short:
        warn_about_truncation(index)
    if specific_tags is not None:
        result = FileDataset(
            filename if filename is not None else source,
            _only(Dataset._from_index(index), specific_tags),
        )
    else:
        result = FileDataset._from_index(index)
    if filename is not None:
        fileobj_type: Any = open
        try:
            timestamp: float | None = os.stat(filename).st_mtime
        except OSError:
            timestamp = None
    else:
        fileobj_type, timestamp = type(source), None
        filename = getattr(source, "name", None)
    result.__dict__.update(
        preamble=preamble,
        file_meta=file_meta,
        _read_implicit=implicit_vr,
        _read_little=little_endian,
        fileobj_type=fileobj_type,
        filename=filename,
        timestamp=timestamp,
        buffer=buffer,
    )
    return result


def _only(dataset: Dataset, specific_tags: list[Any]) -> Dataset:
    wanted = {int(Tag(t)) for t in specific_tags}
    wanted.add(_SPECIFIC_CHARACTER_SET)
    kept = Dataset()
    object.__setattr__(kept, "_read_implicit", dataset._read_implicit)
    object.__setattr__(kept, "_read_little", dataset._read_little)
    for tag in sorted(wanted):
        elem = dataset._lookup(tag)
        if elem is not None:
            kept._dict[int(elem.tag)] = elem
    return kept


def read_partial(
    fileobj: BinaryIO,
    stop_when: Callable[[BaseTag, str | None, int], bool] | None = None,
    defer_size: int | str | float | None = None,
    force: bool = False,
    specific_tags: list[Any] | None = None,
) -> FileDataset:
    """Read a DICOM file up to a condition, as pydicom 3's ``read_partial``.

    Parameters
    ----------
    fileobj : binary file object (or anything :func:`dcmread` reads)
        Left open.
    stop_when : callable, optional
        Called with each top-level element's tag, VR (None in implicit VR data)
        and value length, in tag order; the first element for which it returns
        True, and every element after it, are left out.
    defer_size, force, specific_tags
        As :func:`dcmread`.
    """
    dataset = dcmread(fileobj, defer_size=defer_size, force=force, specific_tags=specific_tags)
    if stop_when is not None:
        _cut_at(dataset, stop_when, bool(dataset.__dict__.get("_read_implicit")))
    return dataset


def _cut_at(
    dataset: Dataset, stop_when: Callable[[BaseTag, str | None, int], bool], implicit: bool
) -> None:
    """Delete the top-level elements from the first one ``stop_when`` is true for."""
    tags = list(dataset.keys())
    for position, tag in enumerate(tags):
        elem = dataset._dict[tag]
        raw = elem._raw if isinstance(elem, DataElement) else None
        if elem.is_undefined_length:
            length = 0xFFFFFFFF
        elif isinstance(raw, (bytes, bytearray, memoryview)):
            length = memoryview(raw).nbytes
        elif isinstance(raw, SequenceSource):
            length = raw.end - raw.start
        else:
            length = 0
        if stop_when(BaseTag(tag), None if implicit else elem.VR, length):
            for later in tags[position:]:
                del dataset[later]
            return


def read_file_meta_info(filename: str | os.PathLike[str]) -> FileMetaDataset:
    """The File Meta Information of a file, without reading the rest."""
    buffer, _, _ = _load(filename)
    _, position = read_preamble(buffer, False)
    meta, _ = _read_file_meta(buffer, position)
    meta._realize()
    return meta


def read_dataset(
    fp: BinaryIO | bytes,
    is_implicit_VR: bool,
    is_little_endian: bool,
    bytelength: int | None = None,
    stop_when: Callable[[BaseTag, str | None, int], bool] | None = None,
    defer_size: int | str | float | None = None,
    parent_encoding: str | list[str] | None = None,
    specific_tags: list[Any] | None = None,
    at_top_level: bool = True,
) -> Dataset:
    """Read an encoded dataset (no preamble or File Meta) from a file object or bytes."""
    if isinstance(fp, (bytes, bytearray, memoryview)):
        data, start = fp, 0
    else:
        data, start = fp.read() if bytelength is None else fp.read(bytelength), 0
    index = scan_dataset(data, start, little_endian=is_little_endian,
                         implicit_vr=is_implicit_VR, tolerant=at_top_level)
    charset = None
    if parent_encoding is not None:
        charset = [parent_encoding] if isinstance(parent_encoding, str) else list(parent_encoding)
    dataset = Dataset._from_index(index, inherited_charset=charset)
    if stop_when is not None:
        _cut_at(dataset, stop_when, is_implicit_VR)
    if specific_tags is not None:
        dataset = _only(dataset, specific_tags)
    return dataset


def data_element_generator(
    fp: BinaryIO | bytes,
    is_implicit_VR: bool,
    is_little_endian: bool,
    stop_when: Callable[[BaseTag, str | None, int], bool] | None = None,
    defer_size: int | str | float | None = None,
    encoding: str | list[str] | None = None,
    specific_tags: list[Any] | None = None,
) -> Iterator[RawDataElement]:
    """Yield the top-level elements of an encoded dataset as RawDataElements, in file order."""
    data = fp if isinstance(fp, (bytes, bytearray, memoryview)) else fp.read()
    index = scan_dataset(data, 0, little_endian=is_little_endian, implicit_vr=is_implicit_VR,
                         tolerant=True)
    records = sorted((index.record(i) for i in range(len(index))), key=lambda r: r[5])
    wanted = None if specific_tags is None else {Tag(t) for t in specific_tags}
    view = memoryview(data)
    for tag, vr, length, start, end, _, _, flags in records:
        if stop_when is not None and stop_when(BaseTag(tag), vr, length):
            return
        if wanted is not None and tag not in wanted:
            continue
        yield RawDataElement(
            BaseTag(tag), vr, length, bytes(view[start:end]), start,
            index.implicit_vr or bool(flags & 4), is_little_endian, True, False,
        )
