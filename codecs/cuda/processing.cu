/*
 * Pixel processing on the GPU: modality rescale, VOI windowing, scaling to an
 * output range, and YBR_FULL to RGB.
 *
 * dc_transform_<in>_<out> does, per sample, in double precision and in the
 * order pydicom 3's NumPy functions do (so the float64 results are equal and
 * the narrower ones are the same values rounded once):
 *
 *   y = x * slope + intercept                       rescale (PS3.3 C.11.1.1.2)
 *   y = window(y)                                   VOI LUT function (C.11.2.1.2)
 *   out = y * scale + offset                        e.g. to [0, 1] for training
 *
 * with one row of parameters per frame (frames from different datasets carry
 * their own slope, window and range):
 *
 *   params[8 * f + 0..7] = slope, intercept, center, width, y_min, y_max,
 *                          scale, offset
 *   modes[f] = 0: no windowing, 1: linear, 2: sigmoid
 *
 * For LINEAR the host passes center - 0.5 and width - 1 (C.11.2.1.2.1), so
 * LINEAR and LINEAR_EXACT (C.11.2.1.3.2) share the linear formula. Build with
 * fused multiply-add off (--fmad=false) so every product and sum is rounded
 * as NumPy rounds it.
 *
 * dicomcore.gpu.processing holds the NumPy reference.
 */
#include "common.cuh"

#define DC_MODE_NONE 0
#define DC_MODE_LINEAR 1
#define DC_MODE_SIGMOID 2

DC_INLINE double dc_transform_value(double x, const double *__restrict__ p, dc_i32 mode)
{
    double y = x * p[0];
    y = y + p[1];
    if (mode == DC_MODE_LINEAR) {
        const double center = p[2];
        const double width = p[3];
        if (y <= center - width / 2)
            y = p[4];
        else if (y > center + width / 2)
            y = p[5];
        else
            y = ((y - center) / width + 0.5) * (p[5] - p[4]) + p[4];
    } else if (mode == DC_MODE_SIGMOID) {
        y = (p[5] - p[4]) / (1 + exp(-4 * (y - p[2]) / p[3])) + p[4];
    }
    y = y * p[6];
    return y + p[7];
}

DC_INLINE void dc_store(dc_u16 *out, dc_i64 i, double value)
{
    out[i] = dc_double_to_half_bits(value);
}

DC_INLINE void dc_store(float *out, dc_i64 i, double value)
{
    out[i] = (float)value;
}

DC_INLINE void dc_store(double *out, dc_i64 i, double value)
{
    out[i] = value;
}

template <typename In, typename Out>
DC_INLINE void dc_transform(const In *__restrict__ src, Out *__restrict__ out, dc_i64 count,
                            dc_i64 frame_elements, const double *__restrict__ params,
                            const dc_i32 *__restrict__ modes)
{
    DC_GRID_LOOP(i, count)
    {
        const dc_i64 frame = i / frame_elements;
        dc_store(out, i, dc_transform_value((double)src[i], params + 8 * frame, modes[frame]));
    }
}

/* float16 output is written as its bits (dc_u16): no half type is needed. */
#define DC_DEFINE_TRANSFORM(IN_NAME, IN, OUT_NAME, OUT)                                     \
    DC_KERNEL dc_transform_##IN_NAME##_##OUT_NAME(const IN *src, OUT *out, dc_i64 count,     \
                                                  dc_i64 frame_elements,                     \
                                                  const double *params, const dc_i32 *modes) \
    {                                                                                        \
        dc_transform<IN, OUT>(src, out, count, frame_elements, params, modes);               \
    }

#define DC_DEFINE_TRANSFORMS(IN_NAME, IN)                                                   \
    DC_DEFINE_TRANSFORM(IN_NAME, IN, f16, dc_u16)                                           \
    DC_DEFINE_TRANSFORM(IN_NAME, IN, f32, float)                                            \
    DC_DEFINE_TRANSFORM(IN_NAME, IN, f64, double)

DC_DEFINE_TRANSFORMS(u8, dc_u8)
DC_DEFINE_TRANSFORMS(i8, dc_i8)
DC_DEFINE_TRANSFORMS(u16, dc_u16)
DC_DEFINE_TRANSFORMS(i16, dc_i16)
DC_DEFINE_TRANSFORMS(u32, dc_u32)
DC_DEFINE_TRANSFORMS(i32, dc_i32)
DC_DEFINE_TRANSFORMS(f32, float)
DC_DEFINE_TRANSFORMS(f64, double)

/*
 * YBR_FULL to RGB for 8-bit samples (PS3.3 C.7.6.3.1.2, ITU-T T.871 section
 * 7), in single precision as pydicom 3 computes it: R = Y + cr_r (Cr - 128),
 * G = Y + cb_g (Cb - 128) + cr_g (Cr - 128), B = Y + cb_b (Cb - 128), each
 * rounded half up and clipped to 0..255. The coefficients come from the host
 * as the float32 values pydicom uses. src may equal out.
 */
DC_KERNEL dc_ybr_full_to_rgb_u8(const dc_u8 *src, dc_u8 *out, dc_i64 pixels, float cr_r,
                                float cb_g, float cr_g, float cb_b)
{
    DC_GRID_LOOP(i, pixels)
    {
        const float y = (float)src[3 * i];
        const float cb = (float)src[3 * i + 1] - 128.0f;
        const float cr = (float)src[3 * i + 2] - 128.0f;
        float rgb[3];
        rgb[0] = y + cr * cr_r;
        rgb[1] = (y + cb * cb_g) + cr * cr_g;
        rgb[2] = y + cb * cb_b;
        for (int k = 0; k < 3; k++) {
            float v = floorf(rgb[k] + 0.5f);
            v = v < 0.0f ? 0.0f : (v > 255.0f ? 255.0f : v);
            out[3 * i + k] = (dc_u8)v;
        }
    }
}

/*
 * RGB to YBR_FULL for 8-bit samples (PS3.3 C.7.6.3.1.2), as pydicom 3 computes
 * it in single precision: each output is the sum over R, G, B of sample times
 * coefficient (m[3 * input + output], row-major like pydicom's matrix), plus
 * 0.5 (Y) or 128.5 (Cb, Cr), floored and clipped to 0..255. src may equal out.
 */
DC_KERNEL dc_rgb_to_ybr_full_u8(const dc_u8 *src, dc_u8 *out, dc_i64 pixels,
                                const float *__restrict__ m)
{
    DC_GRID_LOOP(i, pixels)
    {
        const float r = (float)src[3 * i];
        const float g = (float)src[3 * i + 1];
        const float b = (float)src[3 * i + 2];
        float ybr[3];
        for (int k = 0; k < 3; k++)
            ybr[k] = (r * m[k] + g * m[3 + k]) + b * m[6 + k];
        ybr[0] = ybr[0] + 0.5f;
        ybr[1] = ybr[1] + 128.5f;
        ybr[2] = ybr[2] + 128.5f;
        for (int k = 0; k < 3; k++) {
            float v = floorf(ybr[k]);
            v = v < 0.0f ? 0.0f : (v > 255.0f ? 255.0f : v);
            out[3 * i + k] = (dc_u8)v;
        }
    }
}
