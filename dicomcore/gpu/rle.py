"""RLE Lossless (PS3.5 Annex G) decoding of whole batches of frames on the GPU.

A batch of frames is decoded by one sequence of launches over all segments of
all frames (``codecs/cuda/rle.cu``):

1. On the host, the 64-byte headers (G.5) are read and checked for the whole
   batch at once, giving every segment its byte range in the uploaded data and
   its plane in the output planes. A damaged header raises here, naming the
   frame, segment and offset.
2. On the device, one thread per segment walks its PackBits opcodes (G.3.2)
   into a *run table*: for each run, where its bytes go in the plane, where
   they come from, and its length (positive: literal bytes; negative: one byte
   repeated). The walk runs twice, first to count runs so the table is sized
   exactly, then to fill it.
3. A second kernel expands the runs into byte planes, many threads per run.
4. A third gathers each sample's bytes from its planes (most significant
   first, G.2), clears or sign-extends the bits above Bits Stored, and writes
   the ``(frames, rows, columns[, samples])`` array.

Each device step has a NumPy reference here (:func:`plan_segments`,
:func:`walk_segments`, :func:`expand_runs`, :func:`interleave_planes`, and all
of them in :func:`decode_frames_reference`) that the test suite checks against
dicomcore's C decoder on every real RLE file, and against which the kernels
are checked. Errors are :class:`dicomcore.codecs.rle.RLEError` with the same
``reason`` names as the CPU codec; ``lenient=True`` zeroes what cannot be
decoded and warns with :class:`~dicomcore.codecs.rle.RLEWarning`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dicomcore.codecs.rle import RLEError, RLEWarning
from dicomcore.gpu import transfer
from dicomcore.gpu.engine import Engine, get_engine

__all__ = [
    "RLEGeometry",
    "RunTable",
    "SegmentPlan",
    "decode_frames",
    "decode_frames_reference",
    "expand_runs",
    "interleave_planes",
    "plan_segments",
    "walk_segments",
]

_HEADER_LENGTH = 64
_MAX_SEGMENTS = 15

# Segment status codes, as in codecs/cuda/rle.cu.
OK = 0
SEGMENT_TRUNCATED = 1
LITERAL_TRUNCATED = 2
RUN_OVERFLOW = 3
TRAILING_RUNS = 4
UNUSABLE = 5

_REASONS = {
    SEGMENT_TRUNCATED: "segment_truncated",
    LITERAL_TRUNCATED: "literal_truncated",
    RUN_OVERFLOW: "run_overflow",
    TRAILING_RUNS: "run_overflow",
}

# Threads that share the copying of one run in dc_rle_expand.
_LANES_PER_RUN = 8
# Threads per block for the walk: one thread per segment, each a chain of dependent
# loads, so small blocks spread the few hundred threads of a batch over many SMs.
_WALK_BLOCK = 32
# Plane bytes dicomcore's C decoder expands per step (RLE_BLOCK in codecs/rle/rle.c); used
# only to report a frame's problems in the order that decoder finds them.
_C_DECODER_BLOCK = 4096


@dataclass(frozen=True)
class RLEGeometry:
    """What an RLE frame decodes to (PS3.5 G.2).

    Attributes
    ----------
    rows, columns, samples_per_pixel : int
        The frame's shape.
    bytes_per_sample : int
        Bits Allocated / 8: 1, 2, 4 or 8.
    bits_stored : int
        0, or the Bits Stored whose higher bits are cleared or sign-extended.
    signed : bool
        Pixel Representation 1.
    lsb_first : bool
        Segments in least significant byte first order (non-conformant data).
    """

    rows: int
    columns: int
    samples_per_pixel: int
    bytes_per_sample: int
    bits_stored: int = 0
    signed: bool = False
    lsb_first: bool = False

    @classmethod
    def from_options(
        cls,
        first_frame: Any,
        rows: int | None,
        columns: int | None,
        samples_per_pixel: int | None = None,
        bits_allocated: int | None = None,
        pixel_representation: int = 0,
        bits_stored: int | None = None,
        segment_order: str = ">",
    ) -> RLEGeometry:
        """Check decoding arguments, filling samples and bits from the header if left out."""
        if rows is None or columns is None:
            raise ValueError("rows and columns are needed to decode RLE data")
        if not (0 < rows <= 0xFFFFFFFF and 0 < columns <= 0xFFFFFFFF):
            raise ValueError(f"rows and columns must be positive, not {rows} x {columns}")
        if samples_per_pixel is None or bits_allocated is None:
            samples_per_pixel, bits_allocated = _infer_layout(
                first_frame, samples_per_pixel, bits_allocated
            )
        if bits_allocated not in (8, 16, 32, 64):
            raise ValueError(
                f"RLE Lossless needs bits allocated 8, 16, 32 or 64, not {bits_allocated} "
                "(PS3.5 G.2)"
            )
        segments = samples_per_pixel * bits_allocated // 8
        if samples_per_pixel < 1 or segments > _MAX_SEGMENTS:
            raise ValueError(
                f"{samples_per_pixel} samples of {bits_allocated} bits need {segments} "
                "segments; RLE allows at most 15 (PS3.5 G.2)"
            )
        if pixel_representation not in (0, 1):
            raise ValueError(f"pixel_representation must be 0 or 1, not {pixel_representation}")
        if bits_stored is not None and not 1 <= bits_stored <= bits_allocated:
            raise ValueError(
                f"bits_stored must be between 1 and bits allocated ({bits_allocated}), "
                f"not {bits_stored}"
            )
        if segment_order not in (">", "<"):
            raise ValueError(
                f"segment_order must be '>' (most significant byte first, PS3.5 G.2) or "
                f"'<', not {segment_order!r}"
            )
        fix = 0 if bits_stored is None or bits_stored >= bits_allocated else int(bits_stored)
        return cls(
            int(rows),
            int(columns),
            int(samples_per_pixel),
            bits_allocated // 8,
            fix,
            bool(pixel_representation),
            segment_order == "<",
        )

    @property
    def plane_length(self) -> int:
        return self.rows * self.columns

    @property
    def segments(self) -> int:
        return self.samples_per_pixel * self.bytes_per_sample

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(f"{'i' if self.signed else 'u'}{self.bytes_per_sample}")

    def shape(self, frames: int) -> tuple[int, ...]:
        if self.samples_per_pixel == 1:
            return (frames, self.rows, self.columns)
        return (frames, self.rows, self.columns, self.samples_per_pixel)


def _infer_layout(
    first_frame: Any, samples_per_pixel: int | None, bits_allocated: int | None
) -> tuple[int, int]:
    """Samples and bits allocated from the first frame's segment count (G.5)."""
    if first_frame is None:
        raise ValueError("samples_per_pixel and bits_allocated are needed")
    header = transfer.as_bytes(first_frame)[:_HEADER_LENGTH]
    if header.size < _HEADER_LENGTH:
        raise RLEError(
            f"frame 0: RLE frame data is {header.size} bytes, shorter than the 64-byte "
            "header (PS3.5 G.5)",
            reason="header_truncated",
            frame=0,
        )
    count = int(header[:4].view("<u4")[0])
    if bits_allocated is not None:
        size = bits_allocated // 8
        if size and count and count % size == 0:
            return count // size, bits_allocated
    elif samples_per_pixel is not None:
        if samples_per_pixel > 0 and count % samples_per_pixel == 0 and count:
            return samples_per_pixel, 8 * (count // samples_per_pixel)
    else:
        for samples in (1, 3):
            if count % samples == 0 and count // samples in (1, 2, 4, 8):
                return samples, 8 * (count // samples)
    raise RLEError(
        f"cannot tell samples per pixel and bits allocated from the RLE header's {count} "
        "segments; pass samples_per_pixel and bits_allocated",
        reason="segment_count",
    )


# -- Step 1: headers (host) --------------------------------------------------------------


@dataclass
class SegmentPlan:
    """Where every segment of a batch lies, from the frames' RLE headers.

    Attributes
    ----------
    segments : numpy.ndarray
        int64, shape ``(frames * segments_per_frame, 3)``: start and end offset of
        each segment in the concatenated frame data, and the offset of its byte
        plane in the plane buffer (frame after frame, segment after segment).
    status : numpy.ndarray
        int32 per segment: 0, or ``UNUSABLE`` for a segment the header does not
        give usably (lenient decoding only; its plane stays zero).
    frame_offsets : numpy.ndarray
        int64, where each frame starts in the data (one more entry: the end).
    problems : list of RLEError
        Header problems found in lenient mode, one (the first) per frame.
    problem_counts : dict
        Header problems per frame index (lenient mode).
    """

    segments: np.ndarray
    status: np.ndarray
    frame_offsets: np.ndarray
    problems: list[RLEError]
    problem_counts: dict[int, int]


def _header_problems(
    words: np.ndarray, length: int, needed: int, frame: int
) -> tuple[list[tuple[int, int] | None], list[RLEError]]:
    """Check one frame's header as PS3.5 G.5 requires; the segments' byte ranges.

    Returns, per needed segment, ``(start, end)`` within the frame or None when
    unusable, and the problems in the order they are found.
    """
    problems: list[RLEError] = []

    def problem(message: str, reason: str, segment: int | None, offset: int | None) -> None:
        problems.append(
            RLEError(
                f"frame {frame}: {message}",
                reason=reason,
                segment=segment,
                offset=offset,
                frame=frame,
            )
        )

    declared = int(words[0])
    if declared == 0 or declared > _MAX_SEGMENTS:
        problem(
            f"the RLE header declares {declared} segments; PS3.5 G.5 allows 1 to 15 and the "
            f"image needs {needed}",
            "segment_count",
            None,
            None,
        )
    elif declared != needed:
        problem(
            f"the RLE header declares {declared} segments but the image needs {needed} (one "
            "per byte of each sample, PS3.5 G.2)",
            "segment_count",
            None,
            None,
        )
    listed = min(declared, _MAX_SEGMENTS)
    valid = [False] * listed
    offsets = [int(w) for w in words[1 : 1 + listed]]
    previous = 0
    for i, offset in enumerate(offsets):
        field = 4 + 4 * i
        where = (
            f"segment {i + 1} of {declared} starts at offset {offset} (RLE header field at "
            f"offset {field})"
        )
        if offset < _HEADER_LENGTH:
            problem(f"{where}, inside the 64-byte header", "offset_in_header", i + 1, field)
        elif offset >= length:
            problem(
                f"{where}, past the end of the {length} bytes of frame data",
                "offset_past_end",
                i + 1,
                field,
            )
        elif offset <= previous:
            problem(
                f"segment offsets out of order: {where}, not after the previous segment's "
                f"offset {previous}",
                "offset_order",
                i + 1,
                field,
            )
        else:
            valid[i] = True
            previous = offset
    ranges: list[tuple[int, int] | None] = []
    for i in range(needed):
        if i >= listed or not valid[i]:
            ranges.append(None)
            continue
        # A segment ends where the next usable one starts (G.4), the last at the end.
        end = next((offsets[j] for j in range(i + 1, listed) if valid[j]), length)
        ranges.append((offsets[i], end))
    return ranges, problems


def plan_segments(
    data: np.ndarray, frame_offsets: np.ndarray, geometry: RLEGeometry, lenient: bool = False
) -> SegmentPlan:
    """Read every frame's RLE header and place its segments (PS3.5 G.4, G.5).

    Sound headers, the usual case, are checked for the whole batch with a few
    array operations; a frame that fails is re-read on its own to say exactly
    what is wrong.

    Parameters
    ----------
    data : numpy.ndarray
        uint8, the frames side by side.
    frame_offsets : numpy.ndarray
        int64, frame ``i`` is ``data[frame_offsets[i]:frame_offsets[i + 1]]``.
    geometry : RLEGeometry
        What the frames decode to.
    lenient : bool
        Keep going past header problems (the affected planes stay zero).

    Raises
    ------
    RLEError
        In strict mode, for the first problem of the first damaged frame, with
        ``frame``, ``segment`` and ``offset`` (of the header field) set.
    """
    frames = len(frame_offsets) - 1
    needed = geometry.segments
    plane_length = geometry.plane_length
    starts = frame_offsets[:-1]
    lengths = np.diff(frame_offsets)
    long_enough = lengths >= _HEADER_LENGTH
    words = np.zeros((frames, 16), dtype=np.uint32)
    if long_enough.any():
        index = starts[long_enough, None] + np.arange(_HEADER_LENGTH)
        words[long_enough] = data[index].view("<u4").reshape(-1, 16)
    offsets = words[:, 1 : 1 + needed].astype(np.int64)
    sound = long_enough & (words[:, 0] == needed)
    sound &= (offsets >= _HEADER_LENGTH).all(axis=1) & (offsets < lengths[:, None]).all(axis=1)
    if needed > 1:
        sound &= (np.diff(offsets, axis=1) > 0).all(axis=1)

    ends = np.empty_like(offsets)
    ends[:, :-1] = offsets[:, 1:]
    ends[:, -1] = lengths
    table = np.empty((frames, needed, 3), dtype=np.int64)
    table[:, :, 0] = offsets + starts[:, None]
    table[:, :, 1] = ends + starts[:, None]
    table[:, :, 2] = (np.arange(frames * needed, dtype=np.int64) * plane_length).reshape(
        frames, needed
    )
    status = np.zeros((frames, needed), dtype=np.int32)

    problems: list[RLEError] = []
    counts: dict[int, int] = {}
    for frame in np.flatnonzero(~sound).tolist():
        length = int(lengths[frame])
        if length < _HEADER_LENGTH:
            found = [
                RLEError(
                    f"frame {frame}: RLE frame data is {length} bytes, shorter than the 64-byte "
                    "header (PS3.5 G.5)",
                    reason="header_truncated",
                    frame=frame,
                )
            ]
            ranges: list[tuple[int, int] | None] = [None] * needed
        else:
            ranges, found = _header_problems(words[frame], length, needed, frame)
        if found and not lenient:
            raise found[0]
        if found:
            problems.append(found[0])
            counts[frame] = len(found)
        for s, span in enumerate(ranges):
            if span is None:
                status[frame, s] = UNUSABLE
                table[frame, s, :2] = starts[frame]
            else:
                table[frame, s, 0] = starts[frame] + span[0]
                table[frame, s, 1] = starts[frame] + span[1]
    return SegmentPlan(table.reshape(-1, 3), status.reshape(-1), frame_offsets, problems, counts)


# -- Step 2: the run table ---------------------------------------------------------------


@dataclass
class RunTable:
    """The runs of every segment of a batch (what ``dc_rle_walk`` writes).

    Attributes
    ----------
    dst : numpy.ndarray
        int64, where each run's bytes go in the plane buffer.
    src : numpy.ndarray
        int64, where they come from in the data (a repeated byte's offset).
    length : numpy.ndarray
        int32, bytes produced; positive for a literal run, negative for a
        replicate run.
    counts : numpy.ndarray
        int64, runs per segment; segment ``k``'s runs follow those of ``k - 1``.
    status, status_at, produced : numpy.ndarray
        Per segment: the problem code (0 if none), the data offset of the
        opcode at fault (-1 if none), and the plane bytes produced before it
        (all of them if there was no problem).
    """

    dst: np.ndarray
    src: np.ndarray
    length: np.ndarray
    counts: np.ndarray
    status: np.ndarray
    status_at: np.ndarray
    produced: np.ndarray


def _walk(
    data: bytes, start: int, end: int, plane: int, plane_length: int, runs: list
) -> tuple[int, int, int]:
    """Follow one segment's opcodes (G.3.2), appending (dst, src, length) runs.

    Returns (status, offset of the opcode at fault or -1, plane bytes produced
    before the run at fault, or in all). The same walk as dc_rle_walk.
    """
    p = start
    produced = 0
    while produced < plane_length:
        if p >= end:
            return SEGMENT_TRUNCATED, p, produced
        opcode = data[p]
        space = plane_length - produced
        if opcode < 128:
            run = opcode + 1
            available = end - p - 1
            if run > available:
                take = min(available, space)
                if take > 0:
                    runs.append((plane + produced, p + 1, take))
                return LITERAL_TRUNCATED, p, produced
            if run > space:
                runs.append((plane + produced, p + 1, space))
                return RUN_OVERFLOW, p, produced
            runs.append((plane + produced, p + 1, run))
            produced += run
            p += 1 + run
        elif opcode > 128:
            run = 257 - opcode
            if end - p < 2:
                return SEGMENT_TRUNCATED, p, produced
            if run > space:
                runs.append((plane + produced, p + 1, -space))
                return RUN_OVERFLOW, p, produced
            runs.append((plane + produced, p + 1, -run))
            produced += run
            p += 2
        else:
            p += 1
    while p < end and data[p] == 128:
        p += 1
    if end - p > 1:
        return TRAILING_RUNS, p, produced
    return OK, -1, produced


def walk_segments(data: Any, plan: SegmentPlan, plane_length: int) -> RunTable:
    """Build the run table of every segment on the CPU: the reference of ``dc_rle_walk``.

    Parameters
    ----------
    data : bytes-like
        The frames side by side (as :func:`plan_segments` saw them).
    plan : SegmentPlan
        The segments' ranges and planes.
    plane_length : int
        Bytes per plane (rows x columns).
    """
    raw = bytes(transfer.as_bytes(data))
    count = len(plan.segments)
    counts = np.zeros(count, dtype=np.int64)
    status = plan.status.copy()
    status_at = np.full(count, -1, dtype=np.int64)
    produced = np.zeros(count, dtype=np.int64)
    runs: list[tuple[int, int, int]] = []
    for k, (start, end, plane) in enumerate(plan.segments.tolist()):
        if status[k] == UNUSABLE:
            continue
        before = len(runs)
        status[k], status_at[k], produced[k] = _walk(raw, start, end, plane, plane_length, runs)
        counts[k] = len(runs) - before
    table = np.array(runs, dtype=np.int64).reshape(-1, 3)
    return RunTable(
        table[:, 0].copy(),
        table[:, 1].copy(),
        table[:, 2].astype(np.int32),
        counts,
        status,
        status_at,
        produced,
    )


# -- Steps 3 and 4: expansion and interleaving -------------------------------------------


def expand_runs(table: RunTable, data: Any, planes_size: int) -> np.ndarray:
    """Expand a run table into byte planes with NumPy: the reference of ``dc_rle_expand``.

    Parameters
    ----------
    table : RunTable
        From :func:`walk_segments` (or the device walk).
    data : bytes-like
        The data the table's source offsets point into.
    planes_size : int
        Bytes in the plane buffer; bytes no run writes are zero.
    """
    source = transfer.as_bytes(data)
    planes = np.zeros(planes_size, dtype=np.uint8)
    lengths = np.abs(table.length).astype(np.int64)
    total = int(lengths.sum())
    if total == 0:
        return planes
    run_of_byte = np.repeat(np.arange(lengths.size), lengths)
    starts = np.zeros(lengths.size, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    within = np.arange(total, dtype=np.int64) - starts[run_of_byte]
    literal = table.length[run_of_byte] > 0
    planes[table.dst[run_of_byte] + within] = source[table.src[run_of_byte] + within * literal]
    return planes


def interleave_planes(planes: np.ndarray, geometry: RLEGeometry, frames: int) -> np.ndarray:
    """Assemble samples from byte planes: the reference of ``dc_rle_interleave_*``.

    Returns the ``(frames, rows, columns[, samples])`` array of native-endian
    samples, with the bits above Bits Stored cleared or sign-extended.
    """
    size = geometry.bytes_per_sample
    shaped = planes.reshape(frames, geometry.samples_per_pixel, size, geometry.plane_length)
    unsigned = np.dtype(f"u{size}")
    values = np.zeros((frames, geometry.samples_per_pixel, geometry.plane_length), dtype=unsigned)
    for b in range(size):
        significance = b if geometry.lsb_first else size - 1 - b
        values |= shaped[:, :, b, :].astype(unsigned) << unsigned.type(8 * significance)
    if geometry.bits_stored:
        values = _fix_unused_bits(values, geometry.bits_stored, geometry.signed)
    out = np.ascontiguousarray(values.transpose(0, 2, 1)).view(geometry.dtype)
    return out.reshape(geometry.shape(frames))


def _fix_unused_bits(values: np.ndarray, bits: int, signed: bool) -> np.ndarray:
    kind = values.dtype.type
    mask = kind((1 << bits) - 1)
    if not signed:
        return values & mask
    sign = kind(1 << (bits - 1))
    return ((values & mask) ^ sign) - sign


# -- Problems ----------------------------------------------------------------------------


def _segment_problem(
    code: int,
    segment_index: int,
    at: int,
    produced: int,
    plan: SegmentPlan,
    data: np.ndarray,
    geometry: RLEGeometry,
) -> RLEError:
    """The RLEError for a problem the walk found, worded as the CPU codec words it."""
    count = geometry.segments
    frame, within = divmod(segment_index, count)
    number = within + 1
    base = int(plan.frame_offsets[frame])
    end = int(plan.segments[segment_index, 1])
    offset = at - base
    plane = geometry.plane_length
    if code == SEGMENT_TRUNCATED and at < end:
        message = (
            f"segment {number} of {count} is truncated: the replicate run at offset {offset} "
            "has no byte to repeat"
        )
    elif code == SEGMENT_TRUNCATED:
        message = (
            f"segment {number} of {count} is truncated: its data ends at offset {offset} after "
            f"{produced} of the {plane} bytes of its byte plane"
        )
    elif code == LITERAL_TRUNCATED:
        message = (
            f"segment {number} of {count} is truncated: the literal run at offset {offset} "
            f"needs {int(data[at]) + 1} bytes but only {end - at - 1} remain in the segment"
        )
    elif code == RUN_OVERFLOW:
        opcode = int(data[at])
        run = opcode + 1 if opcode < 128 else 257 - opcode
        message = (
            f"segment {number} of {count} overflows: the run at offset {offset} goes "
            f"{run - (plane - produced)} bytes past the end of the {plane}-byte plane"
        )
    else:
        message = (
            f"segment {number} of {count} overflows: {end - at} more bytes of runs follow the "
            f"end of its {plane}-byte plane at offset {offset}"
        )
    return RLEError(
        f"frame {frame}: {message}",
        reason=_REASONS[code],
        segment=number,
        offset=offset,
        frame=frame,
    )


def _first_problems(status: np.ndarray, produced: np.ndarray, geometry: RLEGeometry) -> list[int]:
    """Damaged segments in the order dicomcore's C decoder finds their problems.

    It fills the planes of all segments block by block (truncations are found
    at the block where the data runs out), then checks for runs past the end;
    reporting in that order makes the first error of a frame the same as the
    CPU codec's, whatever else is wrong in it.
    """
    damaged = np.flatnonzero((status != OK) & (status != UNUSABLE))
    if damaged.size == 0:
        return []
    frames, segments = np.divmod(damaged, geometry.segments)
    at_finish = np.isin(status[damaged], (RUN_OVERFLOW, TRAILING_RUNS))
    block = np.where(at_finish | (geometry.segments == 1), 0, produced[damaged] // _C_DECODER_BLOCK)
    order = np.lexsort((segments, block, at_finish, frames))
    return damaged[order].tolist()


def _report(
    status: np.ndarray,
    status_at: np.ndarray,
    produced: np.ndarray,
    plan: SegmentPlan,
    data: np.ndarray,
    geometry: RLEGeometry,
    lenient: bool,
    stacklevel: int,
) -> bool:
    """Raise (strict) or warn (lenient) about every damaged frame; True if any."""
    walk_problems = _first_problems(status, produced, geometry)
    if not lenient:
        if walk_problems:
            k = walk_problems[0]
            raise _segment_problem(
                int(status[k]), k, int(status_at[k]), int(produced[k]), plan, data, geometry
            )
        return False
    firsts: dict[int, RLEError] = {p.frame: p for p in plan.problems}  # type: ignore[misc]
    counts = dict(plan.problem_counts)
    for k in walk_problems:
        frame = k // geometry.segments
        if frame not in firsts:
            firsts[frame] = _segment_problem(
                int(status[k]), k, int(status_at[k]), int(produced[k]), plan, data, geometry
            )
        counts[frame] = counts.get(frame, 0) + 1
    for frame in sorted(firsts):
        more = counts[frame] - 1
        extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        warnings.warn(
            f"{firsts[frame]}{extra}; the bytes that could not be decoded are zero",
            RLEWarning,
            stacklevel=stacklevel + 1,
        )
    return bool(firsts)


# -- Whole batches -----------------------------------------------------------------------


def decode_frames_reference(
    frames: Sequence[Any],
    *,
    rows: int | None = None,
    columns: int | None = None,
    samples_per_pixel: int | None = None,
    bits_allocated: int | None = None,
    pixel_representation: int = 0,
    bits_stored: int | None = None,
    lenient: bool = False,
    segment_order: str = ">",
) -> np.ndarray:
    """Decode RLE frames on the CPU by the GPU algorithm's steps, in NumPy.

    Slow (the walk is a Python loop); it exists to define and check what the
    kernels compute. Parameters and result are those of :func:`decode_frames`
    (a NumPy array instead of a device array).
    """
    frames = list(frames)
    geometry = RLEGeometry.from_options(
        frames[0] if frames else None,
        rows,
        columns,
        samples_per_pixel,
        bits_allocated,
        pixel_representation,
        bits_stored,
        segment_order,
    )
    data, offsets = transfer.gather(frames)
    plan = plan_segments(data, offsets, geometry, lenient)
    table = walk_segments(data, plan, geometry.plane_length)
    _report(table.status, table.status_at, table.produced, plan, data, geometry, lenient, 2)
    planes = expand_runs(table, data, len(frames) * geometry.segments * geometry.plane_length)
    return interleave_planes(planes, geometry, len(frames))


def _check_out(out: Any, engine: Engine, shape: tuple[int, ...], dtype: np.dtype) -> Any:
    if not engine.is_device_array(out):
        raise ValueError(f"out must be an array on the decoding device, not {type(out).__name__}")
    if tuple(out.shape) != shape or np.dtype(out.dtype) != dtype:
        raise ValueError(
            f"out has shape {tuple(out.shape)} and dtype {out.dtype}; the frames need shape "
            f"{shape} and dtype {dtype}"
        )
    if not out.flags.c_contiguous:
        raise ValueError("out must be C-contiguous")
    return out


def decode_frames(
    frames: Sequence[Any],
    *,
    rows: int | None = None,
    columns: int | None = None,
    samples_per_pixel: int | None = None,
    bits_allocated: int | None = None,
    pixel_representation: int = 0,
    bits_stored: int | None = None,
    out: Any = None,
    device: Any = None,
    lenient: bool = False,
    segment_order: str = ">",
) -> Any:
    """Decode a batch of RLE Lossless frames (PS3.5 Annex G) on the GPU.

    All segments of all frames are decoded by one sequence of kernel launches;
    the compressed bytes cross to the device once, through pinned memory.

    Parameters
    ----------
    frames : sequence of bytes-like
        One RLE frame each (header and segments, PS3.5 G.5), of one geometry.
    rows, columns : int
        The frame size.
    samples_per_pixel, bits_allocated : int, optional
        Read from the first frame's segment count when left out.
    pixel_representation : int
        0 (unsigned) or 1 (signed): the output dtype's kind.
    bits_stored : int, optional
        Clear (unsigned) or sign-extend (signed) the bits above it (PS3.5 8.1.1).
    out : cupy.ndarray, optional
        Where to write the frames: shape ``(frames, rows, columns[, samples])``,
        the dtype of the samples, C-contiguous.
    device : None, str, int, cupy.cuda.Device or Engine
        Where to decode (default: ``out``'s device, else CuPy's current device).
    lenient : bool
        Decode what can be decoded, zero the rest and warn with
        :class:`~dicomcore.codecs.rle.RLEWarning`, instead of raising.
    segment_order : str
        ``">"`` (most significant byte segment first, as PS3.5 G.2 requires) or
        ``"<"`` for non-conformant data.

    Returns
    -------
    cupy.ndarray
        ``(frames, rows, columns[, samples])``, native-endian samples, samples
        interleaved.

    Raises
    ------
    RLEError
        For a damaged frame (strict mode), with ``frame``, ``segment`` and
        ``offset`` (within the frame's data) set and the message prefixed by
        ``"frame N: "``.
    ImportError, RuntimeError
        If CuPy or a CUDA device is missing.
    """
    frames = list(frames)
    engine = get_engine(device, like=out)
    geometry = RLEGeometry.from_options(
        frames[0] if frames else None,
        rows,
        columns,
        samples_per_pixel,
        bits_allocated,
        pixel_representation,
        bits_stored,
        segment_order,
    )
    count = len(frames)
    shape = geometry.shape(count)
    xp = engine.xp
    if out is None:
        with engine.activate():
            out = xp.empty(shape, dtype=geometry.dtype)
    else:
        _check_out(out, engine, shape, geometry.dtype)
    if count == 0:
        return out

    data, offsets, staging = transfer.upload(frames, engine)
    plan = plan_segments(staging, offsets, geometry, lenient)
    segment_count = len(plan.segments)
    plane_length = geometry.plane_length
    with engine.activate():
        segments = engine.to_device(np.ascontiguousarray(plan.segments))
        status = engine.to_device(plan.status.copy())
        run_count = xp.zeros(segment_count, dtype=np.int64)
        status_at = xp.zeros(segment_count, dtype=np.int64)
        produced = xp.zeros(segment_count, dtype=np.int64)
        unused64 = xp.zeros(1, dtype=np.int64)
        unused32 = xp.zeros(1, dtype=np.int32)

    def walk(emit: int, base: Any, dst: Any, src: Any, length: Any) -> None:
        engine.launch(
            "rle",
            "dc_rle_walk",
            segment_count,
            (
                data,
                segments,
                np.int64(segment_count),
                np.int64(plane_length),
                np.int32(emit),
                base,
                dst,
                src,
                length,
                run_count,
                status,
                status_at,
                produced,
            ),
            block=_WALK_BLOCK,
        )

    walk(0, unused64, unused64, unused64, unused32)
    counts = engine.to_host(run_count)
    damaged = _report(
        engine.to_host(status),
        engine.to_host(status_at),
        engine.to_host(produced),
        plan,
        staging,
        geometry,
        lenient,
        2,
    )
    damaged = damaged or bool(plan.problems)
    base = np.zeros(segment_count, dtype=np.int64)
    np.cumsum(counts[:-1], out=base[1:])
    runs = int(counts.sum())
    with engine.activate():
        base_device = engine.to_device(base)
        run_dst = xp.empty(max(runs, 1), dtype=np.int64)
        run_src = xp.empty(max(runs, 1), dtype=np.int64)
        run_len = xp.empty(max(runs, 1), dtype=np.int32)
        planes_size = count * geometry.segments * plane_length
        # Every plane byte is written by some run unless a segment was damaged.
        planes = (xp.zeros if damaged else xp.empty)(planes_size, dtype=np.uint8)
    walk(1, base_device, run_dst, run_src, run_len)
    engine.launch(
        "rle",
        "dc_rle_expand",
        runs * _LANES_PER_RUN,
        (data, run_dst, run_src, run_len, np.int64(runs), np.int32(_LANES_PER_RUN), planes),
    )
    size = geometry.bytes_per_sample
    with engine.activate():
        target = out.view(np.dtype(f"u{size}"))
    engine.launch(
        "rle",
        f"dc_rle_interleave_u{8 * size}",
        count * plane_length * geometry.samples_per_pixel,
        (
            planes,
            target,
            np.int64(count),
            np.int64(plane_length),
            np.int32(geometry.samples_per_pixel),
            np.int32(geometry.lsb_first),
            np.int32(geometry.bits_stored),
            np.int32(geometry.signed),
        ),
    )
    engine.synchronize()
    return out
