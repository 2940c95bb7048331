# cython: language_level=3
"""Thin binding of dicomcore's RLE Lossless kernel (``codecs/rle/rle.c``).

Owns the buffers and turns the kernel's reports into :class:`~dicomcore.codecs.rle.RLEError`;
the kernel itself runs without the GIL, so threads decoding or encoding different frames
run in parallel. The NumPy-facing API with argument checking lives in
:mod:`dicomcore.codecs.rle`.
"""

from cpython.buffer cimport (
    PyBUF_SIMPLE,
    PyBUF_WRITABLE,
    PyBuffer_Release,
    PyObject_GetBuffer,
)
from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.stddef cimport ptrdiff_t
from libc.stdint cimport uint8_t

cimport numpy as cnp

import sys
import threading

from dicomcore.codecs._rle cimport *

cnp.import_array()


REASONS = {
    RLE_BAD_ARGUMENT: "bad_argument",
    RLE_HEADER_TRUNCATED: "header_truncated",
    RLE_SEGMENT_COUNT: "segment_count",
    RLE_OFFSET_IN_HEADER: "offset_in_header",
    RLE_OFFSET_ORDER: "offset_order",
    RLE_OFFSET_PAST_END: "offset_past_end",
    RLE_SEGMENT_TRUNCATED: "segment_truncated",
    RLE_LITERAL_TRUNCATED: "literal_truncated",
    RLE_RUN_OVERFLOW: "run_overflow",
}

MAX_SEGMENTS = RLE_MAX_SEGMENTS
_NATIVE_BIG_ENDIAN = sys.byteorder == "big"


cdef object _report_error(rle_report *report):
    # Imported here, not at module level: rle.py imports this module, and the
    # exception class must exist even when this extension was not built.
    from dicomcore.codecs.rle import RLEError

    if report.status == RLE_NO_MEMORY:
        return MemoryError(report.message.decode("utf-8", "replace"))
    return RLEError(
        report.message.decode("utf-8", "replace"),
        reason=REASONS.get(report.status, "unknown"),
        segment=report.segment or None,
        offset=report.offset if report.segment else None,
    )


def decode_into(
    src,
    out,
    unsigned rows,
    unsigned columns,
    unsigned samples_per_pixel,
    unsigned bytes_per_sample,
    bint lenient=False,
    bint lsb_first=False,
    unsigned bits_stored=0,
    bint is_signed=False,
):
    """Decode one RLE frame into the writable, C-contiguous buffer ``out``.

    ``out`` must hold exactly rows * columns * samples_per_pixel * bytes_per_sample
    bytes; it receives interleaved native-endian samples (PS3.5 Annex G). Returns None
    when the frame was sound. In strict mode a problem raises ``RLEError``; with
    ``lenient`` the undecodable bytes are zero and ``(message, problem_count, reason,
    segment)`` of the first problem is returned for the caller to warn about.
    """
    cdef Py_buffer src_view
    cdef Py_buffer out_view
    cdef rle_image image
    cdef rle_report report
    cdef unsigned flags = 0
    cdef int status

    image.rows = rows
    image.columns = columns
    image.samples_per_pixel = samples_per_pixel
    image.bytes_per_sample = bytes_per_sample
    if lenient:
        flags |= RLE_LENIENT
    if lsb_first:
        flags |= RLE_SEGMENTS_LSB_FIRST

    PyObject_GetBuffer(src, &src_view, PyBUF_SIMPLE)
    try:
        PyObject_GetBuffer(out, &out_view, PyBUF_SIMPLE | PyBUF_WRITABLE)
        try:
            with nogil:
                status = rle_decode_frame(
                    <const uint8_t*>src_view.buf, <size_t>src_view.len,
                    <uint8_t*>out_view.buf, <size_t>out_view.len,
                    &image, flags, bits_stored, is_signed, &report,
                )
        finally:
            PyBuffer_Release(&out_view)
    finally:
        PyBuffer_Release(&src_view)

    if status == RLE_OK:
        return None
    if not lenient or status == RLE_BAD_ARGUMENT or status == RLE_NO_MEMORY:
        raise _report_error(&report)
    return (
        report.message.decode("utf-8", "replace"),
        report.problems,
        REASONS.get(report.status, "unknown"),
        report.segment or None,
    )


def encode_bound(unsigned rows, unsigned columns, unsigned samples_per_pixel,
                 unsigned bytes_per_sample):
    """Most bytes an encoded frame of this geometry can take (0 if the geometry is invalid)."""
    cdef rle_image image
    image.rows = rows
    image.columns = columns
    image.samples_per_pixel = samples_per_pixel
    image.bytes_per_sample = bytes_per_sample
    return rle_encode_bound(&image)


def encode_array(cnp.ndarray arr, unsigned samples_per_pixel):
    """Encode one frame held in ``arr`` as RLE Lossless (PS3.5 Annex G).

    ``arr`` has shape (rows, columns) or (rows, columns, samples_per_pixel), an integer
    dtype of 1, 2, 4 or 8 bytes in either byte order, and any strides (no copy is made).
    """
    cdef rle_image image
    cdef rle_report report
    cdef ptrdiff_t row_stride, column_stride, sample_stride = 0
    cdef int big_endian
    cdef size_t bound, length = 0
    cdef int status
    cdef const uint8_t *data
    cdef bytearray scratch
    cdef uint8_t *buf

    if arr.ndim not in (2, 3):
        raise ValueError(f"expected a 2-D or 3-D array, got {arr.ndim} dimensions")
    image.rows = <unsigned>arr.shape[0]
    image.columns = <unsigned>arr.shape[1]
    image.samples_per_pixel = samples_per_pixel
    image.bytes_per_sample = <unsigned>arr.dtype.itemsize
    row_stride = arr.strides[0]
    column_stride = arr.strides[1]
    if arr.ndim == 3:
        if arr.shape[2] != samples_per_pixel:
            raise ValueError(
                f"the array has {arr.shape[2]} samples per pixel, not {samples_per_pixel}"
            )
        sample_stride = arr.strides[2]
    elif samples_per_pixel != 1:
        raise ValueError("a 2-D array has one sample per pixel")
    big_endian = arr.dtype.byteorder == ">" or (
        arr.dtype.byteorder == "=" and _NATIVE_BIG_ENDIAN
    )
    bound = rle_encode_bound(&image)
    if bound == 0:
        raise ValueError(
            f"cannot RLE-encode {image.rows} x {image.columns} pixels of dtype {arr.dtype}: "
            f"RLE needs 8, 16, "
            f"32 or 64 bits allocated and at most {RLE_MAX_SEGMENTS} segments (PS3.5 G.2)"
        )

    data = <const uint8_t*>cnp.PyArray_DATA(arr)
    scratch = _encode_scratch(bound)
    buf = <uint8_t*><char*>scratch
    with nogil:
        status = rle_encode_frame(
            data, row_stride, column_stride, sample_stride, big_endian, &image,
            buf, bound, &length, &report,
        )
    if status != RLE_OK:
        raise _report_error(&report)
    return PyBytes_FromStringAndSize(<char*>buf, <Py_ssize_t>length)


_thread_state = threading.local()
_KEEP_SCRATCH_BYTES = 64 << 20


cdef bytearray _encode_scratch(size_t size):
    """This thread's encoding buffer, grown to at least ``size`` bytes.

    Encoding into a buffer that lives as long as the thread, then copying the (smaller)
    result out, costs one memcpy per frame; allocating a worst-case-sized result per
    frame and shrinking it instead makes the allocator hand memory back to the OS and
    fault it in again for every frame, which is slower and serialises threads.
    """
    cdef bytearray scratch = getattr(_thread_state, "scratch", None)
    if scratch is None or <size_t>len(scratch) < size:
        scratch = bytearray(<Py_ssize_t>size)
        # Very large frames are rare: their buffer is not kept alive with the thread.
        if size <= _KEEP_SCRATCH_BYTES:
            _thread_state.scratch = scratch
    return scratch


def encode_row(src):
    """PackBits-code one byte sequence with the fewest bytes (PS3.5 G.3.1); for tests."""
    cdef Py_buffer view
    cdef bytearray out
    cdef char *dst
    cdef size_t length
    PyObject_GetBuffer(src, &view, PyBUF_SIMPLE)
    try:
        # One spare byte so the buffer pointer is valid even for empty input.
        out = bytearray(<Py_ssize_t>(view.len + (view.len + 127) // 128 + 1))
        dst = out
        with nogil:
            length = rle_encode_row(<const uint8_t*>view.buf, <size_t>view.len,
                                    <uint8_t*>dst)
    finally:
        PyBuffer_Release(&view)
    return bytes(out[:length])
