/*
 * DICOM RLE Lossless (PS3.5 Annex G) decoder and encoder kernel.
 *
 * Plain C99 with no Python in it: every function works on caller-owned
 * buffers, keeps no global state and allocates only its own scratch memory,
 * so any number of threads may call it at once on different data.
 *
 * Frame layout (PS3.5 G.2, G.4, G.5): a 64-byte header of sixteen
 * little-endian uint32 values (the segment count, then up to 15 segment
 * offsets), followed by one PackBits-coded segment per byte plane: for each
 * sample, the most significant byte plane first.
 *
 * Decoded pixels are written interleaved (planar configuration 0) as
 * native-endian samples, i.e. byte for byte what a NumPy array of shape
 * (rows, columns[, samples]) holds.
 */
#ifndef DICOMCORE_RLE_H
#define DICOMCORE_RLE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RLE_HEADER_LENGTH 64
#define RLE_MAX_SEGMENTS 15
#define RLE_MESSAGE_SIZE 320

/* What went wrong. The first problem found is kept in rle_report.status. */
enum rle_status {
    RLE_OK = 0,
    RLE_BAD_ARGUMENT,        /* geometry or buffer sizes passed by the caller */
    RLE_NO_MEMORY,           /* scratch allocation failed */
    RLE_HEADER_TRUNCATED,    /* fewer than 64 bytes of frame data */
    RLE_SEGMENT_COUNT,       /* header count is 0, > 15 or not what the image needs */
    RLE_OFFSET_IN_HEADER,    /* a segment offset points inside the header */
    RLE_OFFSET_ORDER,        /* segment offsets do not increase */
    RLE_OFFSET_PAST_END,     /* a segment offset lies beyond the frame data */
    RLE_SEGMENT_TRUNCATED,   /* segment data ended before its byte plane was full */
    RLE_LITERAL_TRUNCATED,   /* a literal run needs more bytes than the segment has */
    RLE_RUN_OVERFLOW         /* a run (or further runs) would go past the byte plane */
};

/* Decoder flags. */
#define RLE_LENIENT 1u             /* decode what can be decoded, zero the rest */
#define RLE_SEGMENTS_LSB_FIRST 2u  /* non-conformant little-endian segment order */

typedef struct rle_report {
    int status;          /* first problem, RLE_OK if none */
    int segment;         /* 1-based segment number of that problem (as in G.5), 0 if none */
    uint64_t offset;     /* byte offset in the frame data where it was found */
    uint32_t problems;   /* problems found in total (lenient decoding goes on) */
    char message[RLE_MESSAGE_SIZE];
} rle_report;

typedef struct rle_image {
    uint32_t rows;
    uint32_t columns;
    uint32_t samples_per_pixel;
    uint32_t bytes_per_sample;   /* bits allocated / 8: 1, 2, 4 or 8 */
} rle_image;

/*
 * Decode one frame into dst, which must hold exactly
 * rows * columns * samples_per_pixel * bytes_per_sample bytes.
 *
 * bits_stored: when non-zero and below bytes_per_sample * 8, the unused high
 * bits of every sample are cleared (is_signed == 0) or filled with the sign
 * bit (is_signed != 0), as PS3.5 8.1.1 asks readers to treat them.
 *
 * Returns the status of the first problem (also in report). In strict mode the
 * contents of dst are unspecified after an error; with RLE_LENIENT every byte
 * that could not be decoded is zero and RLE_OK is returned only if there was
 * no problem at all. dst is never written outside its dst_length bytes.
 */
int rle_decode_frame(const uint8_t *src, size_t src_length,
                     uint8_t *dst, size_t dst_length,
                     const rle_image *image, unsigned flags,
                     unsigned bits_stored, int is_signed,
                     rle_report *report);

/* Most bytes rle_encode_frame can produce for this image. */
size_t rle_encode_bound(const rle_image *image);

/*
 * Encode one frame. Sample (row r, column c, sample s) starts at
 * src + r * row_stride + c * column_stride + s * sample_stride (strides in
 * bytes, so any NumPy layout works without a copy); its bytes are little-endian
 * unless big_endian_samples is non-zero.
 *
 * Each row of each byte plane is coded on its own (PS3.5 G.3.1) with the
 * fewest bytes PackBits allows; segments are padded to even length.
 * dst_capacity must be at least rle_encode_bound(image).
 */
int rle_encode_frame(const uint8_t *src, ptrdiff_t row_stride, ptrdiff_t column_stride,
                     ptrdiff_t sample_stride, int big_endian_samples,
                     const rle_image *image,
                     uint8_t *dst, size_t dst_capacity, size_t *encoded_length,
                     rle_report *report);

/*
 * Encode one byte sequence (one row of one byte plane) with the fewest bytes
 * PackBits allows; dst must hold length + (length + 127) / 128 bytes.
 * Returns the number of bytes written. Exposed for tests and future callers
 * that build segments themselves.
 */
size_t rle_encode_row(const uint8_t *src, size_t length, uint8_t *dst);

#ifdef __cplusplus
}
#endif

#endif /* DICOMCORE_RLE_H */
