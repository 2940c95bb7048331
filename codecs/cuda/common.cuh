/*
 * Shared definitions for dicomcore's CUDA kernels.
 *
 * Every kernel is written as a grid-stride loop in which each index does
 * independent work: no shared memory, no __syncthreads, no atomics. That keeps
 * three builds of the same source possible:
 *
 *   - NVRTC, through cupy.RawModule (dicomcore.gpu.kernels inlines this header
 *     into each .cu file, so the compiled text is self-contained);
 *   - nvcc -c, which the test suite runs on every file to catch compile errors
 *     on machines without a GPU;
 *   - a plain C++ compiler, where the kernels become ordinary functions looping
 *     over every index in turn. The tests build that variant to check each
 *     kernel against its NumPy reference without a GPU.
 *
 * No standard header is included on the device side: NVRTC has none by default.
 */
#ifndef DICOMCORE_CUDA_COMMON_CUH
#define DICOMCORE_CUDA_COMMON_CUH

typedef unsigned char dc_u8;
typedef signed char dc_i8;
typedef unsigned short dc_u16;
typedef short dc_i16;
typedef unsigned int dc_u32;
typedef int dc_i32;
typedef unsigned long long dc_u64;
typedef long long dc_i64;

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define DC_DEVICE_BUILD 1
#define DC_KERNEL extern "C" __global__ void
#define DC_INLINE __device__ __forceinline__
/* 64-bit indices: a batch of frames easily exceeds 2^31 bytes. */
#define DC_GRID_LOOP(i, n)                                                              \
    for (dc_i64 i = (dc_i64)blockIdx.x * blockDim.x + threadIdx.x; i < (dc_i64)(n);    \
         i += (dc_i64)blockDim.x * gridDim.x)
#else
#include <math.h>
#define DC_DEVICE_BUILD 0
#define DC_KERNEL extern "C" void
#define DC_INLINE static inline
#define DC_GRID_LOOP(i, n) for (dc_i64 i = 0; i < (dc_i64)(n); ++i)
#endif

/* Ask L2 to fetch the line holding p; a no-op outside device code. Used by
 * loops whose next load address depends on the previous load. */
DC_INLINE void dc_prefetch(const void *p)
{
#if defined(__CUDA_ARCH__)
    asm volatile("prefetch.global.L2 [%0];" ::"l"(p));
#else
    (void)p;
#endif
}

/* Clear (unsigned) or sign-fill (signed) the bits above bits_stored, as
 * PS3.5 Section 8.1.1 asks readers to treat them. T is an unsigned type;
 * bits_stored must be below its width. */
template <typename T>
DC_INLINE T dc_fix_unused_bits(T value, int bits_stored, int is_signed)
{
    const T mask = (T)(((T)1 << bits_stored) - 1);
    if (!is_signed)
        return (T)(value & mask);
    const T sign = (T)((T)1 << (bits_stored - 1));
    return (T)(((value & mask) ^ sign) - sign);
}

union dc_double_bits {
    double value;
    dc_u64 bits;
};

/*
 * IEEE 754 binary16 bits of a double, rounded to nearest with ties to even, as
 * NumPy's float64 -> float16 cast rounds (directly from the double: going
 * through float first would round twice). Overflow gives infinity, NaN a
 * quiet NaN.
 */
DC_INLINE dc_u16 dc_double_to_half_bits(double value)
{
    union dc_double_bits u;
    u.value = value;
    const dc_u16 sign = (dc_u16)((u.bits >> 48) & 0x8000u);
    const int exponent = (int)((u.bits >> 52) & 0x7FF);
    const dc_u64 mantissa = u.bits & 0xFFFFFFFFFFFFFull;
    if (exponent == 0x7FF)
        return (dc_u16)(sign | 0x7C00u | (mantissa ? 0x0200u : 0u));
    const int unbiased = exponent - 1023;
    if (unbiased > 15)
        return (dc_u16)(sign | 0x7C00u);
    if (unbiased >= -14) {
        /* Normal half: keep 10 of the 52 mantissa bits. A carry out of the
         * mantissa moves to the next exponent (and from the largest to inf). */
        dc_u32 half = ((dc_u32)(unbiased + 15) << 10) | (dc_u32)(mantissa >> 42);
        const dc_u64 rest = mantissa & ((1ull << 42) - 1);
        const dc_u64 halfway = 1ull << 41;
        if (rest > halfway || (rest == halfway && (half & 1u)))
            half += 1;
        return (dc_u16)(sign | half);
    }
    if (unbiased < -25)
        return sign; /* below half of the smallest subnormal: zero */
    /* Subnormal half: a multiple of 2^-24. Rounding up from the largest
     * subnormal gives 0x400, the smallest normal, which is right. */
    const dc_u64 significand = (1ull << 52) | mantissa;
    const int shift = 28 - unbiased; /* 43 .. 53 */
    dc_u64 half = significand >> shift;
    const dc_u64 rest = significand & ((1ull << shift) - 1);
    const dc_u64 halfway = 1ull << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1u)))
        half += 1;
    return (dc_u16)(sign | (dc_u16)half);
}

#endif /* DICOMCORE_CUDA_COMMON_CUH */
