// Byte-granular helpers for the chunk format: zigzag, LEB128 varints, fixed
// little-endian integers, and a bounds-checked cursor for reading them.
//
// Everything here is header-only because it sits on the decode path of every
// block; the cursor never reads past `end` and reports failure through its
// return values instead of asserting, since the bytes come from storage.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sextant::chunkenc {

// Maps signed to unsigned so that small magnitudes of either sign get short
// varints: 0,-1,1,-2 -> 0,1,2,3. Defined on the two's-complement bit pattern,
// so it is total over int64 (no overflow UB).
inline uint64_t ZigZag(int64_t v) {
  uint64_t u = static_cast<uint64_t>(v);
  return (u << 1) ^ (0 - (u >> 63));
}
inline int64_t UnZigZag(uint64_t u) { return static_cast<int64_t>((u >> 1) ^ (0 - (u & 1))); }

// The bytes PutVarint writes for v.
inline size_t VarintLength(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

inline void PutVarint(std::string* out, uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}

inline void PutFixed32(std::string* out, uint32_t v) {
  char buf[4];
  for (int i = 0; i < 4; ++i) buf[i] = static_cast<char>(v >> (8 * i));
  out->append(buf, 4);
}

inline void PutFixed64(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(v >> (8 * i));
  out->append(buf, 8);
}

// Reads from [p, end). Every getter returns false (and leaves the output
// unspecified) when the input is truncated or malformed; callers turn that
// into Status::DataLoss with their own context.
class ByteCursor {
 public:
  explicit ByteCursor(std::string_view s)
      : p_(reinterpret_cast<const uint8_t*>(s.data())), end_(p_ + s.size()) {}

  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  const uint8_t* pos() const { return p_; }

  bool GetByte(uint8_t* v) {
    if (p_ == end_) return false;
    *v = *p_++;
    return true;
  }

  // Rejects varints longer than 10 bytes or with bits beyond 64, so that a
  // corrupt stream cannot alias a different value.
  [[gnu::always_inline]] bool GetVarint(uint64_t* v) {
    if (remaining() >= 10) {
      // Unrolled without per-byte bounds checks. The index parser reads ~15
      // varints per block whose lengths repeat from block to block, a
      // pattern branch predictors learn; a branch-free variant measured
      // slower.
      uint64_t result = 0;
      for (int i = 0; i < 10; ++i) {
        uint64_t byte = p_[i];
        result |= (byte & 0x7f) << (7 * i);
        if (byte < 0x80) {
          if (i == 9 && byte > 1) return false;
          p_ += i + 1;
          *v = result;
          return true;
        }
      }
      return false;
    }
    return GetVarintSlow(v);
  }

  bool GetZigZag(int64_t* v) {
    uint64_t u;
    if (!GetVarint(&u)) return false;
    *v = UnZigZag(u);
    return true;
  }

  bool GetFixed32(uint32_t* v) {
    if (remaining() < 4) return false;
    uint32_t r;
    std::memcpy(&r, p_, 4);
    if constexpr (std::endian::native == std::endian::big) r = __builtin_bswap32(r);
    p_ += 4;
    *v = r;
    return true;
  }

  bool GetFixed64(uint64_t* v) {
    if (remaining() < 8) return false;
    uint64_t r;
    std::memcpy(&r, p_, 8);
    if constexpr (std::endian::native == std::endian::big) r = __builtin_bswap64(r);
    p_ += 8;
    *v = r;
    return true;
  }

  // Reads an n-byte little-endian integer, n in [0, 8].
  bool GetLittleEndian(int n, uint64_t* v) {
    if (remaining() >= 8) {
      // One load and a mask, whatever n; the common case while parsing.
      uint64_t r;
      std::memcpy(&r, p_, 8);
      if constexpr (std::endian::native == std::endian::big) r = __builtin_bswap64(r);
      *v = n == 0 ? 0 : r & (~uint64_t{0} >> (64 - 8 * n));
      p_ += n;
      return true;
    }
    if (remaining() < static_cast<size_t>(n)) return false;
    uint64_t r = 0;
    for (int i = 0; i < n; ++i) r |= static_cast<uint64_t>(p_[i]) << (8 * i);
    p_ += n;
    *v = r;
    return true;
  }

  // Hands out the next n bytes without copying.
  bool GetBytes(size_t n, std::string_view* v) {
    if (remaining() < n) return false;
    *v = std::string_view(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return true;
  }

 private:
  bool GetVarintSlow(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
      if (p_ == end_) return false;
      uint64_t byte = *p_++;
      if (shift == 63 && byte > 1) return false;
      result |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        *v = result;
        return true;
      }
    }
    return false;
  }

  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace sextant::chunkenc
