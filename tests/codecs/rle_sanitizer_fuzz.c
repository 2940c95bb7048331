/*
 * Memory-safety fuzz of the RLE kernel (codecs/rle/rle.c), built by
 * tests/codecs/test_rle.py with AddressSanitizer and UndefinedBehaviorSanitizer:
 * every buffer is allocated to its exact size, so any read or write outside
 * it aborts the run.
 *
 * 1. Round trips of random images with runs, in both byte orders and with
 *    padded (strided) input layouts.
 * 2. Valid frames damaged at random (bytes, header fields, truncation), decoded
 *    strictly and leniently, with and without unused-bit correction.
 *
 * Prints "ok" and exits 0 when nothing went wrong.
 */
#include "rle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state = 88172645463325252ull;

static uint64_t next_random(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

/* Random bytes in runs of equal values, with stretches of noise between. */
static void fill_with_runs(uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t run = 1 + next_random() % (next_random() % 2 ? 3 : 300);
        uint8_t value = (uint8_t)next_random();
        int noise = next_random() % 3 == 0;
        for (size_t j = 0; j < run && i < n; j++, i++)
            p[i] = noise ? (uint8_t)next_random() : value;
    }
}

static int round_trips(int iterations)
{
    static const unsigned sizes[] = {1, 2, 4, 8};
    for (int t = 0; t < iterations; t++) {
        rle_image image;
        rle_report report;
        image.rows = 1 + (uint32_t)(next_random() % 20);
        image.columns = 1 + (uint32_t)(next_random() % (next_random() % 2 ? 40 : 700));
        image.bytes_per_sample = sizes[next_random() % 4];
        image.samples_per_pixel = (next_random() % 2 && image.bytes_per_sample < 8) ? 3 : 1;
        unsigned segments = image.samples_per_pixel * image.bytes_per_sample;
        int strided = next_random() % 3 == 0;
        int big_endian = t & 1;
        size_t column_stride = strided ? segments + next_random() % 5 : segments;
        size_t row_stride = column_stride * image.columns + (strided ? next_random() % 7 : 0);
        size_t input_length = row_stride * image.rows;
        uint8_t *pixels = malloc(input_length);
        size_t capacity = rle_encode_bound(&image), coded_length;
        uint8_t *coded = malloc(capacity);
        size_t frame_length = (size_t)image.rows * image.columns * segments;
        uint8_t *decoded = malloc(frame_length);
        fill_with_runs(pixels, input_length);
        if (rle_encode_frame(pixels, (ptrdiff_t)row_stride, (ptrdiff_t)column_stride,
                             image.bytes_per_sample, big_endian, &image, coded, capacity,
                             &coded_length, &report) != RLE_OK ||
            rle_decode_frame(coded, coded_length, decoded, frame_length, &image, 0, 0, 0,
                             &report) != RLE_OK) {
            printf("round trip %d failed: %s\n", t, report.message);
            return 1;
        }
        for (uint32_t r = 0; r < image.rows; r++)
            for (uint32_t c = 0; c < image.columns; c++)
                for (uint32_t s = 0; s < image.samples_per_pixel; s++)
                    for (uint32_t b = 0; b < image.bytes_per_sample; b++) {
                        /* Decoded samples are little-endian on the hosts tested. */
                        uint32_t from = big_endian ? image.bytes_per_sample - 1 - b : b;
                        uint8_t in = pixels[r * row_stride + c * column_stride +
                                            s * image.bytes_per_sample + from];
                        uint8_t out = decoded[(((size_t)r * image.columns + c) *
                                                   image.samples_per_pixel + s) *
                                                  image.bytes_per_sample + b];
                        if (in != out) {
                            printf("round trip %d: pixels differ\n", t);
                            return 1;
                        }
                    }
        free(pixels);
        free(coded);
        free(decoded);
    }
    return 0;
}

static int damaged_frames(int iterations)
{
    static const rle_image images[] = {
        {70, 80, 1, 2}, {70, 80, 3, 1}, {9, 7, 1, 1}, {33, 65, 1, 4}, {5, 300, 3, 4}, {64, 64, 1, 8},
    };
    for (size_t k = 0; k < sizeof images / sizeof images[0]; k++) {
        rle_image image = images[k];
        rle_report report;
        size_t frame_length = (size_t)image.rows * image.columns * image.samples_per_pixel *
                              image.bytes_per_sample;
        size_t capacity = rle_encode_bound(&image), coded_length;
        uint8_t *pixels = malloc(frame_length);
        uint8_t *coded = malloc(capacity);
        fill_with_runs(pixels, frame_length);
        rle_encode_frame(pixels, (ptrdiff_t)(image.columns * image.samples_per_pixel *
                                             image.bytes_per_sample),
                         image.samples_per_pixel * image.bytes_per_sample,
                         image.bytes_per_sample, 0, &image, coded, capacity, &coded_length,
                         &report);
        for (int t = 0; t < iterations; t++) {
            size_t length = next_random() % 4 ? coded_length : next_random() % (coded_length + 1);
            uint8_t *damaged = malloc(length ? length : 1);
            uint8_t *out = malloc(frame_length);
            unsigned flags = (next_random() % 2 ? RLE_LENIENT : 0) |
                             (next_random() % 4 ? 0 : RLE_SEGMENTS_LSB_FIRST);
            unsigned bits = next_random() % 3 ? 0 : 1 + next_random() % (8 * image.bytes_per_sample);
            memcpy(damaged, coded, length);
            for (int e = (int)(next_random() % 6); e > 0 && length; e--)
                damaged[next_random() % length] = (uint8_t)next_random();
            if (next_random() % 5 == 0 && length >= 64)
                for (int field = 0; field < 16; field++)
                    if (next_random() % 3 == 0) {
                        uint32_t v = next_random() % 3 ? (uint32_t)(next_random() % (length + 100))
                                                       : (uint32_t)next_random();
                        memcpy(damaged + 4 * field, &v, 4);
                    }
            rle_decode_frame(damaged, length, out, frame_length, &image, flags, bits,
                             (int)(next_random() % 2), &report);
            free(damaged);
            free(out);
        }
        free(pixels);
        free(coded);
    }
    return 0;
}

int main(void)
{
    if (round_trips(2000) || damaged_frames(4000))
        return 1;
    printf("ok\n");
    return 0;
}
