"""Encapsulated Pixel Data (PS3.5 Section A.4): items, offset tables, frames.

Compressed pixel data is a sequence of items: first the Basic Offset Table item
(possibly empty), then one or more fragments per frame, then a Sequence
Delimitation Item. Where each frame starts is known from the Basic Offset Table,
from the Extended Offset Table (7FE0,0001) and its lengths (7FE0,0002), or, when
neither is given, by walking the fragment items: one fragment per frame when the
counts agree, otherwise a JPEG family codestream's end marker (EOI, FFD9, which
JPEG 2000's EOC shares) ends each frame.

The functions take bytes-like values (read without copying) or binary file
objects positioned at the start of the value (read only where needed: fetching
one frame of a multi-gigabyte file through the Extended Offset Table reads that
frame alone). Names and behaviour follow ``pydicom.encaps`` in pydicom 3.
"""

from __future__ import annotations

import bisect
import io
import struct
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, BinaryIO

from dicomcore import _scan

__all__ = [
    "BASIC_OFFSET_LIMIT",
    "EncapsulatedBuffer",
    "encapsulate",
    "encapsulate_buffer",
    "encapsulate_extended",
    "encapsulate_extended_buffer",
    "extended_offsets",
    "fragment_frame",
    "frame_data",
    "generate_fragmented_frames",
    "generate_fragments",
    "generate_frames",
    "get_frame",
    "itemize_fragment",
    "itemize_frame",
    "needs_extended_offsets",
    "parse_basic_offsets",
    "parse_fragments",
]

_ITEM = 0xFFFEE000
_SEQUENCE_DELIMITER = 0xFFFEE0DD
_MAX_LENGTH = 0xFFFFFFFE  # the largest even 32-bit length (0xFFFFFFFF means undefined)
_EOI = b"\xff\xd9"
#: The largest offset a Basic Offset Table (32-bit values, PS3.5 A.4) can hold.
BASIC_OFFSET_LIMIT = 0xFFFFFFFF

Buffer = bytes | bytearray | memoryview
Source = Buffer | BinaryIO


# -- reading ---------------------------------------------------------------------------


class _Reader:
    """Random access to an encapsulated value: a bytes-like object or a file."""

    __slots__ = ("base", "file", "size", "view")

    def __init__(self, source: Any) -> None:
        if hasattr(source, "read") and hasattr(source, "seek"):
            self.file = source
            self.view = None
            self.base = source.tell()
            source.seek(0, 2)
            self.size = source.tell() - self.base
            source.seek(self.base)
        else:
            self.file = None
            self.view = memoryview(source).cast("B") if not isinstance(source, memoryview) else (
                source if source.format == "B" and source.ndim == 1 else source.cast("B")
            )
            self.base = 0
            self.size = len(self.view)

    def read(self, offset: int, length: int) -> Any:
        """Bytes [offset, offset + length) of the value (a view when possible)."""
        if self.view is not None:
            return self.view[offset : offset + length]
        assert self.file is not None
        position = self.file.tell()
        self.file.seek(self.base + offset)
        data = self.file.read(length)
        self.file.seek(position)
        return data


def _u32(data: Any, endianness: str) -> int:
    return struct.unpack(f"{endianness}L", data)[0]


def _item_header(reader: _Reader, offset: int, endianness: str) -> tuple[int, int] | None:
    """(tag, length) of the item header at ``offset``, or None at the end of the data."""
    if offset + 8 > reader.size:
        return None
    header = bytes(reader.read(offset, 8))
    group, element, length = struct.unpack(f"{endianness}HHL", header)
    return (group << 16) | element, length


def _bot(reader: _Reader, endianness: str) -> tuple[list[int], int]:
    """The Basic Offset Table's offsets and where the first fragment item starts."""
    header = _item_header(reader, 0, endianness)
    if header is None:
        raise ValueError(
            f"The encapsulated pixel data is {reader.size} bytes long, too short for the "
            "Basic Offset Table item (PS3.5 A.4)"
        )
    tag, length = header
    if tag != _ITEM:
        raise ValueError(
            f"Unexpected tag '({tag >> 16:04X},{tag & 0xFFFF:04X})' at offset 0 when parsing "
            "the encapsulated pixel data: the Basic Offset Table item (FFFE,E000) must come "
            "first (PS3.5 A.4)"
        )
    if length % 4:
        raise ValueError(
            f"The length of the Basic Offset Table item is {length}, not a multiple of 4"
        )
    if 8 + length > reader.size:
        raise ValueError(
            f"The Basic Offset Table item's length {length} runs past the end of the "
            f"encapsulated pixel data ({reader.size} bytes)"
        )
    table = bytes(reader.read(8, length))
    offsets = list(struct.unpack(f"{endianness}{length // 4}L", table))
    return offsets, 8 + length


def _fragments(
    reader: _Reader, start: int, endianness: str, stop: int | None = None
) -> Iterator[tuple[int, int, int]]:
    """(item offset, data offset, data length) of each fragment from ``start``.

    Stops at the Sequence Delimitation Item, at the end of the data, or at the
    first item at or after ``stop``. In-memory data is walked by the Cython
    scanner; a file is read item header by item header.
    """
    if reader.view is not None:
        found, problem, offset, tag, length = _scan.scan_fragments(
            reader.view, start, -1 if stop is None else stop, little_endian=endianness == "<"
        )
        yield from found
    else:
        problem = 0
        offset = start
        while stop is None or offset < stop:
            header = _item_header(reader, offset, endianness)
            if header is None:
                remaining = reader.size - offset
                if remaining > 0 and any(bytes(reader.read(offset, remaining))):
                    problem = _scan.FRAGMENTS_STRAY_BYTES
                break
            tag, length = header
            if tag == _SEQUENCE_DELIMITER:
                break
            problem = _fragment_problem(tag, length, offset, reader.size)
            if problem:
                break
            yield offset, offset + 8, length
            offset += 8 + length
    if problem:
        raise ValueError(_fragment_error(problem, offset, tag, length, reader.size))


def _fragment_problem(tag: int, length: int, offset: int, size: int) -> int:
    if tag != _ITEM:
        return _scan.FRAGMENTS_NOT_AN_ITEM
    if length == 0xFFFFFFFF:
        return _scan.FRAGMENTS_UNDEFINED_LENGTH
    if offset + 8 + length > size:
        return _scan.FRAGMENTS_PAST_END
    return 0


def _fragment_error(problem: int, offset: int, tag: int, length: int, size: int) -> str:
    if problem == _scan.FRAGMENTS_STRAY_BYTES:
        return (
            f"{size - offset} stray bytes at offset {offset} at the end of the "
            "encapsulated pixel data, too short for an item header"
        )
    if problem == _scan.FRAGMENTS_NOT_AN_ITEM:
        return (
            f"Unexpected tag '({tag >> 16:04X},{tag & 0xFFFF:04X})' at offset {offset} "
            "when parsing the encapsulated pixel data fragment items"
        )
    if problem == _scan.FRAGMENTS_UNDEFINED_LENGTH:
        return (
            f"Undefined item length at offset {offset} when parsing the encapsulated "
            "pixel data fragments"
        )
    return (
        f"The fragment item at offset {offset} has a length of {length} bytes, "
        f"{offset + 8 + length - size} more than the encapsulated pixel data holds"
    )


def _table_values(values: Any, name: str) -> list[int]:
    if isinstance(values, (bytes, bytearray, memoryview)):
        data = bytes(values)
        if len(data) % 8:
            raise ValueError(f"The {name} is {len(data)} bytes long, not a multiple of 8")
        return list(struct.unpack(f"<{len(data) // 8}Q", data))
    return [int(v) for v in values]


def _ends_frame(reader: _Reader, data_offset: int, length: int) -> bool:
    """Whether a fragment ends with a JPEG EOI / JPEG 2000 EOC marker (FFD9)."""
    tail = bytes(reader.read(data_offset + max(0, length - 10), min(length, 10)))
    return _EOI in tail


def _frame_spans(
    reader: _Reader,
    number_of_frames: int | None,
    extended: tuple[Any, Any] | None,
    endianness: str,
    index: int | None = None,
) -> list[list[tuple[int, int]]]:
    """The (data offset, length) of each fragment of each frame.

    With ``index`` only that frame's fragments are found, reading as little as the
    offset tables allow; the list then has one entry.
    """
    offsets, first = _bot(reader, endianness)
    if extended is not None:
        table = _table_values(extended[0], "Extended Offset Table")
        lengths = _table_values(extended[1], "Extended Offset Table Lengths")
        if len(table) != len(lengths):
            raise ValueError(
                f"The Extended Offset Table has {len(table)} offsets but the Extended Offset "
                f"Table Lengths has {len(lengths)} values"
            )
        if table:
            wanted = range(len(table)) if index is None else [index]
            if index is not None and not 0 <= index < len(table):
                raise IndexError(
                    f"There is no frame {index}: the Extended Offset Table lists "
                    f"{len(table)} frames"
                )
            spans = []
            for i in wanted:
                item = first + table[i]
                header = _item_header(reader, item, endianness)
                if header is None or header[0] != _ITEM:
                    raise ValueError(
                        f"Frame {i}: the Extended Offset Table points to offset {table[i]}, "
                        "where there is no fragment item"
                    )
                if lengths[i] > header[1] or item + 8 + lengths[i] > reader.size:
                    raise ValueError(
                        f"Frame {i}: the Extended Offset Table Lengths value {lengths[i]} is "
                        f"more than the fragment at offset {table[i]} holds"
                    )
                spans.append([(item + 8, lengths[i])])
            return spans

    if offsets:
        if offsets[0] != 0:
            raise ValueError(
                f"The Basic Offset Table's first offset is {offsets[0]}, it must be 0 "
                "(PS3.5 A.4)"
            )
        if any(b <= a for a, b in zip(offsets, offsets[1:])):
            raise ValueError("The Basic Offset Table's offsets do not increase")
        if index is not None:
            if not 0 <= index < len(offsets):
                raise IndexError(
                    f"There is no frame {index}: the Basic Offset Table lists "
                    f"{len(offsets)} frames"
                )
            stop = first + offsets[index + 1] if index + 1 < len(offsets) else None
            spans = [
                (data, length)
                for _, data, length in _fragments(reader, first + offsets[index], endianness, stop)
            ]
            if not spans:
                raise ValueError(f"Frame {index} has no fragments at the offset the table gives")
            return [spans]
        fragments = list(_fragments(reader, first, endianness))
        if [item - first for item, _, _ in fragments] == offsets:
            # One fragment a frame, each where the table says: the usual layout.
            return [[(data, length)] for _, data, length in fragments]
        frames: list[list[tuple[int, int]]] = [[] for _ in offsets]
        starts: set[int] = set()
        current = 0
        for item, data, length in fragments:
            relative = item - first
            starts.add(relative)
            while current + 1 < len(offsets) and offsets[current + 1] <= relative:
                current += 1
            frames[current].append((data, length))
        for i, offset in enumerate(offsets):
            if offset not in starts:
                raise ValueError(
                    f"The Basic Offset Table gives offset {offset} for frame {i}, where no "
                    "fragment item starts"
                )
        empty = [i for i, f in enumerate(frames) if not f]
        if empty:
            raise ValueError(
                f"The Basic Offset Table lists {len(offsets)} frames but frame {empty[0]} "
                "has no fragments"
            )
        return frames

    fragments = [(data, length) for _, data, length in _fragments(reader, first, endianness)]
    if not fragments:
        raise ValueError("The encapsulated pixel data has no fragments")
    count = len(fragments)
    if number_of_frames is None:
        number_of_frames = 0  # unknown: find the frames by their end markers
    if number_of_frames == 1:
        frames = [fragments]
    elif count == number_of_frames:
        frames = [[f] for f in fragments]
    elif number_of_frames and count < number_of_frames:
        raise ValueError(
            f"There are {count} fragments in the encapsulated pixel data but (0028,0008) "
            f"'Number of Frames' is {number_of_frames}: too few for one a frame"
        )
    else:
        frames = []
        current_frame: list[tuple[int, int]] = []
        for data, length in fragments:
            current_frame.append((data, length))
            if _ends_frame(reader, data, length):
                frames.append(current_frame)
                current_frame = []
        if current_frame:
            if number_of_frames and len(frames) >= number_of_frames:
                # Trailing fragments after the last end marker: keep them with it.
                frames[-1].extend(current_frame)
            else:
                frames.append(current_frame)
        if not number_of_frames and not any(
            _ends_frame(reader, d, n) for d, n in fragments
        ):
            frames = [[f] for f in fragments]
        if number_of_frames and len(frames) < number_of_frames:
            raise ValueError(
                f"Unable to find the frame boundaries in {count} fragments for "
                f"{number_of_frames} frames: there is no Basic or Extended Offset Table and "
                f"only {len(frames)} JPEG end of image markers"
            )
    if index is not None:
        if not 0 <= index < len(frames):
            raise IndexError(
                f"There is no frame {index}: the encapsulated pixel data has {len(frames)} "
                "frames"
            )
        return [frames[index]]
    return frames


def _join(reader: _Reader, spans: list[tuple[int, int]]) -> Any:
    if len(spans) == 1:
        data, length = spans[0]
        return reader.read(data, length)
    return b"".join(bytes(reader.read(data, length)) for data, length in spans)


def frame_data(
    value: Source,
    index: int | None = None,
    *,
    number_of_frames: int | None = None,
    extended_offsets: tuple[Any, Any] | None = None,
    endianness: str = "<",
) -> list[Any]:
    """Every frame's data (or only frame ``index``'s), as views where possible.

    A frame in one fragment is a memoryview into ``value`` (nothing is copied);
    a frame in several fragments is the joined bytes. This is what the pixel
    pipeline decodes from.
    """
    reader = _Reader(value)
    spans = _frame_spans(reader, number_of_frames, extended_offsets, endianness, index)
    return [_join(reader, frame) for frame in spans]


def parse_basic_offsets(buffer: Source, *, endianness: str = "<") -> list[int]:
    """The Basic Offset Table's offsets (PS3.5 A.4, Table A.4-1).

    Parameters
    ----------
    buffer : bytes-like or binary file
        The encapsulated value, starting with the Basic Offset Table item.
    endianness : str
        ``"<"`` little endian (default) or ``">"`` big endian.

    Returns
    -------
    list of int
        The offsets, empty for an empty table.
    """
    return _bot(_Reader(buffer), endianness)[0]


def parse_fragments(buffer: Source, *, endianness: str = "<") -> tuple[int, list[int]]:
    """Count the fragments after the Basic Offset Table and find their items.

    Parameters
    ----------
    buffer : bytes-like or binary file
        Encapsulated data starting at the first fragment's item tag.

    Returns
    -------
    tuple of (int, list of int)
        The number of fragments and the offset of each fragment's item tag.
    """
    offsets = [item for item, _, _ in _fragments(_Reader(buffer), 0, endianness)]
    return len(offsets), offsets


def generate_fragments(buffer: Source, *, endianness: str = "<") -> Iterator[bytes]:
    """Yield each fragment's data, from the first fragment's item to the end.

    Parameters
    ----------
    buffer : bytes-like or binary file
        Encapsulated data starting at the first fragment's item tag (after the
        Basic Offset Table).
    """
    reader = _Reader(buffer)
    for _, data, length in _fragments(reader, 0, endianness):
        yield bytes(reader.read(data, length))


def generate_fragmented_frames(
    buffer: Source,
    *,
    number_of_frames: int | None = None,
    extended_offsets: tuple[Any, Any] | None = None,
    endianness: str = "<",
) -> Iterator[tuple[bytes, ...]]:
    """Yield the fragments of each frame as a tuple.

    Parameters
    ----------
    buffer : bytes-like or binary file
        The whole encapsulated value, starting with the Basic Offset Table item.
    number_of_frames : int, optional
        (0028,0008); needed to tell frames apart when there is no offset table
        and the fragments are not one a frame.
    extended_offsets : (offsets, lengths), optional
        (7FE0,0001) and (7FE0,0002), as bytes (packed little-endian uint64) or lists.
    """
    reader = _Reader(buffer)
    for frame in _frame_spans(reader, number_of_frames, extended_offsets, endianness):
        yield tuple(bytes(reader.read(data, length)) for data, length in frame)


def generate_frames(
    buffer: Source,
    *,
    number_of_frames: int | None = None,
    extended_offsets: tuple[Any, Any] | None = None,
    endianness: str = "<",
) -> Iterator[bytes]:
    """Yield each frame's data (its fragments joined); arguments as
    :func:`generate_fragmented_frames`."""
    for fragments in generate_fragmented_frames(
        buffer,
        number_of_frames=number_of_frames,
        extended_offsets=extended_offsets,
        endianness=endianness,
    ):
        yield b"".join(fragments)


def get_frame(
    buffer: Source,
    index: int,
    *,
    extended_offsets: tuple[Any, Any] | None = None,
    number_of_frames: int | None = None,
    endianness: str = "<",
) -> bytes:
    """The data of frame ``index`` alone.

    With an Extended Offset Table or a Basic Offset Table only that frame is read;
    otherwise the fragment items are walked (headers only) and frame boundaries
    found as :func:`generate_fragmented_frames` does.

    Raises
    ------
    IndexError
        If there is no such frame.
    ValueError
        For damaged items or offset tables, naming the offset.
    """
    if index < 0:
        raise IndexError(f"frame index must not be negative, not {index}")
    reader = _Reader(buffer)
    spans = _frame_spans(reader, number_of_frames, extended_offsets, endianness, index)
    return bytes(_join(reader, spans[0]))


# -- writing ---------------------------------------------------------------------------


def itemize_fragment(fragment: Buffer) -> bytes:
    """One fragment as an item: (FFFE,E000), its length, its data (PS3.5 A.4).

    Raises
    ------
    ValueError
        If the fragment is of odd length (items hold even lengths) or too long.
    """
    length = len(memoryview(fragment).cast("B"))
    if length % 2:
        raise ValueError(f"A fragment must be of even length, not {length} bytes")
    if length > _MAX_LENGTH:
        raise ValueError(f"A fragment of {length} bytes exceeds the 32-bit item length")
    return struct.pack("<HHL", 0xFFFE, 0xE000, length) + bytes(fragment)


def fragment_frame(frame: Buffer, nr_fragments: int = 1) -> Iterator[bytes]:
    """Split a frame into ``nr_fragments`` even-length fragments.

    The frame is padded with one null byte when its length is odd (PS3.5 A.4:
    fragments are of even length); every fragment but the last has the same
    length.
    """
    data = bytes(frame)
    if nr_fragments < 1:
        raise ValueError(f"nr_fragments must be at least 1, not {nr_fragments}")
    if nr_fragments > (len(data) + 1) / 2:
        raise ValueError(
            f"Too many fragments requested: a frame of {len(data)} bytes can be split into "
            f"at most {max(1, (len(data) + 1) // 2)} even-length fragments"
        )
    # Equal even-length fragments, the last one taking the rest (padded to even).
    size = len(data) // nr_fragments
    size += size % 2
    last = size * (nr_fragments - 1)
    for start in range(0, last, size):
        yield data[start : start + size]
    tail = data[last:]
    yield tail + b"\x00" * (len(tail) % 2)


def itemize_frame(frame: Buffer, nr_fragments: int = 1) -> Iterator[bytes]:
    """Yield the items of a frame split into ``nr_fragments`` fragments."""
    for fragment in fragment_frame(frame, nr_fragments):
        yield itemize_fragment(fragment)


def needs_extended_offsets(frame_lengths: Sequence[int]) -> bool:
    """Whether frames of these encoded lengths are too large for a Basic Offset Table.

    The Basic Offset Table holds 32-bit offsets (PS3.5 A.4): the offset of the
    last frame's item, the item headers and padding of all earlier frames
    included, must be below 2**32.
    """
    if not frame_lengths:
        return False
    last_offset = sum(n + n % 2 + 8 for n in frame_lengths[:-1])
    return last_offset > BASIC_OFFSET_LIMIT


def extended_offsets(frame_lengths: Sequence[int]) -> tuple[list[int], list[int]]:
    """The Extended Offset Table and its lengths for single-fragment frames.

    PS3.3 C.7.6.3.1.8 (and A.4 of PS3.5): offset of each frame's item from the
    first byte of the first item after the (empty) Basic Offset Table, and the
    frame's length (padded to even). Both are 64-bit, so any size fits.
    """
    offsets, lengths = [], []
    position = 0
    for n in frame_lengths:
        padded = n + n % 2
        if padded > _MAX_LENGTH:
            raise ValueError(f"A frame of {n} bytes exceeds the 32-bit item length")
        offsets.append(position)
        lengths.append(padded)
        position += 8 + padded
    return offsets, lengths


def encapsulate(
    frames: Iterable[Buffer], fragments_per_frame: int = 1, has_bot: bool = True
) -> bytes:
    """Encapsulate encoded frames into a Pixel Data value (PS3.5 A.4).

    Parameters
    ----------
    frames : iterable of bytes-like
        One encoded frame each (padded to even length here when needed).
    fragments_per_frame : int
        Fragments to split each frame into (default 1, what most readers expect).
    has_bot : bool
        Fill in the Basic Offset Table (default True); False leaves it empty.

    Returns
    -------
    bytes
        The value, from the Basic Offset Table item to the last fragment; the
        writer adds the Sequence Delimitation Item.

    Raises
    ------
    ValueError
        If a Basic Offset Table is wanted and a frame starts 2**32 bytes or more
        from the first fragment: use :func:`encapsulate_extended` then.
    """
    items: list[Any] = []
    offsets: list[int] = []
    position = 0
    for frame in frames:
        offsets.append(position)
        if fragments_per_frame == 1:
            # The common case without copying the frame twice: header, frame, padding.
            view = memoryview(frame).cast("B")
            length = len(view)
            padded = length + length % 2
            if padded > _MAX_LENGTH:
                raise ValueError(f"A frame of {length} bytes exceeds the 32-bit item length")
            items.append(struct.pack("<HHL", 0xFFFE, 0xE000, padded))
            items.append(view)
            if length % 2:
                items.append(b"\x00")
            position += 8 + padded
            continue
        for item in itemize_frame(frame, fragments_per_frame):
            items.append(item)
            position += len(item)
    if has_bot:
        if offsets and offsets[-1] > BASIC_OFFSET_LIMIT:
            raise ValueError(
                "The encapsulated frames are too large for a Basic Offset Table (a frame "
                "starts 2**32 bytes or more after the first): use encapsulate_extended()"
            )
        table = struct.pack(f"<{len(offsets)}L", *offsets)
    else:
        table = b""
    return b"".join([struct.pack("<HHL", 0xFFFE, 0xE000, len(table)), table, *items])


class EncapsulatedBuffer(io.BufferedIOBase):
    """Encapsulated pixel data read on demand from one buffer per frame (PS3.5 A.4).

    As pydicom 3's: assign it to ``PixelData`` of a dataset in a compressed
    transfer syntax and the writer copies it; nothing is read from the
    frames' buffers until then. Each frame becomes one fragment item, padded
    to even length.

    Parameters
    ----------
    buffers : list of readable, seekable binary files
        One encoded frame each, from its current position to its end.
    use_bot : bool
        Fill in the Basic Offset Table (default: leave it empty).

    Raises
    ------
    TypeError
        If a buffer cannot be read or seeked.
    ValueError
        If a frame is too long for an item, or a Basic Offset Table is wanted and
        a frame starts 2**32 bytes or more after the first.
    """

    def __init__(self, buffers: list[BinaryIO], use_bot: bool = False) -> None:
        super().__init__()
        sizes = []
        for index, buffer in enumerate(buffers):
            if not all(getattr(buffer, name, lambda: False)() for name in ("readable", "seekable")):
                raise TypeError(f"The buffer for frame {index} must be readable and seekable")
            start = buffer.tell()
            sizes.append((buffer, start, buffer.seek(0, io.SEEK_END) - start))
            buffer.seek(start)
        frame_offsets, padded = extended_offsets([size for _, _, size in sizes])
        self._frame_offsets, self._padded = frame_offsets, padded
        if use_bot and frame_offsets and frame_offsets[-1] > BASIC_OFFSET_LIMIT:
            raise ValueError(
                "The encapsulated frames are too large for a Basic Offset Table (a frame "
                "starts 2**32 bytes or more after the first): use encapsulate_extended_buffer()"
            )
        table = struct.pack(f"<{len(frame_offsets)}L", *frame_offsets) if use_bot else b""
        self._table = struct.pack("<HHL", 0xFFFE, 0xE000, len(table)) + table
        # (start in the value, source, start in the source, length): bytes or a buffer.
        parts: list[tuple[int, Any, int, int]] = [(0, self._table, 0, len(self._table))]
        position = len(self._table)
        for (buffer, start, size), length in zip(sizes, padded):
            header = struct.pack("<HHL", 0xFFFE, 0xE000, length)
            parts.append((position, header, 0, 8))
            parts.append((position + 8, buffer, start, size))
            if length > size:
                parts.append((position + 8 + size, b"\x00", 0, 1))
            position += 8 + length
        self._parts = parts
        self._starts = [start for start, _, _, _ in parts]
        self._length = position
        self._position = 0

    @property
    def encapsulated_length(self) -> int:
        """The length of the whole value, Basic Offset Table item included."""
        return self._length

    @property
    def lengths(self) -> list[int]:
        """Each frame's item length, its 8-byte header included."""
        return [8 + length for length in self._padded]

    @property
    def offsets(self) -> list[int]:
        """Each frame's item offset from the first frame's item."""
        return list(self._frame_offsets)

    @property
    def basic_offset_table(self) -> bytes:
        """The Basic Offset Table item, header included."""
        return self._table

    @property
    def extended_offsets(self) -> bytes:
        """The (7FE0,0001) Extended Offset Table value: packed little-endian uint64."""
        return struct.pack(f"<{len(self._frame_offsets)}Q", *self._frame_offsets)

    @property
    def extended_lengths(self) -> bytes:
        """The (7FE0,0002) Extended Offset Table Lengths value: packed little-endian uint64."""
        return struct.pack(f"<{len(self._padded)}Q", *self._padded)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._length}
        if whence not in base:
            raise ValueError(f"Invalid whence value {whence}")
        position = base[whence] + offset
        if position < 0:
            raise ValueError(f"Negative seek position {position}")
        self._position = position
        return position

    def read(self, size: int | None = -1) -> bytes:
        end = self._length if size is None or size < 0 else min(self._length, self._position + size)
        chunks = []
        part = max(0, bisect.bisect_right(self._starts, self._position) - 1)
        while self._position < end:
            start, source, source_start, length = self._parts[part]
            inner = self._position - start
            count = min(length - inner, end - self._position)
            if isinstance(source, bytes):
                chunk = source[inner : inner + count]
            else:
                source.seek(source_start + inner)
                chunk = source.read(count)
                if len(chunk) != count:
                    raise ValueError(
                        f"A frame's buffer ended {count - len(chunk)} bytes early at offset "
                        f"{self._position + len(chunk)} of the encapsulated value"
                    )
            chunks.append(chunk)
            self._position += count
            part += 1
        return b"".join(chunks)

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def readinto(self, target: Any) -> int:
        view = memoryview(target).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)


def encapsulate_buffer(buffers: list[BinaryIO], has_bot: bool = True) -> EncapsulatedBuffer:
    """:class:`EncapsulatedBuffer` of one buffer per frame, as pydicom 3's ``encapsulate_buffer``."""
    return EncapsulatedBuffer(buffers, use_bot=has_bot)


def encapsulate_extended_buffer(buffers: list[BinaryIO]) -> tuple[EncapsulatedBuffer, bytes, bytes]:
    """:func:`encapsulate_extended` for buffers: the value, Extended Offset Table and its lengths."""
    value = EncapsulatedBuffer(buffers, use_bot=False)
    return value, value.extended_offsets, value.extended_lengths


def encapsulate_extended(frames: Sequence[Buffer]) -> tuple[bytes, bytes, bytes]:
    """Encapsulate frames with an empty Basic Offset Table and an Extended Offset Table.

    Parameters
    ----------
    frames : sequence of bytes-like
        One encoded frame each; each becomes one fragment (PS3.5 A.4 requires one
        fragment a frame with an Extended Offset Table).

    Returns
    -------
    tuple of bytes
        The Pixel Data value, the (7FE0,0001) Extended Offset Table and the
        (7FE0,0002) Extended Offset Table Lengths (packed little-endian uint64).
    """
    frames = list(frames)
    lengths_in = [len(memoryview(f).cast("B")) for f in frames]
    offsets, lengths = extended_offsets(lengths_in)
    value = encapsulate(frames, fragments_per_frame=1, has_bot=False)
    return (
        value,
        struct.pack(f"<{len(offsets)}Q", *offsets),
        struct.pack(f"<{len(lengths)}Q", *lengths),
    )
