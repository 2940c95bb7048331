# cython: language_level=3
"""Declarations of dicomcore's own RLE Lossless kernel (``codecs/rle/rle.h``).

The kernel implements PS3.5 Annex G in plain C with no Python in it and no shared
state, so every function is declared ``nogil`` and any number of threads may call
it at once on different buffers.
"""

from libc.stddef cimport ptrdiff_t
from libc.stdint cimport uint8_t, uint32_t, uint64_t


cdef extern from "rle.h" nogil:
    enum:
        RLE_HEADER_LENGTH
        RLE_MAX_SEGMENTS
        RLE_MESSAGE_SIZE

    enum rle_status:
        RLE_OK
        RLE_BAD_ARGUMENT
        RLE_NO_MEMORY
        RLE_HEADER_TRUNCATED
        RLE_SEGMENT_COUNT
        RLE_OFFSET_IN_HEADER
        RLE_OFFSET_ORDER
        RLE_OFFSET_PAST_END
        RLE_SEGMENT_TRUNCATED
        RLE_LITERAL_TRUNCATED
        RLE_RUN_OVERFLOW

    enum:
        RLE_LENIENT
        RLE_SEGMENTS_LSB_FIRST

    ctypedef struct rle_report:
        int status
        int segment
        uint64_t offset
        uint32_t problems
        char message[RLE_MESSAGE_SIZE]

    ctypedef struct rle_image:
        uint32_t rows
        uint32_t columns
        uint32_t samples_per_pixel
        uint32_t bytes_per_sample

    int rle_decode_frame(const uint8_t *src, size_t src_length,
                         uint8_t *dst, size_t dst_length,
                         const rle_image *image, unsigned flags,
                         unsigned bits_stored, int is_signed,
                         rle_report *report)

    size_t rle_encode_bound(const rle_image *image)

    int rle_encode_frame(const uint8_t *src, ptrdiff_t row_stride, ptrdiff_t column_stride,
                         ptrdiff_t sample_stride, int big_endian_samples,
                         const rle_image *image,
                         uint8_t *dst, size_t dst_capacity, size_t *encoded_length,
                         rle_report *report)

    size_t rle_encode_row(const uint8_t *src, size_t length, uint8_t *dst)
