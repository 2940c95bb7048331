/*
 * Native pixel data unpacking kernels; see unpack.h for the contracts.
 */
#include "unpack.h"

#include <math.h>
#include <string.h>

/* Byte reversal of one sample; the compilers turn these into bswap. */
static inline uint16_t swap16(uint16_t v) { return (uint16_t)((v >> 8) | (v << 8)); }

static inline uint32_t swap32(uint32_t v)
{
    return ((v & 0x000000FFu) << 24) | ((v & 0x0000FF00u) << 8) |
           ((v & 0x00FF0000u) >> 8) | ((v & 0xFF000000u) >> 24);
}

static inline uint64_t swap64(uint64_t v)
{
    return ((uint64_t)swap32((uint32_t)v) << 32) | swap32((uint32_t)(v >> 32));
}

static int check(int itemsize, int bits_stored)
{
    if (itemsize != 1 && itemsize != 2 && itemsize != 4 && itemsize != 8)
        return DC_UNPACK_BAD_ITEMSIZE;
    if (bits_stored < 0 || bits_stored > itemsize * 8)
        return DC_UNPACK_BAD_BITS;
    return DC_UNPACK_OK;
}

/*
 * One loop per sample size and kind of work, so that each is a simple loop the
 * compiler vectorises. Unaligned sources (odd offsets into a file buffer) are
 * read through memcpy, which compiles to a plain load on x86 and ARM.
 */
#define DEFINE_COPY(BITS, UTYPE, STYPE, SWAP)                                              \
    static void copy_##BITS(const uint8_t *src, uint8_t *dst, size_t count, int swap,    \
                            int shift, int is_signed, size_t src_step, size_t dst_step)  \
    {                                                                                     \
        const UTYPE mask = (UTYPE)((UTYPE)~(UTYPE)0 >> shift);               \
        for (size_t i = 0; i < count; i++) {                                              \
            UTYPE v;                                                                      \
            memcpy(&v, src + i * src_step, sizeof v);                                     \
            if (swap)                                                                     \
                v = SWAP(v);                                                              \
            if (shift) {                                                                  \
                if (is_signed)                                                            \
                    v = (UTYPE)((STYPE)(v << shift) >> shift);                            \
                else                                                                      \
                    v &= mask;                                                            \
            }                                                                             \
            memcpy(dst + i * dst_step, &v, sizeof v);                                     \
        }                                                                                 \
    }

#define IDENTITY(v) (v)
DEFINE_COPY(8, uint8_t, int8_t, IDENTITY)
DEFINE_COPY(16, uint16_t, int16_t, swap16)
DEFINE_COPY(32, uint32_t, int32_t, swap32)
DEFINE_COPY(64, uint64_t, int64_t, swap64)

/* Dense copies get their own loops: with the strides known the compiler vectorises. */
#define DEFINE_DENSE(BITS, UTYPE, STYPE, SWAP)                                             \
    static void dense_##BITS(const uint8_t *src, uint8_t *dst, size_t count, int swap,   \
                             int shift, int is_signed)                                    \
    {                                                                                     \
        UTYPE *out = (UTYPE *)dst;                                                        \
        const UTYPE mask = (UTYPE)((UTYPE)~(UTYPE)0 >> shift);               \
        if (swap && !shift) {                                                             \
            for (size_t i = 0; i < count; i++) {                                          \
                UTYPE v;                                                                  \
                memcpy(&v, src + i * sizeof v, sizeof v);                                 \
                out[i] = SWAP(v);                                                         \
            }                                                                             \
        } else if (!swap && is_signed) {                                                  \
            for (size_t i = 0; i < count; i++) {                                          \
                UTYPE v;                                                                  \
                memcpy(&v, src + i * sizeof v, sizeof v);                                 \
                out[i] = (UTYPE)((STYPE)(v << shift) >> shift);                           \
            }                                                                             \
        } else if (!swap) {                                                               \
            for (size_t i = 0; i < count; i++) {                                          \
                UTYPE v;                                                                  \
                memcpy(&v, src + i * sizeof v, sizeof v);                                 \
                out[i] = v & mask;                                                        \
            }                                                                             \
        } else {                                                                          \
            copy_##BITS(src, dst, count, swap, shift, is_signed, sizeof(UTYPE),          \
                        sizeof(UTYPE));                                                   \
        }                                                                                 \
    }

DEFINE_DENSE(8, uint8_t, int8_t, IDENTITY)
DEFINE_DENSE(16, uint16_t, int16_t, swap16)
DEFINE_DENSE(32, uint32_t, int32_t, swap32)
DEFINE_DENSE(64, uint64_t, int64_t, swap64)

static void strided(const uint8_t *src, uint8_t *dst, size_t count, int itemsize, int swap,
                    int shift, int is_signed, size_t src_step, size_t dst_step)
{
    switch (itemsize) {
    case 1: copy_8(src, dst, count, swap, shift, is_signed, src_step, dst_step); break;
    case 2: copy_16(src, dst, count, swap, shift, is_signed, src_step, dst_step); break;
    case 4: copy_32(src, dst, count, swap, shift, is_signed, src_step, dst_step); break;
    default: copy_64(src, dst, count, swap, shift, is_signed, src_step, dst_step); break;
    }
}

int dc_copy_samples(const uint8_t *src, uint8_t *dst, size_t count, int itemsize, int swap,
                    int bits_stored, int is_signed)
{
    int status = check(itemsize, bits_stored);
    if (status != DC_UNPACK_OK)
        return status;
    int shift = bits_stored ? itemsize * 8 - bits_stored : 0;
    if (itemsize == 1)
        swap = 0;
    if (!swap && !shift) {
        memcpy(dst, src, count * (size_t)itemsize);
        return DC_UNPACK_OK;
    }
    switch (itemsize) {
    case 1: dense_8(src, dst, count, swap, shift, is_signed); break;
    case 2: dense_16(src, dst, count, swap, shift, is_signed); break;
    case 4: dense_32(src, dst, count, swap, shift, is_signed); break;
    default: dense_64(src, dst, count, swap, shift, is_signed); break;
    }
    return DC_UNPACK_OK;
}

int dc_interleave_planes(const uint8_t *src, uint8_t *dst, size_t pixels, int samples,
                         int itemsize, int swap, int bits_stored, int is_signed)
{
    int status = check(itemsize, bits_stored);
    if (status != DC_UNPACK_OK)
        return status;
    if (samples < 1)
        return DC_UNPACK_BAD_SAMPLES;
    int shift = bits_stored ? itemsize * 8 - bits_stored : 0;
    if (itemsize == 1)
        swap = 0;
    size_t step = (size_t)samples * (size_t)itemsize;
    /* Work through the image in blocks so that the planes being read and the
     * interleaved block being written all stay in cache. */
    const size_t block = 4096;
    for (size_t start = 0; start < pixels; start += block) {
        size_t n = pixels - start < block ? pixels - start : block;
        for (int s = 0; s < samples; s++) {
            const uint8_t *plane = src + ((size_t)s * pixels + start) * (size_t)itemsize;
            uint8_t *out = dst + start * step + (size_t)s * (size_t)itemsize;
            strided(plane, out, n, itemsize, swap, shift, is_signed, (size_t)itemsize, step);
        }
    }
    return DC_UNPACK_OK;
}

void dc_unpack_bits(const uint8_t *src, uint64_t bit_offset, uint8_t *dst, size_t count)
{
    const uint8_t *p = src + (bit_offset >> 3);
    unsigned first = (unsigned)(bit_offset & 7);
    size_t i = 0;
    /* Leading bits up to the next byte boundary. */
    if (first) {
        uint8_t byte = *p++;
        for (unsigned b = first; b < 8 && i < count; b++)
            dst[i++] = (uint8_t)((byte >> b) & 1u);
    }
    /* Whole bytes, eight pixels each. */
    for (; i + 8 <= count; i += 8) {
        uint8_t byte = *p++;
        dst[i + 0] = byte & 1u;
        dst[i + 1] = (byte >> 1) & 1u;
        dst[i + 2] = (byte >> 2) & 1u;
        dst[i + 3] = (byte >> 3) & 1u;
        dst[i + 4] = (byte >> 4) & 1u;
        dst[i + 5] = (byte >> 5) & 1u;
        dst[i + 6] = (byte >> 6) & 1u;
        dst[i + 7] = (byte >> 7) & 1u;
    }
    if (i < count) {
        uint8_t byte = *p;
        for (unsigned b = 0; i < count; b++)
            dst[i++] = (uint8_t)((byte >> b) & 1u);
    }
}

void dc_pack_bits(const uint8_t *src, size_t count, uint8_t *dst)
{
    size_t whole = count / 8;
    for (size_t j = 0; j < whole; j++) {
        const uint8_t *s = src + j * 8;
        dst[j] = (uint8_t)((s[0] != 0) | (s[1] != 0) << 1 | (s[2] != 0) << 2 |
                           (s[3] != 0) << 3 | (s[4] != 0) << 4 | (s[5] != 0) << 5 |
                           (s[6] != 0) << 6 | (s[7] != 0) << 7);
    }
    if (count % 8) {
        uint8_t byte = 0;
        for (size_t i = whole * 8, b = 0; i < count; i++, b++)
            byte |= (uint8_t)((src[i] != 0) << b);
        dst[whole] = byte;
    }
}

int dc_expand_ybr422(const uint8_t *src, uint8_t *dst, size_t pairs, int itemsize, int swap,
                     int bits_stored, int is_signed)
{
    int status = check(itemsize, bits_stored);
    if (status != DC_UNPACK_OK)
        return status;
    int shift = bits_stored ? itemsize * 8 - bits_stored : 0;
    if (itemsize == 1)
        swap = 0;
    size_t in_step = 4 * (size_t)itemsize;
    size_t out_step = 6 * (size_t)itemsize;
    size_t is = (size_t)itemsize;
    /* Output position k of each pair takes input sample order[k]. */
    static const int order[6] = {0, 2, 3, 1, 2, 3};
    for (int k = 0; k < 6; k++)
        strided(src + order[k] * is, dst + k * is, pairs, itemsize, swap, shift, is_signed,
                in_step, out_step);
    return DC_UNPACK_OK;
}

void dc_ybr_full_to_rgb_u8(const uint8_t *src, uint8_t *dst, size_t pixels)
{
    /* Single precision, in the order a float32 matrix product takes, so that
     * the rounding matches what NumPy-based readers produce. */
    const float cb_g = (float)(-0.114 * 1.772 / 0.587);
    const float cr_g = (float)(-0.299 * 1.402 / 0.587);
    for (size_t i = 0; i < pixels; i++) {
        float y = (float)src[3 * i];
        float cb = (float)src[3 * i + 1] - 128.0f;
        float cr = (float)src[3 * i + 2] - 128.0f;
        float rgb[3];
        rgb[0] = y + cb * 0.0f + cr * 1.402f;
        rgb[1] = y + cb * cb_g + cr * cr_g;
        rgb[2] = y + cb * 1.772f + cr * 0.0f;
        for (int c = 0; c < 3; c++) {
            float v = floorf(rgb[c] + 0.5f);
            v = v < 0.0f ? 0.0f : (v > 255.0f ? 255.0f : v);
            dst[3 * i + c] = (uint8_t)v;
        }
    }
}
