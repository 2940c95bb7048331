/*
 * DICOM RLE Lossless (PS3.5 Annex G) decoder and encoder kernel. See rle.h.
 *
 * Decoder design: every segment gets a resumable cursor that expands its
 * PackBits runs (G.3.2) with memcpy / memset. A frame with one segment
 * (8-bit greyscale) is expanded straight into the output; otherwise the
 * segments are expanded block by block into small per-segment planes that
 * stay in L1 cache and are then interleaved into the output with a tight
 * loop the compiler can vectorise. The cursor walks the opcode stream one run
 * at a time, so a per-segment run table (output offset, length, literal
 * source offset or replicated byte) for a GPU decoder can later be produced by
 * the same walk.
 *
 * Encoder design: each row of each byte plane is coded separately (G.3.1)
 * with the fewest bytes PackBits allows. One pass over the input splits each
 * row into its byte planes; repeated bytes are searched 16 (or 8) bytes at a
 * time, bytes between repeats are copied as whole literal stretches, and at
 * each run of equal bytes the choice between replicate and literal runs is
 * made from the coder's state alone (see encode_row), which is exact: no
 * other coding of the row is shorter.
 */
#include "rle.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define RLE_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define RLE_ALWAYS_INLINE static inline __attribute__((always_inline))
#define RLE_CTZ64(x) ((unsigned)__builtin_ctzll(x))
#define RLE_HAVE_CTZ 1
#else
#define RLE_UNLIKELY(x) (x)
#define RLE_ALWAYS_INLINE static inline
#define RLE_HAVE_CTZ 0
#endif

/* The byte (de)interleaving loops vectorise far better with AVX2 (3-way
 * shuffles); where the toolchain can dispatch at load time, build both. */
#if defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__) &&                     \
    ((defined(__clang__) && __clang_major__ >= 14) || (!defined(__clang__) && __GNUC__ >= 6))
#define RLE_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define RLE_VECTOR_CLONES
#endif

/* Bytes per segment plane expanded before each interleave: small enough that
 * fifteen planes plus the output block stay in L1/L2, large enough that the
 * per-block overhead is negligible. */
#define RLE_BLOCK 4096u

/* Runs up to this long are moved with one fixed-size copy (see cursor_fill). */
#define RLE_SLACK 32u

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    uint8_t first;
    memcpy(&first, &one, 1);
    return first == 1;
}

static uint32_t read_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static void write_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void report_reset(rle_report *report)
{
    report->status = RLE_OK;
    report->segment = 0;
    report->offset = 0;
    report->problems = 0;
    report->message[0] = '\0';
}

/* Count a problem; only the first one's details and message are kept. */
static void report_problem(rle_report *report, int status, int segment, uint64_t offset,
                           const char *format, ...)
{
    va_list args;
    report->problems++;
    if (report->status != RLE_OK)
        return;
    report->status = status;
    report->segment = segment;
    report->offset = offset;
    va_start(args, format);
    vsnprintf(report->message, RLE_MESSAGE_SIZE, format, args);
    va_end(args);
}

/* Frame geometry checked once for decoder and encoder; 0 on success. */
static int check_image(const rle_image *image, size_t *plane_length, unsigned *segments,
                       rle_report *report)
{
    uint64_t pixels;
    unsigned bps = image->bytes_per_sample;
    if (bps != 1 && bps != 2 && bps != 4 && bps != 8) {
        report_problem(report, RLE_BAD_ARGUMENT, 0, 0,
                       "bits allocated must be 8, 16, 32 or 64, not %u", bps * 8u);
        return -1;
    }
    if (image->samples_per_pixel < 1 || image->samples_per_pixel > RLE_MAX_SEGMENTS ||
        image->samples_per_pixel * bps > RLE_MAX_SEGMENTS) {
        report_problem(report, RLE_BAD_ARGUMENT, 0, 0,
                       "%u samples of %u bits need %u segments; RLE allows 1 to %d "
                       "(PS3.5 G.2)",
                       image->samples_per_pixel, bps * 8u, image->samples_per_pixel * bps,
                       RLE_MAX_SEGMENTS);
        return -1;
    }
    pixels = (uint64_t)image->rows * (uint64_t)image->columns;
    if (pixels > (uint64_t)(SIZE_MAX / 16u)) {
        report_problem(report, RLE_BAD_ARGUMENT, 0, 0, "image of %u x %u pixels is too large",
                       image->rows, image->columns);
        return -1;
    }
    *plane_length = (size_t)pixels;
    *segments = image->samples_per_pixel * bps;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Decoder                                                                   */

typedef struct segment_cursor {
    const uint8_t *next;     /* next opcode */
    const uint8_t *end;      /* end of this segment's data */
    const uint8_t *literal;  /* rest of a literal run cut at a block end */
    size_t pending;          /* bytes of a cut run still to produce */
    size_t produced;         /* bytes of the plane produced so far */
    uint64_t run_offset;     /* frame offset of the cut run's opcode */
    uint8_t value;           /* byte of a cut replicate run */
    uint8_t pending_literal; /* the cut run is a literal run */
    uint8_t failed;          /* missing or broken: the rest of the plane is zero */
    int number;              /* 1-based segment number, for messages */
} segment_cursor;

/*
 * Expand up to `want` bytes of the cursor's segment into out; returns how
 * many were produced (fewer only when the segment is broken, which is
 * reported and marks the cursor failed).
 */
static size_t cursor_fill(segment_cursor *c, uint8_t *out, size_t want, const uint8_t *frame,
                          size_t plane_length, unsigned segments, rle_report *report)
{
    size_t done = 0;
    const uint8_t *p = c->next;
    const uint8_t *end = c->end;

    if (c->failed)
        return 0;
    if (c->pending) {
        size_t take = c->pending < want ? c->pending : want;
        if (c->pending_literal) {
            memcpy(out, c->literal, take);
            c->literal += take;
        } else {
            memset(out, c->value, take);
        }
        c->pending -= take;
        done = take;
    }
    /* Fast path for the short runs that dominate real images: while RLE_SLACK
     * bytes of output space and of segment data remain, runs of up to RLE_SLACK
     * bytes are written with one fixed-size move. It may write past the run
     * (the next runs overwrite those bytes; the block end is never passed) and
     * read past it (never past the segment). */
    while (want - done >= RLE_SLACK && (size_t)(end - p) > RLE_SLACK) {
        unsigned opcode = *p;
        if (opcode < 128) {
            size_t run = (size_t)opcode + 1;
            if (run <= RLE_SLACK) {
                memcpy(out + done, p + 1, RLE_SLACK);
            } else if (run <= want - done && run < (size_t)(end - p)) {
                memcpy(out + done, p + 1, run);
            } else {
                break; /* cut by the block end or truncated: the careful loop */
            }
            done += run;
            p += 1 + run;
        } else if (opcode > 128) {
            size_t run = 257 - (size_t)opcode;
            if (run <= RLE_SLACK)
                memset(out + done, p[1], RLE_SLACK);
            else if (run <= want - done)
                memset(out + done, p[1], run);
            else
                break;
            done += run;
            p += 2;
        } else {
            p++;
        }
    }
    while (done < want) {
        unsigned opcode;
        size_t space = want - done;
        if (RLE_UNLIKELY(p >= end)) {
            report_problem(report, RLE_SEGMENT_TRUNCATED, c->number, (uint64_t)(p - frame),
                           "segment %d of %u is truncated: its data ends at offset %llu after "
                           "%zu of the %zu bytes of its byte plane",
                           c->number, segments, (unsigned long long)(p - frame),
                           c->produced + done, plane_length);
            c->failed = 1;
            break;
        }
        opcode = *p;
        if (opcode < 128) {
            /* Literal run: the next opcode + 1 bytes as they are. */
            size_t run = (size_t)opcode + 1;
            size_t available = (size_t)(end - p) - 1;
            if (RLE_UNLIKELY(run > available)) {
                size_t keep = available < space ? available : space;
                report_problem(report, RLE_LITERAL_TRUNCATED, c->number, (uint64_t)(p - frame),
                               "segment %d of %u is truncated: the literal run at offset %llu "
                               "needs %zu bytes but only %zu remain in the segment",
                               c->number, segments, (unsigned long long)(p - frame), run,
                               available);
                memcpy(out + done, p + 1, keep);
                done += keep;
                p = end;
                c->failed = 1;
                break;
            }
            if (run <= space) {
                memcpy(out + done, p + 1, run);
                done += run;
            } else {
                memcpy(out + done, p + 1, space);
                c->literal = p + 1 + space;
                c->pending = run - space;
                c->pending_literal = 1;
                c->run_offset = (uint64_t)(p - frame);
                done = want;
            }
            p += 1 + run;
        } else if (opcode > 128) {
            /* Replicate run: the next byte 257 - opcode times. */
            size_t run = 257 - (size_t)opcode;
            if (RLE_UNLIKELY(end - p < 2)) {
                report_problem(report, RLE_SEGMENT_TRUNCATED, c->number, (uint64_t)(p - frame),
                               "segment %d of %u is truncated: the replicate run at offset "
                               "%llu has no byte to repeat",
                               c->number, segments, (unsigned long long)(p - frame));
                p = end;
                c->failed = 1;
                break;
            }
            if (run <= space) {
                memset(out + done, p[1], run);
                done += run;
            } else {
                memset(out + done, p[1], space);
                c->value = p[1];
                c->pending = run - space;
                c->pending_literal = 0;
                c->run_offset = (uint64_t)(p - frame);
                done = want;
            }
            p += 2;
        } else {
            /* 128 (-128) is not a run and is skipped (G.3.2). */
            p++;
        }
    }
    c->next = p;
    c->produced += done;
    return done;
}

/*
 * After the plane is complete nothing may remain but one byte of padding to
 * even length (G.3) or no-op bytes: anything else is a run that would write
 * past the end of the plane.
 */
static void cursor_finish(segment_cursor *c, const uint8_t *frame, size_t plane_length,
                          unsigned segments, rle_report *report)
{
    const uint8_t *p = c->next;
    if (c->failed)
        return;
    if (c->pending) {
        report_problem(report, RLE_RUN_OVERFLOW, c->number, c->run_offset,
                       "segment %d of %u overflows: the run at offset %llu goes %zu bytes past "
                       "the end of the %zu-byte plane",
                       c->number, segments, (unsigned long long)c->run_offset, c->pending,
                       plane_length);
        return;
    }
    while (p < c->end && *p == 128)
        p++;
    if (c->end - p > 1) {
        report_problem(report, RLE_RUN_OVERFLOW, c->number, (uint64_t)(p - frame),
                       "segment %d of %u overflows: %zu more bytes of runs follow the end of "
                       "its %zu-byte plane at offset %llu",
                       c->number, segments, (size_t)(c->end - p), plane_length,
                       (unsigned long long)(p - frame));
    }
}

/* Interleave `count` bytes from each of N planes into dst (N bytes per
 * pixel); planes[k] goes to byte k of every pixel. */
#define DEFINE_INTERLEAVE(N)                                                            \
    RLE_VECTOR_CLONES static void interleave_##N(                                       \
        uint8_t *restrict dst, const uint8_t *const *planes, size_t count)              \
    {                                                                                   \
        const uint8_t *restrict q[N];                                                   \
        size_t i;                                                                       \
        unsigned k;                                                                     \
        for (k = 0; k < N; k++)                                                         \
            q[k] = planes[k];                                                           \
        for (i = 0; i < count; i++)                                                     \
            for (k = 0; k < N; k++)                                                     \
                dst[i * N + k] = q[k][i];                                               \
    }

DEFINE_INTERLEAVE(2)
DEFINE_INTERLEAVE(3)
DEFINE_INTERLEAVE(4)
DEFINE_INTERLEAVE(6)
DEFINE_INTERLEAVE(8)
DEFINE_INTERLEAVE(12)

static void interleave_any(uint8_t *dst, const uint8_t *const *planes, unsigned n,
                           size_t count)
{
    unsigned k;
    size_t i;
    for (k = 0; k < n; k++) {
        const uint8_t *plane = planes[k];
        uint8_t *d = dst + k;
        for (i = 0; i < count; i++)
            d[i * n] = plane[i];
    }
}

static void interleave(uint8_t *dst, const uint8_t *const *planes, unsigned n, size_t count)
{
    switch (n) {
    case 2: interleave_2(dst, planes, count); break;
    case 3: interleave_3(dst, planes, count); break;
    case 4: interleave_4(dst, planes, count); break;
    case 6: interleave_6(dst, planes, count); break;
    case 8: interleave_8(dst, planes, count); break;
    case 12: interleave_12(dst, planes, count); break;
    default: interleave_any(dst, planes, n, count); break;
    }
}

/* Clear (unsigned) or sign-fill (signed) the bits above bits_stored of every
 * native-endian sample in buf (PS3.5 8.1.1: their content is undefined). */
#define DEFINE_FIX_UNUSED(NAME, UINT)                                                   \
    static void NAME(uint8_t *buf, size_t count, unsigned bits, int is_signed)          \
    {                                                                                   \
        const UINT mask = (UINT)(((UINT)1 << bits) - 1);                                \
        const UINT sign = (UINT)((UINT)1 << (bits - 1));                                \
        size_t i;                                                                       \
        if (is_signed) {                                                                \
            for (i = 0; i < count; i++) {                                               \
                UINT v;                                                                 \
                memcpy(&v, buf + i * sizeof(UINT), sizeof(UINT));                       \
                v = (UINT)(((v & mask) ^ sign) - sign);                                 \
                memcpy(buf + i * sizeof(UINT), &v, sizeof(UINT));                       \
            }                                                                           \
        } else {                                                                        \
            for (i = 0; i < count; i++) {                                               \
                UINT v;                                                                 \
                memcpy(&v, buf + i * sizeof(UINT), sizeof(UINT));                       \
                v = (UINT)(v & mask);                                                   \
                memcpy(buf + i * sizeof(UINT), &v, sizeof(UINT));                       \
            }                                                                           \
        }                                                                               \
    }

DEFINE_FIX_UNUSED(fix_unused_8, uint8_t)
DEFINE_FIX_UNUSED(fix_unused_16, uint16_t)
DEFINE_FIX_UNUSED(fix_unused_32, uint32_t)
DEFINE_FIX_UNUSED(fix_unused_64, uint64_t)

static void fix_unused_bits(uint8_t *buf, size_t samples, unsigned bytes_per_sample,
                            unsigned bits, int is_signed)
{
    switch (bytes_per_sample) {
    case 1: fix_unused_8(buf, samples, bits, is_signed); break;
    case 2: fix_unused_16(buf, samples, bits, is_signed); break;
    case 4: fix_unused_32(buf, samples, bits, is_signed); break;
    default: fix_unused_64(buf, samples, bits, is_signed); break;
    }
}

/* Read and check the header (G.5); fills the cursors. 0 to go on decoding. */
static int parse_header(const uint8_t *src, size_t src_length, unsigned segments, int lenient,
                        segment_cursor *cursors, rle_report *report)
{
    uint32_t declared = read_le32(src);
    uint32_t offsets[RLE_MAX_SEGMENTS];
    int valid[RLE_MAX_SEGMENTS];
    unsigned listed, i, j;
    uint32_t previous = 0;

    if (declared == 0 || declared > RLE_MAX_SEGMENTS) {
        report_problem(report, RLE_SEGMENT_COUNT, 0, 0,
                       "the RLE header declares %lu segments; PS3.5 G.5 allows 1 to %d and "
                       "the image needs %u",
                       (unsigned long)declared, RLE_MAX_SEGMENTS, segments);
        if (!lenient)
            return -1;
    } else if (declared != segments) {
        report_problem(report, RLE_SEGMENT_COUNT, 0, 0,
                       "the RLE header declares %lu segments but the image needs %u (one per "
                       "byte of each sample, PS3.5 G.2)",
                       (unsigned long)declared, segments);
        if (!lenient)
            return -1;
    }
    listed = declared > RLE_MAX_SEGMENTS ? RLE_MAX_SEGMENTS : (unsigned)declared;

    for (i = 0; i < listed; i++) {
        /* Problems are located at the header field that holds the offset. */
        unsigned field = 4 + 4 * i;
        uint32_t offset = read_le32(src + field);
        offsets[i] = offset;
        valid[i] = 0;
        if (offset < RLE_HEADER_LENGTH) {
            report_problem(report, RLE_OFFSET_IN_HEADER, (int)i + 1, field,
                           "segment %u of %lu starts at offset %lu (RLE header field at "
                           "offset %u), inside the %d-byte header",
                           i + 1, (unsigned long)declared, (unsigned long)offset, field,
                           RLE_HEADER_LENGTH);
        } else if (offset >= src_length) {
            report_problem(report, RLE_OFFSET_PAST_END, (int)i + 1, field,
                           "segment %u of %lu starts at offset %lu (RLE header field at "
                           "offset %u), past the end of the %zu bytes of frame data",
                           i + 1, (unsigned long)declared, (unsigned long)offset, field,
                           src_length);
        } else if (offset <= previous) {
            report_problem(report, RLE_OFFSET_ORDER, (int)i + 1, field,
                           "segment offsets out of order: segment %u of %lu starts at offset "
                           "%lu (RLE header field at offset %u), not after the previous "
                           "segment's offset %lu",
                           i + 1, (unsigned long)declared, (unsigned long)offset, field,
                           (unsigned long)previous);
        } else {
            valid[i] = 1;
            previous = offset;
        }
        if (!valid[i] && !lenient)
            return -1;
    }

    for (i = 0; i < segments; i++) {
        segment_cursor *c = &cursors[i];
        memset(c, 0, sizeof(*c));
        c->number = (int)i + 1;
        if (i >= listed || !valid[i]) {
            /* Missing or unusable: already reported; its plane stays zero. */
            c->failed = 1;
            continue;
        }
        c->next = src + offsets[i];
        c->end = src + src_length;
        /* A segment ends where the next listed one starts (G.4). */
        for (j = i + 1; j < listed; j++) {
            if (valid[j]) {
                c->end = src + offsets[j];
                break;
            }
        }
    }
    return 0;
}

int rle_decode_frame(const uint8_t *src, size_t src_length, uint8_t *dst, size_t dst_length,
                     const rle_image *image, unsigned flags, unsigned bits_stored,
                     int is_signed, rle_report *report)
{
    segment_cursor cursors[RLE_MAX_SEGMENTS];
    const uint8_t *planes[RLE_MAX_SEGMENTS];
    unsigned position[RLE_MAX_SEGMENTS];
    size_t plane_length, frame_length;
    unsigned segments, bps, s, i;
    int lenient = (flags & RLE_LENIENT) != 0;
    int little = host_is_little_endian();
    int fix_bits;

    report_reset(report);
    if (check_image(image, &plane_length, &segments, report) != 0)
        return report->status;
    bps = image->bytes_per_sample;
    frame_length = plane_length * segments;
    if (dst_length != frame_length) {
        report_problem(report, RLE_BAD_ARGUMENT, 0, 0,
                       "the output buffer has %zu bytes but the frame needs %zu", dst_length,
                       frame_length);
        return report->status;
    }
    if (bits_stored > bps * 8u) {
        report_problem(report, RLE_BAD_ARGUMENT, 0, 0,
                       "bits stored %u exceeds bits allocated %u", bits_stored, bps * 8u);
        return report->status;
    }
    fix_bits = bits_stored > 0 && bits_stored < bps * 8u;

    if (src_length < RLE_HEADER_LENGTH) {
        report_problem(report, RLE_HEADER_TRUNCATED, 0, 0,
                       "RLE frame data is %zu bytes, shorter than the %d-byte header "
                       "(PS3.5 G.5)",
                       src_length, RLE_HEADER_LENGTH);
        if (lenient)
            memset(dst, 0, dst_length);
        return report->status;
    }
    if (parse_header(src, src_length, segments, lenient, cursors, report) != 0)
        return report->status;

    /* Where each segment's bytes go within a pixel: sample by sample, the
     * most significant byte first (G.2), stored in host byte order. */
    for (s = 0; s < segments; s++) {
        unsigned sample = s / bps;
        unsigned from_msb = s % bps;
        unsigned significance = (flags & RLE_SEGMENTS_LSB_FIRST) ? from_msb : bps - 1 - from_msb;
        unsigned in_sample = little ? significance : bps - 1 - significance;
        position[s] = sample * bps + in_sample;
    }

    if (segments == 1) {
        size_t done = cursor_fill(&cursors[0], dst, plane_length, src, plane_length, segments,
                                  report);
        if (done < plane_length) {
            if (!lenient)
                return report->status;
            memset(dst + done, 0, plane_length - done);
        }
    } else {
        uint8_t *scratch = (uint8_t *)malloc((size_t)segments * RLE_BLOCK);
        size_t start;
        if (scratch == NULL) {
            report_problem(report, RLE_NO_MEMORY, 0, 0, "out of memory for RLE scratch planes");
            return report->status;
        }
        /* planes[] is indexed by byte position within the pixel. */
        for (s = 0; s < segments; s++)
            planes[position[s]] = scratch + (size_t)s * RLE_BLOCK;
        for (start = 0; start < plane_length; start += RLE_BLOCK) {
            size_t count = plane_length - start < RLE_BLOCK ? plane_length - start : RLE_BLOCK;
            for (s = 0; s < segments; s++) {
                uint8_t *plane = scratch + (size_t)s * RLE_BLOCK;
                size_t done = cursor_fill(&cursors[s], plane, count, src, plane_length,
                                          segments, report);
                if (done < count) {
                    if (!lenient) {
                        free(scratch);
                        return report->status;
                    }
                    memset(plane + done, 0, count - done);
                }
            }
            interleave(dst + start * segments, planes, segments, count);
        }
        free(scratch);
    }

    for (i = 0; i < segments; i++)
        cursor_finish(&cursors[i], src, plane_length, segments, report);
    if (report->status != RLE_OK && !lenient)
        return report->status;

    if (fix_bits)
        fix_unused_bits(dst, plane_length * image->samples_per_pixel, bps, bits_stored,
                        is_signed);
    return report->status;
}

/* ------------------------------------------------------------------------ */
/* Encoder                                                                   */

/* Bytes the row coder may read past a row and write past its output: short
 * literal runs are moved with one fixed-size copy. Row buffers and segment
 * output regions carry this much spare room. */
#define RLE_ENCODE_SLACK 32u

/* Longest PackBits coding of n bytes: all literal, one header per 128. */
static size_t row_bound(size_t n)
{
    return n + (n + 127) / 128;
}

/* Room for one segment while coding: every row at its longest, the padding
 * byte, and the slack of the last row's fixed-size copies. */
static size_t segment_capacity(const rle_image *image)
{
    return (size_t)image->rows * row_bound(image->columns) + 1 + RLE_ENCODE_SLACK;
}

size_t rle_encode_bound(const rle_image *image)
{
    rle_report report;
    size_t plane_length;
    unsigned segments;
    report_reset(&report);
    if (check_image(image, &plane_length, &segments, &report) != 0)
        return 0;
    return RLE_HEADER_LENGTH + segment_capacity(image) * segments;
}

/* Index of the first byte at or after i that equals the byte after it, or n. */
RLE_ALWAYS_INLINE size_t find_repeat(const uint8_t *s, size_t i, size_t n, int little)
{
#if defined(__SSE2__)
    (void)little;
    while (i + 16 < n) {
        __m128i a = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(s + i + 1));
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(a, b));
        if (mask)
            return i + (unsigned)__builtin_ctz(mask);
        i += 16;
    }
#elif RLE_HAVE_CTZ
    if (little) {
        while (i + 8 < n) {
            uint64_t a, b, x, zero;
            memcpy(&a, s + i, 8);
            memcpy(&b, s + i + 1, 8);
            x = a ^ b;
            /* The lowest zero byte of x is found exactly by this test. */
            zero = (x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull;
            if (zero)
                return i + (RLE_CTZ64(zero) >> 3);
            i += 8;
        }
    }
#else
    (void)little;
#endif
    for (; i + 1 < n; i++)
        if (s[i] == s[i + 1])
            return i;
    return n;
}

/* Number of bytes from i on that equal s[i]. */
RLE_ALWAYS_INLINE size_t run_length(const uint8_t *s, size_t i, size_t n, int little)
{
    const uint8_t v = s[i];
    size_t k = i + 1;
#if defined(__SSE2__)
    const __m128i pattern = _mm_set1_epi8((char)v);
    (void)little;
    while (k + 16 <= n) {
        __m128i w = _mm_loadu_si128((const __m128i *)(s + k));
        unsigned differ = 0xFFFFu & ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(w, pattern));
        if (differ)
            return k + (unsigned)__builtin_ctz(differ) - i;
        k += 16;
    }
#elif RLE_HAVE_CTZ
    if (little) {
        const uint64_t pattern = 0x0101010101010101ull * v;
        while (k + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + k, 8);
            w ^= pattern;
            if (w)
                return k + (RLE_CTZ64(w) >> 3) - i;
            k += 8;
        }
    }
#else
    (void)little;
#endif
    while (k < n && s[k] == v)
        k++;
    return k - i;
}

/* Write src[0, length) as literal runs of at most 128 bytes (G.3.1). src may be
 * read, and out written, RLE_ENCODE_SLACK bytes past the end. */
RLE_ALWAYS_INLINE uint8_t *put_literal(uint8_t *out, const uint8_t *src, size_t length)
{
    while (length > 128) {
        *out++ = 127;
        memcpy(out, src, 128);
        out += 128;
        src += 128;
        length -= 128;
    }
    *out++ = (uint8_t)(length - 1);
    if (length <= RLE_ENCODE_SLACK)
        memcpy(out, src, RLE_ENCODE_SLACK);
    else
        memcpy(out, src, length);
    return out + length;
}

/* Write `count` equal bytes (count >= 2) as replicate runs of up to 128. */
RLE_ALWAYS_INLINE uint8_t *put_replicate(uint8_t *out, uint8_t value, size_t count)
{
    while (count >= 128) {
        out[0] = 129; /* 1 - 128 */
        out[1] = value;
        out += 2;
        count -= 128;
    }
    if (count) {
        out[0] = (uint8_t)(257 - count); /* 1 - count, two's complement */
        out[1] = value;
        out += 2;
    }
    return out;
}

/*
 * Code one row with the fewest bytes PackBits allows.
 *
 * Bytes that do not repeat form literal stretches, written as runs of 128
 * counted from the stretch's start, so `room`, how many more bytes the last
 * of those runs can take, follows from the stretch length. A coder state with
 * fewer bytes written is never worse than one with more (an open literal run
 * saves at most one header byte later), and of two with the same count the
 * one with more room is never worse; so each run of equal bytes can be coded
 * by looking at `room` alone, and the result is the shortest coding there is:
 *
 *  - 2 bytes: inside a literal stretch with room for both they stay literal
 *    (the G.3.1 note), otherwise a replicate run is cheaper.
 *  - 128k + 1 bytes (k >= 1): with room, the odd byte ends the literal stretch
 *    for one byte; without, it starts the next literal stretch, which costs
 *    what one more replicate run would but leaves room.
 *  - anything else: replicate runs (three or more equal bytes always are).
 *
 * src must be readable, and dst writable, RLE_ENCODE_SLACK bytes past their
 * ends; dst must hold row_bound(n) + RLE_ENCODE_SLACK bytes.
 */
static size_t encode_row(const uint8_t *src, size_t n, uint8_t *dst, int little)
{
    uint8_t *out = dst;
    size_t i = 0;          /* next byte to look at */
    size_t stretch = 0;    /* start of the open literal stretch */
    int open = 0;          /* a literal stretch is open */

    while (i < n) {
        size_t j = find_repeat(src, i, n, little);
        size_t r, room, full;
        if (j > i && !open) {
            stretch = i;
            open = 1;
        }
        if (j >= n)
            break;
        r = run_length(src, j, n, little);
        room = open ? (128 - (j - stretch) % 128) % 128 : 0;
        if (r == 2) {
            if (room < 2) {
                if (open)
                    out = put_literal(out, src + stretch, j - stretch);
                out = put_replicate(out, src[j], 2);
                open = 0;
            }
            i = j + 2;
            continue;
        }
        full = r / 128;
        if (r % 128 == 1) {
            if (room >= 1) {
                out = put_literal(out, src + stretch, j + 1 - stretch);
                out = put_replicate(out, src[j], 128 * full);
                open = 0;
            } else {
                if (open)
                    out = put_literal(out, src + stretch, j - stretch);
                out = put_replicate(out, src[j], 128 * full);
                stretch = j + r - 1;
                open = 1;
            }
        } else {
            if (open)
                out = put_literal(out, src + stretch, j - stretch);
            out = put_replicate(out, src[j], r);
            open = 0;
        }
        i = j + r;
    }
    if (open)
        out = put_literal(out, src + stretch, n - stretch);
    return (size_t)(out - dst);
}

size_t rle_encode_row(const uint8_t *src, size_t length, uint8_t *dst)
{
    /* Copies give encode_row the slack it needs past both ends. */
    uint8_t *row = (uint8_t *)calloc(length + RLE_ENCODE_SLACK, 1);
    uint8_t *coded = (uint8_t *)malloc(row_bound(length) + RLE_ENCODE_SLACK);
    size_t written = 0;
    if (row != NULL && coded != NULL) {
        if (length)
            memcpy(row, src, length);
        written = encode_row(row, length, coded, host_is_little_endian());
        memcpy(dst, coded, written);
    }
    free(row);
    free(coded);
    return written;
}

/* Split `count` pixels of N contiguous bytes into planes[k][c] = pixel c byte k. */
#define DEFINE_DEINTERLEAVE(N)                                                          \
    RLE_VECTOR_CLONES static void deinterleave_##N(                                     \
        const uint8_t *restrict src, uint8_t *const *planes, size_t count)              \
    {                                                                                   \
        uint8_t *restrict q[N];                                                         \
        size_t c;                                                                       \
        unsigned k;                                                                     \
        for (k = 0; k < N; k++)                                                         \
            q[k] = planes[k];                                                           \
        for (c = 0; c < count; c++)                                                     \
            for (k = 0; k < N; k++)                                                     \
                q[k][c] = src[c * N + k];                                               \
    }

DEFINE_DEINTERLEAVE(2)
DEFINE_DEINTERLEAVE(3)
DEFINE_DEINTERLEAVE(4)
DEFINE_DEINTERLEAVE(6)
DEFINE_DEINTERLEAVE(8)
DEFINE_DEINTERLEAVE(12)

static void deinterleave(const uint8_t *src, uint8_t *const *planes, unsigned n, size_t count)
{
    unsigned k;
    size_t c;
    switch (n) {
    case 1: memcpy(planes[0], src, count); break;
    case 2: deinterleave_2(src, planes, count); break;
    case 3: deinterleave_3(src, planes, count); break;
    case 4: deinterleave_4(src, planes, count); break;
    case 6: deinterleave_6(src, planes, count); break;
    case 8: deinterleave_8(src, planes, count); break;
    case 12: deinterleave_12(src, planes, count); break;
    default:
        for (k = 0; k < n; k++)
            for (c = 0; c < count; c++)
                planes[k][c] = src[c * n + k];
        break;
    }
}

int rle_encode_frame(const uint8_t *src, ptrdiff_t row_stride, ptrdiff_t column_stride,
                     ptrdiff_t sample_stride, int big_endian_samples, const rle_image *image,
                     uint8_t *dst, size_t dst_capacity, size_t *encoded_length,
                     rle_report *report)
{
    size_t plane_length, capacity, row_capacity;
    unsigned segments, bps, s;
    uint8_t *rows_buffer, *out;
    uint8_t *plane_rows[RLE_MAX_SEGMENTS];   /* this row of each segment's plane */
    uint8_t *by_position[RLE_MAX_SEGMENTS];  /* the same, by byte within the pixel */
    const uint8_t *sample_byte[RLE_MAX_SEGMENTS]; /* first byte of each plane in src */
    uint8_t *written[RLE_MAX_SEGMENTS];      /* coding position in each segment region */
    int little = host_is_little_endian();
    int packed;
    uint32_t r;

    report_reset(report);
    *encoded_length = 0;
    if (check_image(image, &plane_length, &segments, report) != 0)
        return report->status;
    if (dst_capacity < rle_encode_bound(image)) {
        report_problem(report, RLE_BAD_ARGUMENT, 0, 0,
                       "the output buffer has %zu bytes; RLE coding needs %zu", dst_capacity,
                       rle_encode_bound(image));
        return report->status;
    }
    bps = image->bytes_per_sample;
    capacity = segment_capacity(image);
    row_capacity = (size_t)image->columns + RLE_ENCODE_SLACK;
    rows_buffer = (uint8_t *)calloc((size_t)segments, row_capacity);
    if (rows_buffer == NULL) {
        report_problem(report, RLE_NO_MEMORY, 0, 0, "out of memory for RLE row buffers");
        return report->status;
    }

    /* Segment s holds byte plane (s % bps) of sample s / bps, the most
     * significant byte first (G.2), found in the caller's byte order. Each
     * segment is coded into its own region of dst, all rows at once so the
     * input is read once; the regions are packed together at the end. */
    for (s = 0; s < segments; s++) {
        unsigned sample = s / bps;
        unsigned from_msb = s % bps;
        unsigned in_sample = big_endian_samples ? from_msb : bps - 1 - from_msb;
        plane_rows[s] = rows_buffer + (size_t)s * row_capacity;
        by_position[sample * bps + in_sample] = plane_rows[s];
        sample_byte[s] = src + (ptrdiff_t)sample * sample_stride + in_sample;
        written[s] = dst + RLE_HEADER_LENGTH + (size_t)s * capacity;
    }
    /* Pixels whose bytes lie side by side are split with one tight loop. */
    packed = column_stride == (ptrdiff_t)segments &&
             (image->samples_per_pixel == 1 || sample_stride == (ptrdiff_t)bps);

    for (r = 0; r < image->rows; r++) {
        const ptrdiff_t row_offset = (ptrdiff_t)r * row_stride;
        if (packed) {
            deinterleave(src + row_offset, by_position, segments, image->columns);
        } else {
            for (s = 0; s < segments; s++) {
                const uint8_t *line = sample_byte[s] + row_offset;
                uint8_t *plane = plane_rows[s];
                size_t c;
                for (c = 0; c < image->columns; c++)
                    plane[c] = line[(ptrdiff_t)c * column_stride];
            }
        }
        for (s = 0; s < segments; s++)
            written[s] += encode_row(plane_rows[s], image->columns, written[s], little);
    }
    free(rows_buffer);

    memset(dst, 0, RLE_HEADER_LENGTH);
    write_le32(dst, segments);
    out = dst + RLE_HEADER_LENGTH;
    for (s = 0; s < segments; s++) {
        const uint8_t *region = dst + RLE_HEADER_LENGTH + (size_t)s * capacity;
        size_t length = (size_t)(written[s] - region);
        write_le32(dst + 4 + 4 * s, (uint32_t)(out - dst));
        /* Moves down (or not at all): earlier segments never outgrow their region. */
        memmove(out, region, length);
        out += length;
        if (length & 1)
            *out++ = 0; /* segments have even length (G.3) */
    }
    *encoded_length = (size_t)(out - dst);
    if (*encoded_length > UINT32_MAX) {
        report_problem(report, RLE_BAD_ARGUMENT, 0, 0,
                       "the encoded frame of %zu bytes is too large for RLE's 32-bit offsets",
                       *encoded_length);
        return report->status;
    }
    return RLE_OK;
}
