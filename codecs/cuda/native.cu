/*
 * Native (uncompressed) pixel data to samples on the GPU (PS3.5 Section 8).
 *
 * The raw bytes of one or more frames are uploaded as they are stored; these
 * kernels do what unpacking needs, one thread per output sample (or pixel
 * pair for YBR_FULL_422):
 *
 *   - bit-packed 1-bit pixels, least significant bit first, where a frame may
 *     start inside a byte (PS3.5 Section 8.1.1 and 8.2);
 *   - byte order: little endian, big endian (Explicit VR Big Endian), or
 *     8-bit samples stored as big endian OW, whose bytes are swapped in pairs;
 *   - planar configuration 1 (colour-by-plane) to colour-by-pixel (PS3.3
 *     C.7.6.3.1.3);
 *   - YBR_FULL_422, two luminance samples sharing one chroma pair, to three
 *     samples per pixel (PS3.3 C.7.6.3.1.2);
 *   - the bits above Bits Stored cleared or sign-extended (PS3.5 8.1.1).
 *
 * dicomcore.gpu.native holds the NumPy reference.
 */
#include "common.cuh"

DC_KERNEL dc_unpack_bits1(const dc_u8 *__restrict__ src, dc_u8 *__restrict__ out, dc_i64 count,
                          dc_i64 first_bit)
{
    DC_GRID_LOOP(i, count)
    {
        const dc_i64 bit = first_bit + i;
        out[i] = (dc_u8)((src[bit >> 3] >> (bit & 7)) & 1);
    }
}

/* Sample `index` (counted in samples from src_start) as an unsigned value.
 * pair_swap: 8-bit data stored as big endian OW (bytes swapped in pairs
 * relative to src's start, which the host keeps at an even offset). */
template <typename T>
DC_INLINE T dc_load_sample(const dc_u8 *__restrict__ src, dc_i64 src_start, dc_i64 index,
                           dc_i32 big_endian, dc_i32 pair_swap)
{
    const dc_i32 width = (dc_i32)sizeof(T);
    const dc_i64 at = src_start + index * width;
    if (width == 1)
        return (T)src[pair_swap ? (at ^ 1) : at];
    T value = 0;
    for (dc_i32 b = 0; b < width; b++) {
        const T byte = src[at + b];
        const dc_i32 shift = 8 * (big_endian ? width - 1 - b : b);
        value = (T)(value | (T)(byte << shift));
    }
    return value;
}

/*
 * frames x pixels x samples output samples, interleaved; the source holds
 * them interleaved too (planar == 0) or as one plane per sample per frame.
 */
template <typename T>
DC_INLINE void dc_unpack(const dc_u8 *__restrict__ src, dc_i64 src_start, T *__restrict__ out,
                         dc_i64 frames, dc_i64 pixels, dc_i32 samples, dc_i32 planar,
                         dc_i32 big_endian, dc_i32 pair_swap, dc_i32 fix_bits,
                         dc_i32 is_signed)
{
    const dc_i64 per_frame = pixels * samples;
    DC_GRID_LOOP(i, frames * per_frame)
    {
        dc_i64 index = i;
        if (planar) {
            const dc_i64 frame = i / per_frame;
            const dc_i64 within = i - frame * per_frame;
            const dc_i64 pixel = within / samples;
            const dc_i64 sample = within - pixel * samples;
            index = frame * per_frame + sample * pixels + pixel;
        }
        T value = dc_load_sample<T>(src, src_start, index, big_endian, pair_swap);
        if (fix_bits)
            value = dc_fix_unused_bits<T>(value, fix_bits, is_signed);
        out[i] = value;
    }
}

#define DC_DEFINE_UNPACK(SUFFIX, T)                                                        \
    DC_KERNEL dc_unpack_##SUFFIX(const dc_u8 *src, dc_i64 src_start, T *out, dc_i64 frames, \
                                 dc_i64 pixels, dc_i32 samples, dc_i32 planar,              \
                                 dc_i32 big_endian, dc_i32 pair_swap, dc_i32 fix_bits,      \
                                 dc_i32 is_signed)                                          \
    {                                                                                       \
        dc_unpack<T>(src, src_start, out, frames, pixels, samples, planar, big_endian,      \
                     pair_swap, fix_bits, is_signed);                                       \
    }

DC_DEFINE_UNPACK(u8, dc_u8)
DC_DEFINE_UNPACK(u16, dc_u16)
DC_DEFINE_UNPACK(u32, dc_u32)
DC_DEFINE_UNPACK(u64, dc_u64)

/* YBR_FULL_422: each pair of pixels is stored Y1 Y2 Cb Cr and becomes
 * (Y1 Cb Cr) (Y2 Cb Cr). */
template <typename T>
DC_INLINE void dc_expand_ybr422(const dc_u8 *__restrict__ src, dc_i64 src_start,
                                T *__restrict__ out, dc_i64 pairs, dc_i32 big_endian,
                                dc_i32 pair_swap, dc_i32 fix_bits, dc_i32 is_signed)
{
    DC_GRID_LOOP(i, pairs)
    {
        T v[4];
        for (dc_i32 k = 0; k < 4; k++) {
            v[k] = dc_load_sample<T>(src, src_start, 4 * i + k, big_endian, pair_swap);
            if (fix_bits)
                v[k] = dc_fix_unused_bits<T>(v[k], fix_bits, is_signed);
        }
        T *pixel = out + 6 * i;
        pixel[0] = v[0];
        pixel[1] = v[2];
        pixel[2] = v[3];
        pixel[3] = v[1];
        pixel[4] = v[2];
        pixel[5] = v[3];
    }
}

#define DC_DEFINE_YBR422(SUFFIX, T)                                                         \
    DC_KERNEL dc_expand_ybr422_##SUFFIX(const dc_u8 *src, dc_i64 src_start, T *out,          \
                                        dc_i64 pairs, dc_i32 big_endian, dc_i32 pair_swap,   \
                                        dc_i32 fix_bits, dc_i32 is_signed)                   \
    {                                                                                        \
        dc_expand_ybr422<T>(src, src_start, out, pairs, big_endian, pair_swap, fix_bits,     \
                            is_signed);                                                      \
    }

DC_DEFINE_YBR422(u8, dc_u8)
DC_DEFINE_YBR422(u16, dc_u16)
DC_DEFINE_YBR422(u32, dc_u32)
DC_DEFINE_YBR422(u64, dc_u64)
