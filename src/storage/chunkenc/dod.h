// Integer column codec for steps and timestamps (one block's worth).
//
// Values are written as the first value (zigzag varint) followed by one of
// three per-block modes, picked by the encoder for the fewest bytes:
//   kConstDelta  every delta is equal (steady steps): no per-point bits at all
//   kDelta       each delta minus a base delta (the median), best for
//                stationary jitter such as wall-clock timestamps
//   kDeltaOfDelta  Gorilla's delta-of-delta, best for drifting intervals
// Deltas are first divided by their GCD ("scale"), so steps logged every
// 1,000,000 micro-steps or timestamps with millisecond resolution cost no
// bits for their trailing zeros. Residuals use two per-block bit widths
// (a 1-bit selector picks narrow or wide; no selector when they are equal),
// a tuned form of Gorilla's fixed buckets. docs/format/chunk.md has the bytes.
//
// All arithmetic is modulo 2^64, so every int64 sequence round-trips exactly,
// including ones whose deltas overflow int64.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "common/status.h"
#include "storage/chunkenc/coding.h"

namespace sextant::chunkenc {

// Stored in the block payload; never renumber.
enum class IntMode : uint8_t { kConstDelta = 0, kDelta = 1, kDeltaOfDelta = 2 };

// Appends the encoding of `values` (at least one) to `out`. Byte-aligned at
// both ends so columns can follow each other.
void EncodeIntColumn(std::span<const int64_t> values, std::string* out);

// Decodes exactly `n` values (n >= 1, the count from the block summary)
// from `in` into out[0, n), advancing `in` past the column. Returns DataLoss
// on truncated or malformed input, and with `strictly_increasing` (steps)
// also unless the values strictly increase: checked while decoding, cheaper
// than a second pass. On error `out` may hold garbage, which callers discard.
Status DecodeIntColumn(ByteCursor* in, size_t n, int64_t* out, bool strictly_increasing = false);

}  // namespace sextant::chunkenc
