#include "storage/chunkenc/for32.h"

#include <algorithm>
#include <bit>
#include <cstdint>

#include "storage/chunkenc/bitstream.h"
#include "storage/chunkenc/coding.h"

namespace sextant::chunkenc {
namespace {

uint32_t Bits32(double v) { return std::bit_cast<uint32_t>(static_cast<float>(v)); }

// The frame of one column: the smallest pattern and the bits per value.
struct Frame {
  uint32_t base;
  int width;
};

Frame FrameOf(std::span<const double> values) {
  uint32_t lo = UINT32_MAX, hi = 0;
  for (double v : values) {
    uint32_t b = Bits32(v);
    lo = std::min(lo, b);
    hi = std::max(hi, b);
  }
  return {lo, 32 - std::countl_zero(hi - lo)};
}

}  // namespace

bool AllFloat32(std::span<const double> values) {
  for (double v : values) {
    // Compares bits: a NaN whose payload float32 cannot hold fails here.
    if (std::bit_cast<uint64_t>(static_cast<double>(static_cast<float>(v))) !=
        std::bit_cast<uint64_t>(v)) {
      return false;
    }
  }
  return true;
}

size_t For32ColumnSize(std::span<const double> values) {
  Frame f = FrameOf(values);
  return VarintLength(f.base) + 1 + (values.size() * static_cast<size_t>(f.width) + 7) / 8;
}

void EncodeFor32Column(std::span<const double> values, std::string* out) {
  Frame f = FrameOf(values);
  PutVarint(out, f.base);
  out->push_back(static_cast<char>(f.width));
  if (f.width == 0) return;
  BitWriter w(out);
  for (double v : values) w.Write(Bits32(v) - f.base, f.width);
  w.Finish();
}

Status DecodeFor32Column(std::string_view bytes, size_t n, double* out) {
  if (n == 0) return Status::DataLoss("float32 column: empty");
  ByteCursor in(bytes);
  uint64_t base;
  uint8_t width;
  if (!in.GetVarint(&base) || base > UINT32_MAX || !in.GetByte(&width) || width > 32) {
    return Status::DataLoss("float32 column: corrupt header");
  }
  std::string_view packed = bytes.substr(bytes.size() - in.remaining());
  // Exactly the bytes n values need: a size field too large is caught too.
  if (packed.size() != (n * width + 7) / 8) {
    return Status::DataLoss("float32 column: " + std::to_string(packed.size()) +
                            " bytes of values, expected " + std::to_string((n * width + 7) / 8));
  }
  const uint32_t b = static_cast<uint32_t>(base);
  if (width == 0) {
    double v = static_cast<double>(std::bit_cast<float>(b));
    std::fill(out, out + n, v);
    return Status::Ok();
  }
  BitReader r(packed);
  for (size_t i = 0; i < n; ++i) {
    // Modulo 2^32: a corrupt delta wraps to some pattern, still defined.
    uint32_t bits = b + static_cast<uint32_t>(r.Read56(width));
    out[i] = static_cast<double>(std::bit_cast<float>(bits));
  }
  return Status::Ok();
}

}  // namespace sextant::chunkenc
