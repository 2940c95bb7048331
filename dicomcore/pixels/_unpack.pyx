# cython: language_level=3
"""Binding of the native unpacking kernels (``codecs/unpack/unpack.c``).

Every function checks the item counts against the buffers it was given before the
kernel runs, then runs it without the GIL, so callers may split one large copy over
threads. :mod:`dicomcore.pixels.native` decides what to call.
"""

from libc.stdint cimport uint8_t, uint64_t

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize


cdef extern from "unpack.h" nogil:
    int dc_copy_samples(const uint8_t *src, uint8_t *dst, size_t count, int itemsize,
                        int swap, int bits_stored, int is_signed)
    int dc_interleave_planes(const uint8_t *src, uint8_t *dst, size_t pixels, int samples,
                             int itemsize, int swap, int bits_stored, int is_signed)
    void dc_unpack_bits(const uint8_t *src, uint64_t bit_offset, uint8_t *dst, size_t count)
    void dc_pack_bits(const uint8_t *src, size_t count, uint8_t *dst)
    int dc_expand_ybr422(const uint8_t *src, uint8_t *dst, size_t pairs, int itemsize,
                         int swap, int bits_stored, int is_signed)
    void dc_ybr_full_to_rgb_u8(const uint8_t *src, uint8_t *dst, size_t pixels)


cdef inline void _need(Py_ssize_t have, Py_ssize_t offset, Py_ssize_t length,
                       str what) except *:
    if offset < 0 or length < 0 or offset > have or length > have - offset:
        raise ValueError(
            f"{what} needs bytes {offset} to {offset + length} but has {have}"
        )


cdef inline void _status(int status) except *:
    if status == 1:
        raise ValueError("the sample size must be 1, 2, 4 or 8 bytes")
    if status == 2:
        raise ValueError("bits stored must be between 1 and the sample size in bits")
    if status == 3:
        raise ValueError("samples per pixel must be at least 1")


def copy_samples(const uint8_t[::1] src, Py_ssize_t src_offset, uint8_t[::1] dst,
                 Py_ssize_t dst_offset, Py_ssize_t count, int itemsize, bint swap=False,
                 int bits_stored=0, bint is_signed=False):
    """Copy ``count`` samples, swapping bytes and fixing the unused high bits."""
    _need(src.shape[0], src_offset, count * itemsize, "the source")
    _need(dst.shape[0], dst_offset, count * itemsize, "the destination")
    cdef int status
    if count == 0:
        return
    with nogil:
        status = dc_copy_samples(&src[src_offset], &dst[dst_offset], <size_t>count,
                                 itemsize, swap, bits_stored, is_signed)
    _status(status)


def interleave_planes(const uint8_t[::1] src, Py_ssize_t src_offset, uint8_t[::1] dst,
                      Py_ssize_t dst_offset, Py_ssize_t frames, Py_ssize_t pixels,
                      int samples, int itemsize, bint swap=False, int bits_stored=0,
                      bint is_signed=False):
    """Planar configuration 1 frames to interleaved samples, frame by frame."""
    if samples < 1 or frames < 0 or pixels < 0:
        raise ValueError("frames, pixels and samples must not be negative")
    cdef Py_ssize_t frame_bytes = pixels * samples * itemsize
    _need(src.shape[0], src_offset, frames * frame_bytes, "the source")
    _need(dst.shape[0], dst_offset, frames * frame_bytes, "the destination")
    cdef int status = 0
    cdef Py_ssize_t f
    if frames == 0 or frame_bytes == 0:
        return
    with nogil:
        for f in range(frames):
            status = dc_interleave_planes(
                &src[src_offset + f * frame_bytes], &dst[dst_offset + f * frame_bytes],
                <size_t>pixels, samples, itemsize, swap, bits_stored, is_signed)
            if status:
                break
    _status(status)


def unpack_bits(const uint8_t[::1] src, unsigned long long bit_offset, uint8_t[::1] dst,
                Py_ssize_t dst_offset, Py_ssize_t count):
    """Unpack ``count`` 1-bit pixels (least significant bit first) to bytes."""
    if count < 0:
        raise ValueError("count must not be negative")
    cdef unsigned long long last_bit = bit_offset + <unsigned long long>count
    if last_bit > <unsigned long long>src.shape[0] * 8:
        raise ValueError(
            f"the source has {src.shape[0] * 8} bits, {last_bit} are needed"
        )
    _need(dst.shape[0], dst_offset, count, "the destination")
    if count == 0:
        return
    with nogil:
        dc_unpack_bits(&src[0], bit_offset, &dst[dst_offset], <size_t>count)


def pack_bits(const uint8_t[::1] src):
    """Pack bytes (zero or not) to bits, least significant first; returns bytes."""
    cdef Py_ssize_t count = src.shape[0]
    out = PyBytes_FromStringAndSize(NULL, (count + 7) // 8)
    cdef uint8_t *dst = <uint8_t *>PyBytes_AS_STRING(out)
    if count:
        with nogil:
            dc_pack_bits(&src[0], <size_t>count, dst)
    return out


def expand_ybr422(const uint8_t[::1] src, Py_ssize_t src_offset, uint8_t[::1] dst,
                  Py_ssize_t dst_offset, Py_ssize_t pairs, int itemsize, bint swap=False,
                  int bits_stored=0, bint is_signed=False):
    """YBR_FULL_422 sample groups (Y1 Y2 Cb Cr) to YBR_FULL pixels."""
    if pairs < 0:
        raise ValueError("pairs must not be negative")
    _need(src.shape[0], src_offset, pairs * 4 * itemsize, "the source")
    _need(dst.shape[0], dst_offset, pairs * 6 * itemsize, "the destination")
    cdef int status
    if pairs == 0:
        return
    with nogil:
        status = dc_expand_ybr422(&src[src_offset], &dst[dst_offset], <size_t>pairs,
                                  itemsize, swap, bits_stored, is_signed)
    _status(status)


def ybr_full_to_rgb_u8(const uint8_t[::1] src, uint8_t[::1] dst):
    """8-bit YBR_FULL triplets to RGB (may be the same buffer)."""
    if src.shape[0] % 3 or dst.shape[0] != src.shape[0]:
        raise ValueError("source and destination must hold the same whole pixels")
    cdef Py_ssize_t pixels = src.shape[0] // 3
    if pixels == 0:
        return
    with nogil:
        dc_ybr_full_to_rgb_u8(&src[0], &dst[0], <size_t>pixels)
