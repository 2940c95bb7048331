/*
 * Native (uncompressed) pixel data unpacking kernels (PS3.5 Section 8.1, 8.2).
 *
 * Plain C99 on caller-owned buffers, no allocation and no global state, so any
 * number of threads may call these at once on different parts of the data.
 * Every function takes the exact number of items to read and write: callers
 * check those counts against the buffer sizes before calling.
 *
 * "Samples" are what Bits Allocated holds: 1, 2, 4 or 8 bytes each. Output is
 * always native-endian, interleaved (planar configuration 0), with the unused
 * high bits of every sample cleared (unsigned) or filled with the sign bit
 * (signed) when Bits Stored is below the sample size (PS3.5 Section 8.1.1).
 */
#ifndef DICOMCORE_UNPACK_H
#define DICOMCORE_UNPACK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Returned by the functions that check their arguments. */
enum dc_unpack_status {
    DC_UNPACK_OK = 0,
    DC_UNPACK_BAD_ITEMSIZE = 1,   /* itemsize is not 1, 2, 4 or 8 */
    DC_UNPACK_BAD_BITS = 2,       /* bits_stored outside 1 .. itemsize * 8 */
    DC_UNPACK_BAD_SAMPLES = 3     /* samples per pixel below 1 */
};

/*
 * Copy `count` samples of `itemsize` bytes from `src` to `dst`, reversing the
 * byte order of each when `swap` is set, then keeping only the low
 * `bits_stored` bits (zero- or sign-extended by `is_signed`). bits_stored of 0
 * or itemsize * 8 keeps every bit. `src` and `dst` must not overlap.
 */
int dc_copy_samples(const uint8_t *src, uint8_t *dst, size_t count, int itemsize,
                    int swap, int bits_stored, int is_signed);

/*
 * One frame of colour-by-plane data (planar configuration 1: all of sample 0,
 * then all of sample 1, ...) to colour-by-pixel order, with the same byte
 * order and bit handling as dc_copy_samples. `pixels` is rows * columns.
 */
int dc_interleave_planes(const uint8_t *src, uint8_t *dst, size_t pixels, int samples,
                         int itemsize, int swap, int bits_stored, int is_signed);

/*
 * Unpack `count` 1-bit pixels to one byte (0 or 1) each, starting `bit_offset`
 * bits into `src`; bits are taken least significant first (PS3.5 Section 8.1.1
 * and Annex D). `src` must hold at least (bit_offset + count + 7) / 8 bytes.
 */
void dc_unpack_bits(const uint8_t *src, uint64_t bit_offset, uint8_t *dst, size_t count);

/*
 * Pack `count` bytes (zero or non-zero) to bits, least significant first;
 * writes (count + 7) / 8 bytes, the unused high bits of the last byte zero.
 */
void dc_pack_bits(const uint8_t *src, size_t count, uint8_t *dst);

/*
 * YBR_FULL_422 samples (Y1 Y2 Cb Cr for each pair of pixels, PS3.3 C.7.6.3.1.2)
 * to full YBR_FULL pixels (Y1 Cb Cr Y2 Cb Cr): `pairs` groups of 4 samples in,
 * 6 out, each `itemsize` bytes, with the byte order and bit handling above.
 */
int dc_expand_ybr422(const uint8_t *src, uint8_t *dst, size_t pairs, int itemsize,
                     int swap, int bits_stored, int is_signed);

/*
 * 8-bit YBR_FULL to RGB (PS3.3 C.7.6.3.1.2, the ITU-R BT.601 full range
 * equations), in place allowed: `pixels` triplets. Results are rounded to
 * nearest and clipped to 0 .. 255.
 */
void dc_ybr_full_to_rgb_u8(const uint8_t *src, uint8_t *dst, size_t pixels);

#ifdef __cplusplus
}
#endif

#endif
