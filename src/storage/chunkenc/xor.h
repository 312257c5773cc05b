// Float column codec (Encoding::kFloatXor): Gorilla-style XOR of each value's
// bits with the previous value's.
//
//   first value     64 raw bits
//   then per value  '0'                          same bits as the previous value
//                   '10' + meaningful bits       XOR fits the previous window
//                   '11' + 5b leading zeros + 6b length (0 means 64) + bits
//
// Bits, not numbers, are compared and stored, so every NaN payload, -0.0 and
// subnormal round-trips exactly. A value widened from float32 (as PyTorch
// logs) has at least 29 trailing zero bits in every XOR, which the window
// skips, so such series cost about as much as native float32 would.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sextant::chunkenc {

// Appends the encoding of `values` (at least one) to `out`; the last byte is
// zero-padded.
void EncodeXorColumn(std::span<const double> values, std::string* out);

// Decodes exactly `n` values (n >= 1) from `bytes`, which must hold this
// column and nothing after it (at most the padding bits), into out[0, n).
// Returns DataLoss on truncated or malformed input.
Status DecodeXorColumn(std::string_view bytes, size_t n, double* out);

}  // namespace sextant::chunkenc
