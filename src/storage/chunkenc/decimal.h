// Float column codec for values that are decimals with few digits, however
// they were computed: accuracies (k/1000), percentages, integers (GPU
// utilization, counters), learning rates written as 3e-4. A block whose
// every value v is k / 10^e exactly, for one e in 0..18 and integers k with
// |k| < 2^53, stores the k by frame of reference and bit-packing (ALP's
// idea, without its exceptions):
//
//   e      <1b>       the decimal exponent, 0..18
//   base   <zigzag>   the smallest k
//   width  <1b>       bits per value, 0..54 (0: every k is base)
//   bits              n × width bits, each k minus base, MSB first,
//                     zero-padded to a whole byte
//
// A value decodes as (double)k / 10^e, one IEEE division, correctly rounded
// everywhere; the encoder keeps a block only if that gives back every
// value's exact bits (so -0.0, NaN and ±Inf keep a block on another codec).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sextant::chunkenc {

// How a block of decimals is stored.
struct DecimalFrame {
  int exponent = 0;  // e
  int64_t base = 0;  // the smallest k
  int width = 0;     // bits per k - base
};

// The smallest e for which every value is k / 10^e exactly, and the frame of
// the k; nullopt if there is none. REQUIRES: values non-empty.
std::optional<DecimalFrame> FitDecimal(std::span<const double> values);

// The size EncodeDecimalColumn appends for `frame` and n values.
size_t DecimalColumnSize(const DecimalFrame& frame, size_t n);

// Appends the encoding. REQUIRES: frame == FitDecimal(values).
void EncodeDecimalColumn(std::span<const double> values, const DecimalFrame& frame, std::string* out);

// Decodes exactly `n` values (n >= 1) from `bytes`, which must hold this
// column and nothing after it (at most padding), into out[0, n). DataLoss on
// truncated or malformed input.
Status DecodeDecimalColumn(std::string_view bytes, size_t n, double* out);

// The same decimals with their integers k in the int column of steps and
// timestamps (dod.h: constant delta, delta or delta of delta), for k that
// move steadily (counters, tokens seen: a few bytes a block):
//
//   e      <1b>         the decimal exponent, 0..18
//   k      <int column> as dod.h writes it
//
// REQUIRES: frame == FitDecimal(values).
void EncodeDecimalDeltaColumn(std::span<const double> values, const DecimalFrame& frame,
                              std::string* out);
Status DecodeDecimalDeltaColumn(std::string_view bytes, size_t n, double* out);

}  // namespace sextant::chunkenc
