/*
 * dicomcore's C-callable layer over OpenJPH (ISO/IEC 15444-15 HTJ2K).
 *
 * OpenJPH reports errors by calling a global message handler that must not
 * return (the library carries on otherwise), so the handler installed here
 * throws, and every entry point below catches everything and hands back a
 * status and a message instead: no C++ exception ever reaches Cython or
 * Python. Warnings go to a per-thread buffer because the handler is global
 * while decodes run on many threads at once.
 *
 * Header-only on purpose: setup.py compiles just the .pyx, which includes
 * this file.
 */
#ifndef DICOMCORE_OJPH_SHIM_H
#define DICOMCORE_OJPH_SHIM_H

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <openjph/ojph_arch.h>
#include <openjph/ojph_base.h>
#include <openjph/ojph_codestream.h>
#include <openjph/ojph_file.h>
#include <openjph/ojph_mem.h>
#include <openjph/ojph_message.h>
#include <openjph/ojph_params.h>
#include <openjph/ojph_version.h>

namespace dicomcore_ojph {

enum Status { OK = 0, FAILED = 1, NO_MEMORY = 2 };

/* How a decoded sample is stored; see _openjph.pyx. */
enum StoreMode { STORE_AS_IS = 0, STORE_LOW_BITS = 1, STORE_SIGN_EXTEND = 2 };

inline std::string &thread_warnings() {
  static thread_local std::string text;
  return text;
}

inline std::string format_message(const char *fmt, va_list args) {
  char buffer[1024];
  std::vsnprintf(buffer, sizeof(buffer), fmt, args);
  return std::string(buffer);
}

class ThrowingError : public ojph::message_error {
 public:
  void operator()(int code, const char *, int, const char *fmt, ...) override {
    va_list args;
    va_start(args, fmt);
    std::string text = format_message(fmt, args);
    va_end(args);
    char prefix[32];
    std::snprintf(prefix, sizeof(prefix), "[0x%08X] ", code);
    throw std::runtime_error(prefix + text);
  }
};

class CollectingWarning : public ojph::message_warning {
 public:
  void operator()(int, const char *, int, const char *fmt, ...) override {
    va_list args;
    va_start(args, fmt);
    std::string text = format_message(fmt, args);
    va_end(args);
    std::string &all = thread_warnings();
    if (all.size() < 4096) {
      all += text;
      all += '\n';
    }
  }
};

class SilentInfo : public ojph::message_info {
 public:
  void operator()(int, const char *, int, const char *, ...) override {}
};

/*
 * Install the handlers once per process. OpenJPH keeps them in globals that
 * configure_error() & co. are meant to replace, but in OpenJPH 0.9.0 those
 * functions are empty, so when get_error() still returns the library's own
 * object, that object is turned into ours in place: the handler classes add
 * no data members, only their virtual operator(), so constructing ours over
 * the library's object just swaps its virtual table.
 */
template <typename Handler, typename Base>
inline void take_over(Base &current, Handler &ours) {
  static_assert(sizeof(Handler) == sizeof(Base), "a handler must not add data members");
  if (&current != static_cast<Base *>(&ours)) new (&current) Handler();
}

inline void install_handlers() {
  static ThrowingError error_handler;
  static CollectingWarning warning_handler;
  static SilentInfo info_handler;
  ojph::configure_error(&error_handler);
  ojph::configure_warning(&warning_handler);
  ojph::configure_info(&info_handler);
  take_over(ojph::get_error(), error_handler);
  take_over(ojph::get_warning(), warning_handler);
  take_over(ojph::get_info(), info_handler);
}

inline void copy_message(char *target, size_t capacity, const char *text) {
  if (capacity == 0) return;
  std::strncpy(target, text, capacity - 1);
  target[capacity - 1] = 0;
}

/* Take (and clear) this thread's warnings. */
inline void take_warnings(char *target, size_t capacity) {
  std::string &all = thread_warnings();
  copy_message(target, capacity, all.c_str());
  all.clear();
}

/*
 * A strict look at an HTJ2K codestream's marker segments before OpenJPH sees
 * it. Debian's OpenJPH 0.9 is built with assertions on and aborts the process
 * on several kinds of malformed header (QCD styles or lengths that disagree
 * with COD, ...), and it decodes wrongly when 2**decompositions exceeds a
 * tile's size. So OpenJPH only gets codestreams whose every header field is
 * one it handles; anything else is either rejected here (truncated or
 * malformed: ROUTE_INVALID) or left to OpenJPEG (legal but outside that set:
 * ROUTE_OPENJPEG), which checks everything itself.
 *
 * Marker syntax: ISO/IEC 15444-1 Annex A; HT additions: ISO/IEC 15444-15.
 */
enum Route { ROUTE_OPENJPH = 0, ROUTE_OPENJPEG = 1, ROUTE_INVALID = 2 };

struct Inspection {
  int htj2k;            /* Rsiz bit 14 (Part 15 capabilities) */
  int has_tlm;
  uint32_t tile_parts;
  uint32_t decompositions;
  size_t tlm_offset;    /* where a TLM marker segment may be inserted: the first SOT */
};

class Reader {
 public:
  Reader(const uint8_t *data, size_t size) : data_(data), size_(size) {}
  bool has(size_t offset, size_t count) const { return offset <= size_ && count <= size_ - offset; }
  uint32_t u8(size_t offset) const { return data_[offset]; }
  uint32_t u16(size_t offset) const { return ((uint32_t)data_[offset] << 8) | data_[offset + 1]; }
  uint32_t u32(size_t offset) const { return (u16(offset) << 16) | u16(offset + 2); }
  size_t size() const { return size_; }

 private:
  const uint8_t *data_;
  size_t size_;
};

inline int route_message(int route, char *message, size_t capacity, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(message, capacity, fmt, args);
  va_end(args);
  return route;
}

/* Tile extents along one axis (15444-1 B.3): the smallest tile side. */
inline uint32_t smallest_tile_side(uint32_t image_start, uint32_t image_end, uint32_t tile_start,
                                   uint32_t tile_size, uint32_t tiles) {
  uint32_t smallest = UINT32_MAX;
  for (uint32_t t = 0; t < tiles; ++t) {
    uint64_t low = (uint64_t)tile_start + (uint64_t)t * tile_size;
    uint64_t high = low + tile_size;
    if (low < image_start) low = image_start;
    if (high > image_end) high = image_end;
    uint32_t side = high > low ? (uint32_t)(high - low) : 0;
    if (side < smallest) smallest = side;
    /* Interior tiles are all tile_size: check the first two and the last. */
    if (t == 1 && tiles > 3) t = tiles - 2;
  }
  return smallest;
}

/* Packet headers (ISO/IEC 15444-1 B.10 with the HT rules of 15444-15), read
 * the way OpenJPH reads them, to bound every code-block's length before
 * OpenJPH allocates for it. */
class PacketBits {
 public:
  PacketBits(const uint8_t *data, size_t start, size_t end)
      : data_(data), position_(start), end_(end) {}
  /* false when the packet header would run past the tile-part body */
  bool bit(uint32_t &value) {
    if (available_ == 0 && !next_byte()) return false;
    value = (current_ >> --available_) & 1;
    return true;
  }
  bool bits(uint32_t count, uint32_t &value) {
    value = 0;
    for (uint32_t i = 0; i < count; ++i) {
      uint32_t b;
      if (!bit(b)) return false;
      value = (value << 1) | b;
    }
    return true;
  }
  /* End of the header: a byte after 0xFF belongs to it (bit stuffing). */
  bool finish() {
    if (stuffed_ && !next_byte()) return false;
    available_ = 0;
    return true;
  }
  size_t position() const { return position_; }

 private:
  bool next_byte() {
    if (position_ >= end_) return false;
    current_ = data_[position_++];
    available_ = stuffed_ ? 7 : 8;
    stuffed_ = current_ == 0xFF;
    return true;
  }
  const uint8_t *data_;
  size_t position_, end_;
  uint32_t current_ = 0, available_ = 0;
  bool stuffed_ = false;
};

struct PacketLayout {
  uint32_t width, height, components, decompositions, block_x, block_y, guard_bits;
  bool resolution_first, reversible;
  const uint8_t *qcd;  /* SPqcd entries */
};

/* A quad tree over a band's code-blocks (15444-1 B.10.2), one per use. */
class TagTree {
 public:
  bool reset(uint32_t width, uint32_t height) {
    levels_ = 1;
    while ((1u << (levels_ - 1)) < width || (1u << (levels_ - 1)) < height) ++levels_;
    size_t total = 0;
    for (uint32_t l = 0; l < levels_; ++l) {
      offsets_[l] = total;
      widths_[l] = (width + (1u << l) - 1) >> l;
      total += (size_t)widths_[l] * ((height + (1u << l) - 1) >> l);
    }
    if (total > capacity_) {
      std::free(values_);
      values_ = (uint32_t *)std::malloc(total * sizeof(uint32_t) * 2);
      if (values_ == nullptr) { capacity_ = 0; return false; }
      capacity_ = total;
    }
    known_ = values_ + capacity_;
    std::memset(values_, 0, capacity_ * sizeof(uint32_t) * 2);
    return true;
  }
  uint32_t levels() const { return levels_; }
  uint32_t &value(uint32_t x, uint32_t y, uint32_t level) {
    return values_[offsets_[level] + (size_t)(y >> level) * widths_[level] + (x >> level)];
  }
  uint32_t &known(uint32_t x, uint32_t y, uint32_t level) {
    return known_[offsets_[level] + (size_t)(y >> level) * widths_[level] + (x >> level)];
  }
  ~TagTree() { std::free(values_); }

 private:
  uint32_t levels_ = 0;
  size_t offsets_[40] = {0};
  uint32_t widths_[40] = {0};
  uint32_t *values_ = nullptr, *known_ = nullptr;
  size_t capacity_ = 0;
};

/* Reads one packet header and skips its body; false for anything OpenJPH
 * might mishandle. `cursor` moves past the packet. */
/* The start of an HT cleanup segment's MEL stream, read as OpenJPH 0.9's
 * mel_init() reads it (15444-15 7.3.3): it asserts that a byte after 0xFF
 * is at most 0x8F, so a segment breaking that must not reach it. */
inline bool sound_cleanup_segment(const uint8_t *segment, uint32_t length) {
  uint32_t scup = ((uint32_t)segment[length - 1] << 4) + (segment[length - 2] & 0xF);
  if (scup < 2 || scup > length || scup > 4079) return false;
  const uint8_t *mel = segment + length - scup;
  int remaining = (int)scup - 1;
  bool unstuff = false;
  for (int i = 0; i < 4; ++i) {
    if (unstuff && mel[0] > 0x8F) return false;
    uint32_t byte = remaining > 0 ? mel[0] : 0xFF;
    if (remaining == 1) byte |= 0xF;
    if (remaining-- > 0) ++mel;
    unstuff = (byte & 0xFF) == 0xFF;
  }
  return true;
}

inline bool sound_packet(const uint8_t *data, size_t &cursor, size_t end,
                         const PacketLayout &layout, uint32_t resolution, TagTree &inclusion,
                         TagTree &zero_planes, uint32_t *lengths, size_t length_capacity) {
  PacketBits bits(data, cursor, end);
  size_t blocks = 0;
  uint32_t present;
  if (!bits.bit(present)) return false;
  uint64_t body = 0;
  if (present) {
    uint32_t level = resolution == 0 ? layout.decompositions
                                     : layout.decompositions - resolution + 1;
    uint32_t first_band = resolution == 0 ? 0 : 1, last_band = resolution == 0 ? 0 : 3;
    for (uint32_t band = first_band; band <= last_band; ++band) {
      /* Band extent (15444-1 B.5) of a tile at the origin. */
      uint64_t x_offset = (band == 1 || band == 3) ? (1ull << (level - 1)) : 0;
      uint64_t y_offset = (band == 2 || band == 3) ? (1ull << (level - 1)) : 0;
      uint64_t band_width = layout.width > x_offset
          ? ((uint64_t)layout.width - x_offset + (1ull << level) - 1) >> level : 0;
      uint64_t band_height = layout.height > y_offset
          ? ((uint64_t)layout.height - y_offset + (1ull << level) - 1) >> level : 0;
      if (band_width == 0 || band_height == 0) continue;
      uint32_t blocks_x = (uint32_t)((band_width + (1ull << layout.block_x) - 1) >> layout.block_x);
      uint32_t blocks_y = (uint32_t)((band_height + (1ull << layout.block_y) - 1) >> layout.block_y);
      if (!inclusion.reset(blocks_x, blocks_y) || !zero_planes.reset(blocks_x, blocks_y))
        return false;
      /* K_max = guard bits + exponent - 1 (15444-1 E.1) */
      uint32_t entry = resolution == 0 ? 0 : 1 + 3 * (resolution - 1) + (band - 1);
      uint32_t exponent = layout.reversible ? (layout.qcd[entry] >> 3)
                                            : (layout.qcd[2 * entry] >> 3);
      uint32_t k_max = layout.guard_bits + exponent;
      if (k_max == 0) return false;
      k_max -= 1;
      uint32_t levels = inclusion.levels();
      for (uint32_t y = 0; y < blocks_y; ++y) {
        for (uint32_t x = 0; x < blocks_x; ++x) {
          bool included = true;
          for (uint32_t l = levels; l-- > 0;) {
            if (inclusion.value(x, y, l) == 1) { included = false; break; }
            if (!inclusion.known(x, y, l)) {
              uint32_t b;
              if (!bits.bit(b)) return false;
              inclusion.value(x, y, l) = 1 - b;
              inclusion.known(x, y, l) = 1;
              if (b == 0) { included = false; break; }
            }
          }
          if (!included) continue;
          uint32_t missing = 0;
          for (uint32_t l = levels; l-- > 0;) {
            missing = l + 1 < levels ? zero_planes.value(x, y, l + 1) : 0;
            if (!zero_planes.known(x, y, l)) {
              uint32_t b = 0;
              while (b == 0) {
                if (!bits.bit(b)) return false;
                missing += 1 - b;
                if (missing > 74) return false;
              }
              zero_planes.value(x, y, l) = missing;
              zero_planes.known(x, y, l) = 1;
            }
          }
          if (missing >= k_max) return false;
          /* Coding passes (Table B.4); OpenJPH 0.9 decodes at most three. */
          uint32_t b, passes = 1;
          if (!bits.bit(b)) return false;
          if (b) {
            passes = 2;
            if (!bits.bit(b)) return false;
            if (b) {
              uint32_t more;
              if (!bits.bits(2, more)) return false;
              if (more != 0) return false;  /* 4 or more passes */
              passes = 3;
            }
          }
          /* Lblock: 3 plus the count of 1s before a 0 (B.10.7.1) */
          uint32_t length_bits = 3;
          do {
            if (!bits.bit(b)) return false;
            length_bits += b;
            if (length_bits > 16) return false;
          } while (b);
          uint32_t cleanup, refinement = 0;
          if (!bits.bits(length_bits, cleanup)) return false;
          if (cleanup < 2 || cleanup >= 65535) return false;
          if (passes > 1) {
            if (!bits.bits(length_bits + (passes > 2 ? 1 : 0), refinement)) return false;
            if (refinement >= 2047) return false;
          }
          body += cleanup + refinement;
          if (blocks + 2 > length_capacity) return false;
          lengths[blocks++] = cleanup;
          lengths[blocks++] = refinement;
        }
      }
    }
  }
  if (!bits.finish()) return false;
  size_t header_end = bits.position();
  if (body > end - header_end) return false;
  size_t position = header_end;
  for (size_t i = 0; i < blocks; i += 2) {
    if (!sound_cleanup_segment(data + position, lengths[i])) return false;
    position += lengths[i] + lengths[i + 1];
  }
  cursor = header_end + (size_t)body;
  return true;
}

inline bool packets_are_sound(const uint8_t *data, const size_t *starts, const size_t *ends,
                              uint32_t body_count, const PacketLayout &layout) {
  TagTree inclusion, zero_planes;
  /* (cleanup, refinement) lengths of one packet's code-blocks; a 32768 x
   * 32768 image with 4 x 4 code-blocks would need more, and goes to OpenJPEG. */
  const size_t capacity = 2 * 65536;
  uint32_t *lengths = (uint32_t *)std::malloc(capacity * sizeof(uint32_t));
  if (lengths == nullptr) return false;
  bool sound = true;
  uint32_t part = 0;
  size_t cursor = starts[0];
  uint32_t resolutions = layout.decompositions + 1;
  uint32_t outer = layout.resolution_first ? resolutions : layout.components;
  uint32_t inner = layout.resolution_first ? layout.components : resolutions;
  for (uint32_t i = 0; i < outer; ++i) {
    for (uint32_t j = 0; j < inner; ++j) {
      uint32_t resolution = layout.resolution_first ? i : j;
      /* A packet lies inside one tile-part; move on when this one is used up. */
      while (sound && cursor >= ends[part]) {
        if (++part >= body_count) sound = false;
        else cursor = starts[part];
      }
      if (sound)
        sound = sound_packet(data, cursor, ends[part], layout, resolution, inclusion,
                             zero_planes, lengths, capacity);
    }
  }
  std::free(lengths);
  return sound;
}

inline int inspect(const uint8_t *data, size_t size, Inspection *found, char *message,
                   size_t capacity) noexcept {
  Reader r(data, size);
  found->htj2k = 0;
  found->has_tlm = 0;
  found->tile_parts = 0;
  found->decompositions = 0;
  found->tlm_offset = 0;
  if (!r.has(0, 4) || r.u16(0) != 0xFF4F || r.u16(2) != 0xFF51)
    /* A JP2 file, or not JPEG 2000 at all: OpenJPEG tells which. */
    return route_message(ROUTE_OPENJPEG, message, capacity, "no SOC and SIZ markers");
  /* SIZ (A.5.1) */
  if (!r.has(4, 2)) return route_message(ROUTE_INVALID, message, capacity, "truncated SIZ marker");
  uint32_t lsiz = r.u16(4);
  if (lsiz < 41 || !r.has(4, lsiz))
    return route_message(ROUTE_INVALID, message, capacity, "SIZ marker segment at offset 2 is "
                         "truncated or too short (Lsiz %u)", lsiz);
  uint32_t rsiz = r.u16(6);
  found->htj2k = (rsiz & 0x4000) ? 1 : 0;
  uint32_t xsiz = r.u32(8), ysiz = r.u32(12), xosiz = r.u32(16), yosiz = r.u32(20);
  uint32_t xtsiz = r.u32(24), ytsiz = r.u32(28), xtosiz = r.u32(32), ytosiz = r.u32(36);
  uint32_t csiz = r.u16(40);
  if (lsiz != 38 + 3 * csiz || csiz == 0)
    return route_message(ROUTE_INVALID, message, capacity,
                         "SIZ marker: Lsiz %u does not match %u components", lsiz, csiz);
  if (xsiz <= xosiz || ysiz <= yosiz || xtsiz == 0 || ytsiz == 0 || xtosiz > xosiz ||
      ytosiz > yosiz || (uint64_t)xtosiz + xtsiz <= xosiz || (uint64_t)ytosiz + ytsiz <= yosiz)
    return route_message(ROUTE_INVALID, message, capacity,
                         "SIZ marker: inconsistent image or tile extents");
  uint64_t tiles_x = ((uint64_t)xsiz - xtosiz + xtsiz - 1) / xtsiz;
  uint64_t tiles_y = ((uint64_t)ysiz - ytosiz + ytsiz - 1) / ytsiz;
  /* OpenJPH 0.9 counts tiles in 32 bits: with a tile size near 2**32 the sum
   * wraps, it finds no tiles, and the first SOT indexes an empty array. */
  if ((uint64_t)xsiz + xtsiz > UINT32_MAX || (uint64_t)ysiz + ytsiz > UINT32_MAX)
    return route_message(ROUTE_OPENJPEG, message, capacity, "tile size near 2**32");
  if (tiles_x * tiles_y > 65535)
    return route_message(ROUTE_INVALID, message, capacity, "SIZ marker: %llu tiles (at most "
                         "65535 allowed)", (unsigned long long)(tiles_x * tiles_y));
  if (!found->htj2k)
    return route_message(ROUTE_OPENJPEG, message, capacity, "not an HTJ2K codestream (Rsiz)");
  uint32_t ssiz0 = r.u8(42);
  for (uint32_t c = 0; c < csiz; ++c) {
    uint32_t ssiz = r.u8(42 + 3 * c), xrsiz = r.u8(43 + 3 * c), yrsiz = r.u8(44 + 3 * c);
    if (xrsiz == 0 || yrsiz == 0)
      return route_message(ROUTE_INVALID, message, capacity,
                           "SIZ marker: component %u has a subsampling of 0", c);
    if (ssiz != ssiz0 || xrsiz != 1 || yrsiz != 1)
      return route_message(ROUTE_OPENJPEG, message, capacity, "components differ");
  }
  uint32_t precision = (ssiz0 & 0x7F) + 1;
  if (csiz > 4 || precision > 20)
    return route_message(ROUTE_OPENJPEG, message, capacity, "outside OpenJPH's tested range");

  /* The rest of the main header (A.4, A.6, 15444-15 A.3) */
  size_t position = 4 + lsiz;
  int seen_cap = 0, seen_cod = 0, seen_qcd = 0;
  uint32_t decompositions = 0, transform = 0, qcd_style = 0, qcd_length = 0;
  uint32_t coding_style = 0, progression = 0, block_x = 0, block_y = 0, guard_bits = 0;
  size_t qcd_body = 0;
  for (;;) {
    if (!r.has(position, 4))
      return route_message(ROUTE_INVALID, message, capacity,
                           "truncated main header at offset %zu", position);
    uint32_t marker = r.u16(position);
    if (marker == 0xFF90) break; /* SOT: the first tile-part */
    uint32_t length = r.u16(position + 2);
    if ((marker >> 8) != 0xFF || length < 2 || !r.has(position + 2, length))
      return route_message(ROUTE_INVALID, message, capacity,
                           "corrupt marker segment 0x%04X at offset %zu", marker, position);
    size_t body = position + 4;
    switch (marker) {
      case 0xFF50: /* CAP */
        if (length != 8 || r.u32(body) != 0x00020000 || (r.u16(body + 4) >> 14) != 0)
          return route_message(ROUTE_OPENJPEG, message, capacity, "CAP other than HT-only");
        seen_cap = 1;
        break;
      case 0xFF52: { /* COD */
        uint32_t scod = r.u8(body);
        coding_style = scod;
        if (length < 12 || (scod & ~7u) != 0)
          return route_message(ROUTE_OPENJPEG, message, capacity, "COD style");
        progression = r.u8(body + 1);
        uint32_t layers = r.u16(body + 2), mct = r.u8(body + 4);
        decompositions = r.u8(body + 5);
        uint32_t xcb = r.u8(body + 6), ycb = r.u8(body + 7), style = r.u8(body + 8);
        block_x = xcb + 2;
        block_y = ycb + 2;
        transform = r.u8(body + 9);
        uint32_t expected = 12 + ((scod & 1) ? decompositions + 1 : 0);
        if (progression > 4 || layers != 1 || mct > 1 || (mct && csiz < 3) ||
            decompositions > 32 || xcb > 8 || ycb > 8 || xcb + ycb > 8 || transform > 1 ||
            length != expected)
          return route_message(ROUTE_OPENJPEG, message, capacity, "COD parameters");
        if ((style & 0x40) == 0 || (style & ~0x48u) != 0)
          return route_message(ROUTE_OPENJPEG, message, capacity, "not HT-only code-blocks");
        for (uint32_t i = 0; (scod & 1) && i <= decompositions; ++i) {
          uint32_t precinct = r.u8(body + 10 + i);
          if (i > 0 && ((precinct & 0xF) == 0 || (precinct >> 4) == 0))
            return route_message(ROUTE_OPENJPEG, message, capacity, "COD precincts");
        }
        seen_cod = 1;
        break;
      }
      case 0xFF5C: /* QCD */
        qcd_style = r.u8(body) & 0x1F;
        guard_bits = r.u8(body) >> 5;
        qcd_body = body + 1;
        qcd_length = length;
        seen_qcd = 1;
        break;
      case 0xFF55: /* TLM */
        found->has_tlm = 1;
        break;
      case 0xFF64: /* COM */
        break;
      default:
        return route_message(ROUTE_OPENJPEG, message, capacity,
                             "main header marker 0x%04X", marker);
    }
    position += 2 + length;
  }
  if (!seen_cap || !seen_cod || !seen_qcd)
    return route_message(ROUTE_OPENJPEG, message, capacity, "no CAP, COD or QCD marker");
  uint32_t bands = 1 + 3 * decompositions;
  bool quantization_fits =
      transform == 1 ? (qcd_style == 0 && qcd_length == 3 + bands)
                     : (qcd_style == 2 && qcd_length == 3 + 2 * bands);
  if (!quantization_fits)
    return route_message(ROUTE_OPENJPEG, message, capacity, "QCD does not match COD");
  /* OpenJPH 0.9 decodes wrongly when a tile is smaller than 2**decompositions. */
  uint64_t scale = (uint64_t)1 << decompositions;
  if (smallest_tile_side(xosiz, xsiz, xtosiz, xtsiz, (uint32_t)tiles_x) < scale ||
      smallest_tile_side(yosiz, ysiz, ytosiz, ytsiz, (uint32_t)tiles_y) < scale)
    return route_message(ROUTE_OPENJPEG, message, capacity, "tiles smaller than the DWT");
  found->decompositions = decompositions;
  found->tlm_offset = position;

  /* Tile-parts (A.4.2): each SOT's Psot leads to the next. */
  uint64_t tiles = tiles_x * tiles_y;
  size_t bodies[2][64];  /* [start, end) of the first tile-part bodies, for the packet check */
  uint32_t body_count = 0;
  while (r.has(position, 2) && r.u16(position) == 0xFF90) {
    if (!r.has(position, 12) || r.u16(position + 2) != 10)
      return route_message(ROUTE_INVALID, message, capacity,
                           "truncated or corrupt SOT marker at offset %zu", position);
    uint32_t isot = r.u16(position + 4), psot = r.u32(position + 6);
    if (isot >= tiles)
      return route_message(ROUTE_INVALID, message, capacity,
                           "SOT at offset %zu names tile %u of %llu", position, isot,
                           (unsigned long long)tiles);
    size_t header = position + 12;
    for (;;) {
      if (!r.has(header, 2))
        return route_message(ROUTE_INVALID, message, capacity,
                             "tile-part at offset %zu is truncated in its header", position);
      uint32_t marker = r.u16(header);
      if (marker == 0xFF93) break; /* SOD */
      if (!r.has(header, 4))
        return route_message(ROUTE_INVALID, message, capacity,
                             "tile-part at offset %zu is truncated in its header", position);
      uint32_t length = r.u16(header + 2);
      if ((marker >> 8) != 0xFF || length < 2 || !r.has(header + 2, length))
        return route_message(ROUTE_INVALID, message, capacity,
                             "corrupt marker segment 0x%04X at offset %zu", marker, header);
      if (marker != 0xFF58 && marker != 0xFF64) /* PLT, COM */
        return route_message(ROUTE_OPENJPEG, message, capacity,
                             "tile-part header marker 0x%04X", marker);
      header += 2 + length;
    }
    size_t end;
    if (psot == 0) {
      /* The last tile-part runs to the EOC marker. */
      end = size;
      while (end >= position + 2 && !(r.u16(end - 2) == 0xFFD9)) --end;
      if (end < header + 2)
        return route_message(ROUTE_INVALID, message, capacity, "no EOC marker");
      end -= 2;
    } else {
      if (psot < 14 || !r.has(position, psot) || position + psot < header + 2)
        return route_message(ROUTE_INVALID, message, capacity,
                             "truncated codestream: the tile-part at offset %zu needs %u bytes,"
                             " %zu remain", position, psot, size - position);
      end = position + psot;
    }
    if (body_count < 64) {
      bodies[0][body_count] = header + 2;
      bodies[1][body_count] = end;
    }
    ++body_count;
    ++found->tile_parts;
    position = end;
  }
  /* After the last tile-part: EOC, then at most DICOM's even-length padding. */
  if (!r.has(position, 2) || r.u16(position) != 0xFFD9)
    return route_message(ROUTE_INVALID, message, capacity,
                         "expected the EOC marker at offset %zu", position);
  if (size - position - 2 > 1)
    return route_message(ROUTE_OPENJPEG, message, capacity, "data after EOC");
  if (found->tile_parts == 0)
    return route_message(ROUTE_INVALID, message, capacity, "no tile-parts");

  /* OpenJPH 0.9 trusts the code-block lengths in packet headers (a corrupt
   * one makes it write past a buffer), so every packet header is read here
   * first, in the simple layout this reader handles: one tile at the origin,
   * one precinct per resolution, no SOP/EPH markers. */
  if (tiles != 1 || xosiz != 0 || yosiz != 0 || coding_style != 0 || body_count > 64 ||
      xsiz > 32768 || ysiz > 32768)
    return route_message(ROUTE_OPENJPEG, message, capacity, "layout outside the packet check");
  PacketLayout layout;
  layout.width = xsiz;
  layout.height = ysiz;
  layout.components = csiz;
  layout.decompositions = decompositions;
  layout.block_x = block_x;
  layout.block_y = block_y;
  layout.resolution_first = progression <= 2;  /* LRCP, RLCP, RPCL; else PCRL, CPRL */
  layout.guard_bits = guard_bits;
  layout.reversible = transform == 1;
  layout.qcd = data + qcd_body;
  if (!packets_are_sound(data, bodies[0], bodies[1], body_count, layout))
    return route_message(ROUTE_OPENJPEG, message, capacity, "packet headers outside the check");
  return ROUTE_OPENJPH;
}

struct Header {
  uint32_t width, height;       /* of the image area: Xsiz - XOsiz, Ysiz - YOsiz */
  uint32_t x0, y0;              /* image offset on the reference grid */
  uint32_t components;
  uint32_t precision;           /* of component 0 */
  int is_signed;                /* of component 0 */
  int uniform;                  /* every component like component 0, unsubsampled */
  uint32_t tile_width, tile_height;
  uint32_t decompositions;
  uint32_t block_width, block_height;
  int reversible;
  int color_transform;
  int planar;
  char progression[8];
};

inline int read_header(const uint8_t *data, size_t size, Header *header, char *error,
                       size_t error_capacity) noexcept {
  thread_warnings().clear();
  try {
    ojph::mem_infile file;
    file.open(data, size);
    ojph::codestream codestream;
    codestream.read_headers(&file);
    ojph::param_siz siz = codestream.access_siz();
    ojph::param_cod cod = codestream.access_cod();
    ojph::point extent = siz.get_image_extent();
    ojph::point offset = siz.get_image_offset();
    if (extent.x <= offset.x || extent.y <= offset.y)
      throw std::runtime_error("the SIZ marker describes an empty image");
    header->width = extent.x - offset.x;
    header->height = extent.y - offset.y;
    header->x0 = offset.x;
    header->y0 = offset.y;
    header->components = siz.get_num_components();
    if (header->components == 0) throw std::runtime_error("the SIZ marker declares no components");
    header->precision = siz.get_bit_depth(0);
    header->is_signed = siz.is_signed(0) ? 1 : 0;
    header->uniform = 1;
    for (uint32_t c = 0; c < header->components; ++c) {
      ojph::point sampling = siz.get_downsampling(c);
      if (sampling.x != 1 || sampling.y != 1 || siz.get_bit_depth(c) != header->precision ||
          (siz.is_signed(c) ? 1 : 0) != header->is_signed)
        header->uniform = 0;
    }
    ojph::size tile = siz.get_tile_size();
    header->tile_width = tile.w;
    header->tile_height = tile.h;
    header->decompositions = cod.get_num_decompositions();
    ojph::size block = cod.get_block_dims();
    header->block_width = block.w;
    header->block_height = block.h;
    header->reversible = cod.is_reversible() ? 1 : 0;
    header->color_transform = cod.is_using_color_transform() ? 1 : 0;
    header->planar = codestream.is_planar() ? 1 : 0;
    copy_message(header->progression, sizeof(header->progression),
                 cod.get_progression_order_as_string());
    codestream.close();
    return OK;
  } catch (const std::bad_alloc &) {
    copy_message(error, error_capacity, "out of memory");
    return NO_MEMORY;
  } catch (const std::exception &exc) {
    copy_message(error, error_capacity, exc.what());
    return FAILED;
  } catch (...) {
    copy_message(error, error_capacity, "unknown OpenJPH failure");
    return FAILED;
  }
}

/*
 * Storing decoded samples. OpenJPH hands out one line of one component at a
 * time as int32; the output is (rows, columns, components) of any integer
 * type. A single component is clamped and narrowed straight into the output
 * row. Several components are first narrowed into contiguous per-component
 * scratch lines and then interleaved in one pass, because a strided store per
 * component does not vectorise (it took 15% of an RGB decode).
 *
 * The kernels are always inlined into two entry points that the compiler
 * builds twice, for AVX2 and for the baseline, picked once per process by the
 * dynamic loader: AVX2 narrows and interleaves 8-bit RGB about four times as
 * fast as SSE2 does.
 */
#if defined(__x86_64__) && defined(__GLIBC__) && (defined(__GNUC__) || defined(__clang__))
#define DICOMCORE_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define DICOMCORE_VECTOR_CLONES
#endif
#if defined(__GNUC__) || defined(__clang__)
#define DICOMCORE_KERNEL inline __attribute__((always_inline))
#else
#define DICOMCORE_KERNEL inline
#endif

struct SampleRange {
  int32_t low, high;  /* irreversible decoding can overshoot the range a little */
  uint32_t mask;      /* the precision's bits */
  int32_t sign;       /* the precision's sign bit */
  int mode;           /* StoreMode */
};

/* The mode is a template parameter and the clamp works on 32-bit values so
 * that the common case (reversible, sign as decoded) compiles to a vector loop. */
template <typename T, int Mode>
DICOMCORE_KERNEL void narrow_line(const int32_t *line, T *target, uint32_t count,
                                  const SampleRange &range) {
  const int32_t low = range.low, high = range.high, sign = range.sign;
  const uint32_t mask = range.mask;
  for (size_t i = 0; i < count; ++i) {
    int32_t value = line[i] < low ? low : (line[i] > high ? high : line[i]);
    if (Mode == STORE_LOW_BITS) {
      value = (int32_t)((uint32_t)value & mask);
    } else if (Mode == STORE_SIGN_EXTEND) {
      value = (int32_t)((uint32_t)value & mask);
      value = (value ^ sign) - sign;
    }
    target[i] = (T)value;
  }
}

template <typename T>
DICOMCORE_KERNEL void narrow_mode(const int32_t *line, T *target, uint32_t count,
                                  const SampleRange &range) {
  if (range.mode == STORE_LOW_BITS)
    narrow_line<T, STORE_LOW_BITS>(line, target, count, range);
  else if (range.mode == STORE_SIGN_EXTEND)
    narrow_line<T, STORE_SIGN_EXTEND>(line, target, count, range);
  else
    narrow_line<T, STORE_AS_IS>(line, target, count, range);
}

/* OpenJPH's path only sees precisions up to 20 bits (see inspect()), so the
 * sample range and masks fit 32-bit arithmetic. */
/* Calls work(T()) with T the sample type of (kind, itemsize): 0 unsigned, 1
 * signed; 1, 2, 4 or 8 bytes. Inlined with `work` so that the kernels compile
 * inside each target clone. */
template <typename Work>
DICOMCORE_KERNEL auto with_sample_type(int kind, int itemsize, Work &&work) {
  if (kind == 0) {
    switch (itemsize) {
      case 1: return work(uint8_t());
      case 2: return work(uint16_t());
      case 4: return work(uint32_t());
      default: return work(uint64_t());
    }
  }
  switch (itemsize) {
    case 1: return work(int8_t());
    case 2: return work(int16_t());
    case 4: return work(int32_t());
    default: return work(int64_t());
  }
}

#if defined(__GNUC__) || defined(__clang__)
#define DICOMCORE_INLINE_LAMBDA __attribute__((always_inline))
#else
#define DICOMCORE_INLINE_LAMBDA
#endif

DICOMCORE_VECTOR_CLONES
static void narrow_any(const int32_t *line, void *target, int kind, int itemsize, uint32_t count,
                       const SampleRange &range) {
  with_sample_type(kind, itemsize, [&](auto sample) DICOMCORE_INLINE_LAMBDA {
    narrow_mode(line, (decltype(sample) *)target, count, range);
  });
}

/* Between pixels (`count` pixels of `components` interleaved samples) and
 * planes (`components` runs of `count` samples), either way. Three and four
 * components are spelled out with one pointer per plane: that is the form
 * compilers turn into byte shuffles. */
template <bool ToPixels, typename T>
DICOMCORE_KERNEL void move_sample(T &plane, T &pixel) {
  if (ToPixels)
    pixel = plane;
  else
    plane = pixel;
}

template <bool ToPixels, typename T>
DICOMCORE_KERNEL void shuffle_count(T *planes, T *pixels, uint32_t components, uint32_t count) {
  T *first = planes, *second = planes + count, *third = planes + 2 * (size_t)count;
  if (components == 3) {
    for (size_t i = 0; i < count; ++i) {
      move_sample<ToPixels>(first[i], pixels[3 * i]);
      move_sample<ToPixels>(second[i], pixels[3 * i + 1]);
      move_sample<ToPixels>(third[i], pixels[3 * i + 2]);
    }
  } else if (components == 4) {
    T *fourth = planes + 3 * (size_t)count;
    for (size_t i = 0; i < count; ++i) {
      move_sample<ToPixels>(first[i], pixels[4 * i]);
      move_sample<ToPixels>(second[i], pixels[4 * i + 1]);
      move_sample<ToPixels>(third[i], pixels[4 * i + 2]);
      move_sample<ToPixels>(fourth[i], pixels[4 * i + 3]);
    }
  } else {
    for (size_t i = 0; i < count; ++i)
      for (uint32_t c = 0; c < components; ++c)
        move_sample<ToPixels>(planes[(size_t)c * count + i], pixels[(size_t)i * components + c]);
  }
}

/* Signedness does not matter to a copy, so only the width picks the kernel. */
template <bool ToPixels>
DICOMCORE_KERNEL void shuffle_any(void *planes, void *pixels, int itemsize, uint32_t components,
                                  uint32_t count) {
  switch (itemsize) {
    case 1: shuffle_count<ToPixels>((uint8_t *)planes, (uint8_t *)pixels, components, count); break;
    case 2: shuffle_count<ToPixels>((uint16_t *)planes, (uint16_t *)pixels, components, count); break;
    case 4: shuffle_count<ToPixels>((uint32_t *)planes, (uint32_t *)pixels, components, count); break;
    default: shuffle_count<ToPixels>((uint64_t *)planes, (uint64_t *)pixels, components, count);
  }
}

DICOMCORE_VECTOR_CLONES
static void interleave_any(const void *planes, void *pixels, int itemsize, uint32_t components,
                           uint32_t count) {
  shuffle_any<true>(const_cast<void *>(planes), pixels, itemsize, components, count);
}

DICOMCORE_VECTOR_CLONES
static void deinterleave_any(const void *pixels, void *planes, int itemsize, uint32_t components,
                             uint32_t count) {
  shuffle_any<false>(planes, const_cast<void *>(pixels), itemsize, components, count);
}

struct DecodeRequest {
  uint32_t reduce;            /* resolution levels to skip */
  uint32_t row0, column0;     /* first output row / column, on the reduced image */
  uint32_t rows, columns;     /* output size */
  uint32_t components;        /* expected component count */
  void *out;                  /* C-contiguous (rows, columns, components) */
  int kind;                   /* 0 unsigned, 1 signed */
  int itemsize;
  int mode;                   /* StoreMode */
};

inline int decode(const uint8_t *data, size_t size, const DecodeRequest *request, char *error,
                  size_t error_capacity) noexcept {
  thread_warnings().clear();
  try {
    ojph::mem_infile file;
    file.open(data, size);
    ojph::codestream codestream;
    codestream.read_headers(&file);
    ojph::param_siz siz = codestream.access_siz();
    uint32_t components = siz.get_num_components();
    if (components != request->components)
      throw std::runtime_error("the component count changed between header reads");
    codestream.restrict_input_resolution(request->reduce, request->reduce);
    uint32_t precision = siz.get_bit_depth(0);
    bool is_signed = siz.is_signed(0);
    if (precision < 1 || precision > 30) throw std::runtime_error("unsupported precision");
    uint32_t height = siz.get_recon_height(0);
    uint32_t width = siz.get_recon_width(0);
    for (uint32_t c = 1; c < components; ++c)
      if (siz.get_recon_height(c) != height || siz.get_recon_width(c) != width)
        throw std::runtime_error("components differ in size");
    if ((uint64_t)request->row0 + request->rows > height ||
        (uint64_t)request->column0 + request->columns > width)
      throw std::runtime_error("the requested region lies outside the decoded image");
    SampleRange range;
    range.low = is_signed ? -((int32_t)1 << (precision - 1)) : 0;
    range.high = is_signed ? ((int32_t)1 << (precision - 1)) - 1
                           : (int32_t)(((uint32_t)1 << precision) - 1);
    range.mask = ((uint32_t)1 << precision) - 1;
    range.sign = (int32_t)1 << (precision - 1);
    range.mode = request->mode;

    /* Row by row, every component of a row before the next row (read_headers
     * picks planar order for data without colour transform). */
    codestream.set_planar(false);
    codestream.create();
    uint8_t *out = (uint8_t *)request->out;
    size_t plane_bytes = (size_t)request->itemsize * request->columns;
    size_t row_bytes = plane_bytes * components;
    std::vector<uint8_t> planes(components > 1 ? row_bytes : 0);
    for (uint32_t row = 0; row < height; ++row) {
      bool wanted = row >= request->row0 && row - request->row0 < request->rows;
      uint8_t *target = wanted ? out + (size_t)(row - request->row0) * row_bytes : nullptr;
      for (uint32_t c = 0; c < components; ++c) {
        uint32_t component = 0;
        ojph::line_buf *line = codestream.pull(component);
        if (line == nullptr) throw std::runtime_error("OpenJPH returned fewer lines than the image has");
        if (component != c) throw std::runtime_error("OpenJPH returned components out of order");
        if (!wanted) continue;
        if (line->size < width) throw std::runtime_error("OpenJPH returned a short line");
        void *plane = components > 1 ? planes.data() + c * plane_bytes : (void *)target;
        narrow_any(line->i32 + request->column0, plane, request->kind, request->itemsize,
                   request->columns, range);
      }
      if (wanted && components > 1)
        interleave_any(planes.data(), target, request->itemsize, components, request->columns);
    }
    codestream.close();
    return OK;
  } catch (const std::bad_alloc &) {
    copy_message(error, error_capacity, "out of memory");
    return NO_MEMORY;
  } catch (const std::exception &exc) {
    copy_message(error, error_capacity, exc.what());
    return FAILED;
  } catch (...) {
    copy_message(error, error_capacity, "unknown OpenJPH failure");
    return FAILED;
  }
}

struct EncodeRequest {
  const void *pixels;         /* C-contiguous (rows, columns, components) */
  int kind, itemsize;
  uint32_t rows, columns, components;
  uint32_t precision;
  int is_signed;
  int reversible;
  float quantization_step;    /* irreversible only */
  int color_transform;
  uint32_t decompositions;
  uint32_t block_width, block_height;
  const char *progression;
  int64_t low, high;          /* the sample range of the precision */
  int64_t bad_index;          /* out: first sample outside [low, high], or -1 */
};

/* One component of one row into OpenJPH's line. Returns whether a sample
 * lies outside [low, high]: an OR over the line, so the loop vectorises; the
 * rare failure is located afterwards by first_outside(). */
template <typename T>
DICOMCORE_KERNEL bool widen_line(const T *source, int32_t *line, uint32_t count, int64_t low,
                                 int64_t high) {
  /* Samples of up to 16 bits compare in 32-bit lanes; the range of an
   * HTJ2K precision (at most 20 bits here) fits either way. */
  typedef typename std::conditional<(sizeof(T) <= 2), int32_t, int64_t>::type Wide;
  const Wide lowest = (Wide)low, highest = (Wide)high;
  Wide outside = 0;  /* not a bool: GCC does not vectorise an OR into a bool */
  for (size_t i = 0; i < count; ++i) {
    Wide value = (Wide)source[i];
    outside |= (Wide)(value < lowest) | (Wide)(value > highest);
    line[i] = (int32_t)value;
  }
  return outside != 0;
}

template <typename T>
inline int64_t first_outside(const T *source, uint32_t count, int64_t low, int64_t high) {
  for (uint32_t i = 0; i < count; ++i)
    if ((int64_t)source[i] < low || (int64_t)source[i] > high) return i;
  return -1;
}

/* The index in `source` of the first sample outside [low, high], or -1. */
DICOMCORE_VECTOR_CLONES
static int64_t load_any(const void *source, int kind, int itemsize, int32_t *line, uint32_t count,
                        int64_t low, int64_t high) {
  return with_sample_type(kind, itemsize, [&](auto sample) DICOMCORE_INLINE_LAMBDA -> int64_t {
    const auto *samples = (const decltype(sample) *)source;
    return widen_line(samples, line, count, low, high)
               ? first_outside(samples, count, low, high) : -1;
  });
}

/* On success *encoded is a malloc'd codestream of *encoded_size bytes. */
inline int encode(EncodeRequest *request, uint8_t **encoded, size_t *encoded_size,
                  char *error, size_t error_capacity) noexcept {
  *encoded = nullptr;
  *encoded_size = 0;
  request->bad_index = -1;
  thread_warnings().clear();
  try {
    ojph::codestream codestream;
    ojph::param_siz siz = codestream.access_siz();
    siz.set_image_extent(ojph::point(request->columns, request->rows));
    siz.set_image_offset(ojph::point(0, 0));
    siz.set_tile_size(ojph::size(request->columns, request->rows));
    siz.set_tile_offset(ojph::point(0, 0));
    siz.set_num_components(request->components);
    for (uint32_t c = 0; c < request->components; ++c)
      siz.set_component(c, ojph::point(1, 1), request->precision, request->is_signed != 0);
    ojph::param_cod cod = codestream.access_cod();
    cod.set_num_decomposition(request->decompositions);
    cod.set_block_dims(request->block_width, request->block_height);
    cod.set_progression_order(request->progression);
    cod.set_color_transform(request->color_transform != 0);
    cod.set_reversible(request->reversible != 0);
    if (!request->reversible)
      codestream.access_qcd().set_irrev_quant(request->quantization_step);
    codestream.set_planar(false);

    ojph::mem_outfile file;
    file.open();
    codestream.write_headers(&file);
    /* Several components are split into planes a row at a time, for the
     * same reason the decoder interleaves them that way (see above). */
    const uint8_t *pixels = (const uint8_t *)request->pixels;
    size_t plane_bytes = (size_t)request->itemsize * request->columns;
    size_t row_bytes = plane_bytes * request->components;
    std::vector<uint8_t> planes(request->components > 1 ? row_bytes : 0);
    uint32_t component = 0;
    ojph::line_buf *line = codestream.exchange(nullptr, component);
    for (uint32_t row = 0; row < request->rows; ++row) {
      const uint8_t *source = pixels + (size_t)row * row_bytes;
      if (request->components > 1) {
        deinterleave_any(source, planes.data(), request->itemsize, request->components,
                         request->columns);
        source = planes.data();
      }
      for (uint32_t c = 0; c < request->components; ++c) {
        if (line == nullptr || component != c)
          throw std::runtime_error("OpenJPH asked for lines out of order");
        int64_t bad = load_any(source + c * plane_bytes, request->kind, request->itemsize,
                               line->i32, request->columns, request->low, request->high);
        if (bad >= 0) {
          request->bad_index = ((int64_t)row * request->columns + bad) * request->components + c;
          throw std::range_error("a sample does not fit in the precision");
        }
        line = codestream.exchange(line, component);
      }
    }
    codestream.flush();
    size_t size = (size_t)file.tell();
    uint8_t *copy = (uint8_t *)std::malloc(size ? size : 1);
    if (copy == nullptr) throw std::bad_alloc();
    std::memcpy(copy, file.get_data(), size);
    codestream.close();
    *encoded = copy;
    *encoded_size = size;
    return OK;
  } catch (const std::bad_alloc &) {
    copy_message(error, error_capacity, "out of memory");
    return NO_MEMORY;
  } catch (const std::exception &exc) {
    copy_message(error, error_capacity, exc.what());
    return FAILED;
  } catch (...) {
    copy_message(error, error_capacity, "unknown OpenJPH failure");
    return FAILED;
  }
}

inline const char *version() {
#define DICOMCORE_OJPH_STR2(x) #x
#define DICOMCORE_OJPH_STR(x) DICOMCORE_OJPH_STR2(x)
  return DICOMCORE_OJPH_STR(OPENJPH_VERSION_MAJOR) "." DICOMCORE_OJPH_STR(
      OPENJPH_VERSION_MINOR) "." DICOMCORE_OJPH_STR(OPENJPH_VERSION_PATCH);
}

}  // namespace dicomcore_ojph

#endif  // DICOMCORE_OJPH_SHIM_H
