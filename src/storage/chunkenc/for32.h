// Float column codec for values that are float32 numbers widened to double
// (what PyTorch's `.item()` and most training loops log): frame of reference
// and bit-packing on the float32 bit patterns.
//
//   base   <uvarint>  the smallest float32 bit pattern of the block
//   width  <1b>       bits per value, 0..32 (0: every value is `base`)
//   bits              n × width bits, each pattern minus base, MSB first,
//                     zero-padded to a whole byte
//
// Bit patterns, not numbers, are packed, so -0.0, ±Inf, subnormals and NaN
// payloads that survive the float32 round trip come back bit for bit. A
// noisy loss in float32 has ~20 bits of entropy per value; this costs about
// that, where XOR (xor.h) pays for a leading-zero window per value too.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sextant::chunkenc {

// True when every value is a float32 widened to double, bit for bit (the
// precondition of EncodeFor32Column).
bool AllFloat32(std::span<const double> values);

// The size EncodeFor32Column would append, without encoding.
// REQUIRES: AllFloat32(values), values non-empty.
size_t For32ColumnSize(std::span<const double> values);

// Appends the encoding of `values` to `out`. REQUIRES: AllFloat32(values),
// values non-empty.
void EncodeFor32Column(std::span<const double> values, std::string* out);

// Decodes exactly `n` values (n >= 1) from `bytes`, which must hold this
// column and nothing after it (at most padding), into out[0, n). DataLoss on
// truncated or malformed input.
Status DecodeFor32Column(std::string_view bytes, size_t n, double* out);

}  // namespace sextant::chunkenc
