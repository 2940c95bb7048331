/*
 * RLE Lossless (PS3.5 Annex G) decoding of a batch of frames on the GPU.
 *
 * Three steps, each a kernel, over all segments of all frames at once:
 *
 *   1. dc_rle_walk: one thread per segment follows the PackBits opcodes
 *      (G.3.2) and describes each run as (destination offset in the byte
 *      plane buffer, source offset in the compressed buffer, signed length:
 *      > 0 copies that many literal bytes, < 0 repeats one byte). It runs
 *      twice: first counting runs (emit == 0) so the host can size the table
 *      exactly, then writing them (emit == 1) at each segment's run_base.
 *      Problems are recorded per segment with the offset of the opcode at
 *      fault and the plane bytes produced before it; the host turns them into
 *      RLEError.
 *   2. dc_rle_expand: `lanes` threads per run copy or repeat its bytes into
 *      the byte planes (one plane per segment, frame after frame).
 *   3. dc_rle_interleave_*: one thread per output sample gathers its bytes
 *      from the planes (most significant first, G.2), fixes the bits above
 *      Bits Stored and writes the native-endian sample.
 *
 * dicomcore.gpu.rle holds a NumPy reference of every step.
 */
#include "common.cuh"

/* Segment status codes, mirrored in dicomcore/gpu/rle.py. */
#define DC_RLE_OK 0
#define DC_RLE_SEGMENT_TRUNCATED 1 /* data ended before the plane was full */
#define DC_RLE_LITERAL_TRUNCATED 2 /* a literal run needs more bytes than remain */
#define DC_RLE_RUN_OVERFLOW 3      /* a run goes past the end of the plane */
#define DC_RLE_TRAILING_RUNS 4     /* runs follow the end of a full plane */
#define DC_RLE_UNUSABLE 5          /* set by the host: bad header entry, plane stays zero */

/* Lines fetched ahead of the opcode cursor: the walk is a chain of dependent
 * one-byte loads, mostly a line apart (128-byte literal runs). */
#define DC_RLE_PREFETCH_BYTES 512

/*
 * segments: segment_count rows of (start, end, plane_base); start and end are
 * offsets in data, plane_base the offset of the segment's plane in the plane
 * buffer. A row whose status is already non-zero (set by the host for an
 * unusable header entry) is skipped.
 */
DC_KERNEL dc_rle_walk(const dc_u8 *__restrict__ data, const dc_i64 *__restrict__ segments,
                      dc_i64 segment_count, dc_i64 plane_length, dc_i32 emit,
                      const dc_i64 *__restrict__ run_base, dc_i64 *__restrict__ run_dst,
                      dc_i64 *__restrict__ run_src, dc_i32 *__restrict__ run_len,
                      dc_i64 *__restrict__ run_count, dc_i32 *__restrict__ status,
                      dc_i64 *__restrict__ status_at, dc_i64 *__restrict__ produced_out)
{
    DC_GRID_LOOP(seg, segment_count)
    {
        if (status[seg] == DC_RLE_UNUSABLE) {
            run_count[seg] = 0;
            produced_out[seg] = 0;
            continue;
        }
        dc_i64 p = segments[3 * seg];
        const dc_i64 end = segments[3 * seg + 1];
        const dc_i64 plane = segments[3 * seg + 2];
        dc_i64 produced = 0;
        dc_i64 runs = 0;
        dc_i64 slot = emit ? run_base[seg] : 0;
        dc_i32 problem = DC_RLE_OK;
        dc_i64 problem_at = -1;
        dc_i64 problem_produced = 0;

        while (produced < plane_length) {
            if (p >= end) {
                problem = DC_RLE_SEGMENT_TRUNCATED;
                problem_at = p;
                problem_produced = produced;
                break;
            }
            if (p + DC_RLE_PREFETCH_BYTES < end)
                dc_prefetch(data + p + DC_RLE_PREFETCH_BYTES);
            const dc_i32 opcode = data[p];
            const dc_i64 space = plane_length - produced;
            if (opcode < 128) {
                /* Literal run: the next opcode + 1 bytes as they are. */
                const dc_i64 run = (dc_i64)opcode + 1;
                const dc_i64 available = end - p - 1;
                dc_i64 take = run;
                if (run > available) {
                    take = available < space ? available : space;
                    problem = DC_RLE_LITERAL_TRUNCATED;
                } else if (run > space) {
                    take = space;
                    problem = DC_RLE_RUN_OVERFLOW;
                }
                if (problem != DC_RLE_OK)
                    problem_produced = produced;
                if (take > 0) {
                    if (emit) {
                        run_dst[slot] = plane + produced;
                        run_src[slot] = p + 1;
                        run_len[slot] = (dc_i32)take;
                        slot++;
                    }
                    runs++;
                    produced += take;
                }
                if (problem != DC_RLE_OK) {
                    problem_at = p;
                    break;
                }
                p += 1 + run;
            } else if (opcode > 128) {
                /* Replicate run: the next byte 257 - opcode times. */
                const dc_i64 run = 257 - (dc_i64)opcode;
                if (end - p < 2) {
                    problem = DC_RLE_SEGMENT_TRUNCATED;
                    problem_at = p;
                    problem_produced = produced;
                    break;
                }
                dc_i64 take = run;
                if (run > space) {
                    take = space;
                    problem = DC_RLE_RUN_OVERFLOW;
                    problem_produced = produced;
                }
                if (emit) {
                    run_dst[slot] = plane + produced;
                    run_src[slot] = p + 1;
                    run_len[slot] = -(dc_i32)take;
                    slot++;
                }
                runs++;
                produced += take;
                if (problem != DC_RLE_OK) {
                    problem_at = p;
                    break;
                }
                p += 2;
            } else {
                /* 128 (-128) is not a run and is skipped (G.3.2). */
                p += 1;
            }
        }
        if (problem == DC_RLE_OK) {
            /* Once the plane is full only no-op bytes and one padding byte to
             * even length (G.3) may remain. */
            while (p < end && data[p] == 128)
                p++;
            if (end - p > 1) {
                problem = DC_RLE_TRAILING_RUNS;
                problem_at = p;
                problem_produced = produced;
            }
        }
        run_count[seg] = runs;
        produced_out[seg] = problem == DC_RLE_OK ? produced : problem_produced;
        status[seg] = problem;
        status_at[seg] = problem_at;
    }
}

DC_KERNEL dc_rle_expand(const dc_u8 *__restrict__ data, const dc_i64 *__restrict__ run_dst,
                        const dc_i64 *__restrict__ run_src, const dc_i32 *__restrict__ run_len,
                        dc_i64 runs, dc_i32 lanes, dc_u8 *__restrict__ planes)
{
    DC_GRID_LOOP(i, runs * lanes)
    {
        const dc_i64 run = i / lanes;
        const dc_i32 lane = (dc_i32)(i % lanes);
        const dc_i64 dst = run_dst[run];
        const dc_i64 src = run_src[run];
        const dc_i32 length = run_len[run];
        if (length > 0) {
            for (dc_i32 k = lane; k < length; k += lanes)
                planes[dst + k] = data[src + k];
        } else {
            const dc_u8 value = data[src];
            for (dc_i32 k = lane; k < -length; k += lanes)
                planes[dst + k] = value;
        }
    }
}

/*
 * Planes are stored frame after frame, segment after segment, each
 * plane_length bytes; segment s of a frame holds byte (s % bytes_per_sample)
 * of sample s / bytes_per_sample, the most significant first unless
 * lsb_first. fix_bits: 0, or Bits Stored when below the sample width.
 */
template <typename T>
DC_INLINE void dc_rle_interleave(const dc_u8 *__restrict__ planes, T *__restrict__ out,
                                 dc_i64 frames, dc_i64 plane_length, dc_i32 samples,
                                 dc_i32 lsb_first, dc_i32 fix_bits, dc_i32 is_signed)
{
    const dc_i32 width = (dc_i32)sizeof(T);
    const dc_i64 per_frame = plane_length * samples;
    DC_GRID_LOOP(i, frames * per_frame)
    {
        const dc_i64 frame = i / per_frame;
        const dc_i64 within = i - frame * per_frame;
        const dc_i64 pixel = within / samples;
        const dc_i32 sample = (dc_i32)(within - pixel * samples);
        const dc_i64 first_plane = (frame * samples + sample) * width;
        T value = 0;
        for (dc_i32 b = 0; b < width; b++) {
            const T byte = planes[(first_plane + b) * plane_length + pixel];
            const dc_i32 significance = lsb_first ? b : width - 1 - b;
            value = (T)(value | (T)(byte << (8 * significance)));
        }
        if (fix_bits)
            value = dc_fix_unused_bits<T>(value, fix_bits, is_signed);
        out[i] = value;
    }
}

DC_KERNEL dc_rle_interleave_u8(const dc_u8 *planes, dc_u8 *out, dc_i64 frames,
                               dc_i64 plane_length, dc_i32 samples, dc_i32 lsb_first,
                               dc_i32 fix_bits, dc_i32 is_signed)
{
    dc_rle_interleave<dc_u8>(planes, out, frames, plane_length, samples, lsb_first, fix_bits,
                             is_signed);
}

DC_KERNEL dc_rle_interleave_u16(const dc_u8 *planes, dc_u16 *out, dc_i64 frames,
                                dc_i64 plane_length, dc_i32 samples, dc_i32 lsb_first,
                                dc_i32 fix_bits, dc_i32 is_signed)
{
    dc_rle_interleave<dc_u16>(planes, out, frames, plane_length, samples, lsb_first, fix_bits,
                              is_signed);
}

DC_KERNEL dc_rle_interleave_u32(const dc_u8 *planes, dc_u32 *out, dc_i64 frames,
                                dc_i64 plane_length, dc_i32 samples, dc_i32 lsb_first,
                                dc_i32 fix_bits, dc_i32 is_signed)
{
    dc_rle_interleave<dc_u32>(planes, out, frames, plane_length, samples, lsb_first, fix_bits,
                              is_signed);
}

DC_KERNEL dc_rle_interleave_u64(const dc_u8 *planes, dc_u64 *out, dc_i64 frames,
                                dc_i64 plane_length, dc_i32 samples, dc_i32 lsb_first,
                                dc_i32 fix_bits, dc_i32 is_signed)
{
    dc_rle_interleave<dc_u64>(planes, out, frames, plane_length, samples, lsb_first, fix_bits,
                              is_signed);
}
