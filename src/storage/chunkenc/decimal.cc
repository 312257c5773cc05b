#include "storage/chunkenc/decimal.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

#include "storage/chunkenc/bitstream.h"
#include "storage/chunkenc/coding.h"
#include "storage/chunkenc/dod.h"

namespace sextant::chunkenc {
namespace {

constexpr int kMaxExponent = 18;
constexpr int kMaxWidth = 54;
constexpr double kExact = 9007199254740992.0;  // 2^53: integers below are exact doubles

// 10^0 … 10^18, each exact as a double (powers of ten are exact up to 10^22).
constexpr double kPow10[kMaxExponent + 1] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,
                                             1e7,  1e8,  1e9,  1e10, 1e11, 1e12, 1e13,
                                             1e14, 1e15, 1e16, 1e17, 1e18};

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

// k with k / 10^e == v bit for bit, if there is one.
std::optional<int64_t> AsDecimal(double v, int e) {
  const double t = v * kPow10[e];
  if (!(std::fabs(t) < kExact)) return std::nullopt;  // also NaN and ±Inf
  // Checked the way it decodes, from the integer: -0.0 comes back +0.0 and
  // is refused.
  const auto k = static_cast<int64_t>(std::nearbyint(t));
  if (Bits(static_cast<double>(k) / kPow10[e]) != Bits(v)) return std::nullopt;
  return k;
}

}  // namespace

std::optional<DecimalFrame> FitDecimal(std::span<const double> values) {
  for (int e = 0; e <= kMaxExponent; ++e) {
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    bool fits = true;
    for (double v : values) {
      auto k = AsDecimal(v, e);
      if (!k) {
        fits = false;
        break;
      }
      lo = std::min(lo, *k);
      hi = std::max(hi, *k);
    }
    if (!fits) continue;
    const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);  // < 2^54
    return DecimalFrame{e, lo, 64 - std::countl_zero(span)};
  }
  return std::nullopt;
}

size_t DecimalColumnSize(const DecimalFrame& f, size_t n) {
  return 1 + VarintLength(ZigZag(f.base)) + 1 + (n * static_cast<size_t>(f.width) + 7) / 8;
}

void EncodeDecimalColumn(std::span<const double> values, const DecimalFrame& f, std::string* out) {
  out->push_back(static_cast<char>(f.exponent));
  PutVarint(out, ZigZag(f.base));
  out->push_back(static_cast<char>(f.width));
  if (f.width == 0) return;
  BitWriter w(out);
  for (double v : values) {
    const int64_t k = *AsDecimal(v, f.exponent);
    w.Write(static_cast<uint64_t>(k) - static_cast<uint64_t>(f.base), f.width);
  }
  w.Finish();
}

Status DecodeDecimalColumn(std::string_view bytes, size_t n, double* out) {
  if (n == 0) return Status::DataLoss("decimal column: empty");
  ByteCursor in(bytes);
  uint8_t e = 0, width = 0;
  int64_t base = 0;
  if (!in.GetByte(&e) || e > kMaxExponent || !in.GetZigZag(&base) || !in.GetByte(&width) ||
      width > kMaxWidth || !(std::fabs(static_cast<double>(base)) < kExact)) {
    return Status::DataLoss("decimal column: corrupt header");
  }
  std::string_view packed = bytes.substr(bytes.size() - in.remaining());
  if (packed.size() != (n * width + 7) / 8) {
    return Status::DataLoss("decimal column: " + std::to_string(packed.size()) +
                            " bytes of values, expected " + std::to_string((n * width + 7) / 8));
  }
  const double p = kPow10[e];
  BitReader r(packed);
  for (size_t i = 0; i < n; ++i) {
    // Modulo 2^64, then checked: a corrupt delta must not leave the exact range.
    const int64_t k = static_cast<int64_t>(static_cast<uint64_t>(base) + r.Read(width));
    if (!(std::fabs(static_cast<double>(k)) < kExact)) return Status::DataLoss("decimal column: value out of range");
    out[i] = static_cast<double>(k) / p;
  }
  return Status::Ok();
}

void EncodeDecimalDeltaColumn(std::span<const double> values, const DecimalFrame& f, std::string* out) {
  out->push_back(static_cast<char>(f.exponent));
  thread_local std::vector<int64_t> ks;  // reused: this runs once per block
  ks.clear();
  for (double v : values) ks.push_back(*AsDecimal(v, f.exponent));
  EncodeIntColumn(ks, out);
}

Status DecodeDecimalDeltaColumn(std::string_view bytes, size_t n, double* out) {
  if (n == 0) return Status::DataLoss("decimal column: empty");
  ByteCursor in(bytes);
  uint8_t e = 0;
  if (!in.GetByte(&e) || e > kMaxExponent) return Status::DataLoss("decimal column: corrupt header");
  std::vector<int64_t> ks(n);
  RETURN_IF_ERROR(DecodeIntColumn(&in, n, ks.data()));
  if (in.remaining() != 0) return Status::DataLoss("decimal column: trailing bytes");
  const double p = kPow10[e];
  for (size_t i = 0; i < n; ++i) {
    if (!(std::fabs(static_cast<double>(ks[i])) < kExact)) return Status::DataLoss("decimal column: value out of range");
    out[i] = static_cast<double>(ks[i]) / p;
  }
  return Status::Ok();
}

}  // namespace sextant::chunkenc
