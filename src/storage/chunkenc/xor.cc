#include "storage/chunkenc/xor.h"

#include <algorithm>
#include <bit>
#include <cstdint>

#include "storage/chunkenc/bitstream.h"

namespace sextant::chunkenc {
namespace {

// The leading-zero field has 5 bits; longer runs are stored as 31 and the
// extra zeros become part of the meaningful bits.
constexpr int kMaxLeading = 31;

}  // namespace

void EncodeXorColumn(std::span<const double> values, std::string* out) {
  BitWriter w(out);
  uint64_t prev = std::bit_cast<uint64_t>(values[0]);
  w.Write(prev, 64);
  int lead = -1, trail = 0;  // the current window; lead < 0: none yet
  for (size_t i = 1; i < values.size(); ++i) {
    uint64_t cur = std::bit_cast<uint64_t>(values[i]);
    uint64_t x = cur ^ prev;
    prev = cur;
    if (x == 0) {
      w.WriteBit(false);
      continue;
    }
    int l = std::min(std::countl_zero(x), kMaxLeading);
    int t = std::countr_zero(x);
    if (lead >= 0 && l >= lead && t >= trail) {
      w.Write(0b10, 2);
      w.Write(x >> trail, 64 - lead - trail);
      continue;
    }
    lead = l;
    trail = t;
    int len = 64 - l - t;
    w.Write(0b11, 2);
    w.Write(static_cast<uint64_t>(l), 5);
    w.Write(static_cast<uint64_t>(len & 63), 6);  // 64 is stored as 0
    w.Write(x >> t, len);
  }
  w.Finish();
}

Status DecodeXorColumn(std::string_view bytes, size_t n, double* dst) {
  if (n == 0) return Status::DataLoss("xor column: empty");
  BitReader r(bytes);
  uint64_t prev = r.Read(64);
  dst[0] = std::bit_cast<double>(prev);
  int lead = 0, trail = 0;
  bool bad = false;  // checked once after the loop to keep it branch-light
  for (size_t i = 1; i < n; ++i) {
    uint64_t word = r.Peek();
    if ((word >> 63) == 0) {
      r.Skip(1);
    } else if (((word >> 62) & 1) == 0) {
      int len = 64 - lead - trail;
      uint64_t x;
      if (len <= 55) {
        x = (word << 2) >> (64 - len);
        r.Skip(2 + len);
      } else {
        r.Skip(2);
        x = r.Read(len);
      }
      prev ^= x << trail;
    } else {
      lead = static_cast<int>((word >> 57) & 31);
      int len = static_cast<int>((word >> 51) & 63);
      if (len == 0) len = 64;
      if (lead + len > 64) {  // corrupt: clamp to stay defined, fail below
        bad = true;
        len = 64 - lead;
      }
      trail = 64 - lead - len;
      uint64_t x;
      if (len <= 44) {
        x = (word << 13) >> (64 - len);
        r.Skip(13 + len);
      } else {
        r.Skip(13);
        x = r.Read(len);
      }
      prev ^= x << trail;
    }
    dst[i] = std::bit_cast<double>(prev);
  }
  // Beyond the overrun check, demand that at most padding bits are left, so
  // a block whose size field is too large is caught too.
  if (bad || r.overrun() || bytes.size() * 8 - r.bit_position() >= 8) {
    return Status::DataLoss("xor column: corrupt bit stream");
  }
  return Status::Ok();
}

}  // namespace sextant::chunkenc
