// Chunk encoding and chunk-level aggregation (see chunk.h).
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "storage/chunkenc/bytes.h"
#include "storage/chunkenc/chunk.h"
#include "storage/chunkenc/coding.h"
#include "storage/chunkenc/crc32c.h"
#include "storage/chunkenc/dod.h"
#include "storage/chunkenc/decimal.h"
#include "storage/chunkenc/for32.h"
#include "storage/chunkenc/summary.h"
#include "storage/chunkenc/xor.h"

namespace sextant::chunkenc {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

Status CheckKeys(std::span<const int64_t> steps, std::span<const int64_t> ts, size_t n_values) {
  if (steps.size() != ts.size() || steps.size() != n_values) {
    return Status::InvalidArgument("chunk: steps, timestamps and values differ in length");
  }
  for (size_t i = 1; i < steps.size(); ++i) {
    if (steps[i] <= steps[i - 1]) {
      return Status::InvalidArgument("chunk: steps are not strictly increasing at index " +
                                     std::to_string(i));
    }
  }
  return Status::Ok();
}

// The encoding-independent part of a block summary.
BlockSummary KeySummary(std::span<const int64_t> steps, std::span<const int64_t> ts) {
  BlockSummary s;
  s.count = static_cast<uint32_t>(steps.size());
  s.first_step = steps.front();
  s.last_step = steps.back();
  auto [mn, mx] = std::minmax_element(ts.begin(), ts.end());
  s.min_ts = *mn;
  s.max_ts = *mx;
  s.first_ts = ts.front();
  s.last_ts = ts.back();
  return s;
}

void AddValueSummary(std::span<const double> v, BlockSummary* s) {
  s->min = kInf;
  s->max = -kInf;
  s->sum = 0;
  for (double x : v) {
    if (std::isnan(x)) {
      ++s->nan_count;
      continue;
    }
    s->min = std::min(s->min, x);
    s->max = std::max(s->max, x);
    s->sum += x;
  }
  s->first_value = v.front();
  s->last_value = v.back();
}

// Cuts the points into blocks; `encode_values(lo, n, out)` appends the value
// column of points [lo, lo + n) and `summarize(lo, n, s)` fills its value
// statistics.
template <typename EncodeValues, typename Summarize>
Result<EncodedChunk> EncodeBlocks(Encoding enc, std::span<const int64_t> steps,
                                  std::span<const int64_t> ts, EncodeValues encode_values,
                                  Summarize summarize) {
  EncodedChunk chunk;
  size_t n_blocks = (steps.size() + kBlockPoints - 1) / kBlockPoints;
  chunk.index.push_back(static_cast<char>(enc));
  chunk.index.push_back(static_cast<char>(kFormatVersion));
  PutVarint(&chunk.index, n_blocks);
  BlockSummary prev;
  for (size_t b = 0; b < n_blocks; ++b) {
    size_t lo = b * kBlockPoints;
    size_t n = std::min(kBlockPoints, steps.size() - lo);
    size_t start = chunk.data.size();
    EncodeIntColumn(steps.subspan(lo, n), &chunk.data);
    EncodeIntColumn(ts.subspan(lo, n), &chunk.data);
    encode_values(lo, n, &chunk.data);
    if (chunk.data.size() > std::numeric_limits<uint32_t>::max()) {
      return Status::TooLarge("chunk: data passes 4 GiB; split the series into smaller chunks");
    }
    BlockSummary s = KeySummary(steps.subspan(lo, n), ts.subspan(lo, n));
    summarize(lo, n, &s);
    s.offset = static_cast<uint32_t>(start);
    s.size = static_cast<uint32_t>(chunk.data.size() - start);
    s.crc = Crc32c(std::string_view(chunk.data).substr(start));
    PutSummary(enc, s, b == 0 ? nullptr : &prev, &chunk.index);
    prev = s;
  }
  PutFixed32(&chunk.index, Crc32c(chunk.index));
  return chunk;
}

// A kFloat block's value column: the smallest of XOR, float32 bit-packing
// (when every value is a widened float32) and decimal bit-packing (when
// every value is k / 10^e). XOR wins ties, then float32: XOR needs no
// check of every value, and float32 decodes without a division.
void EncodeFloatColumn(std::span<const double> v, std::string* out) {
  const size_t start = out->size();
  out->push_back(static_cast<char>(ValueCodec::kXor));
  EncodeXorColumn(v, out);
  size_t best = out->size() - start;
  ValueCodec codec = ValueCodec::kXor;
  auto consider = [&](ValueCodec c, size_t size) {
    if (1 + size < best) {
      best = 1 + size;
      codec = c;
    }
  };
  if (AllFloat32(v)) consider(ValueCodec::kFloat32, For32ColumnSize(v));
  std::optional<DecimalFrame> frame = FitDecimal(v);
  std::string delta;
  if (frame) {
    consider(ValueCodec::kDecimal, DecimalColumnSize(*frame, v.size()));
    EncodeDecimalDeltaColumn(v, *frame, &delta);
    consider(ValueCodec::kDecimalDelta, delta.size());
  }
  if (codec == ValueCodec::kXor) return;
  out->resize(start);
  out->push_back(static_cast<char>(codec));
  if (codec == ValueCodec::kFloat32) {
    EncodeFor32Column(v, out);
  } else if (codec == ValueCodec::kDecimal) {
    EncodeDecimalColumn(v, *frame, out);
  } else {
    out->append(delta);
  }
}

}  // namespace

Result<EncodedChunk> EncodeFloatChunk(std::span<const int64_t> steps, std::span<const int64_t> ts,
                                      std::span<const double> values) {
  RETURN_IF_ERROR(CheckKeys(steps, ts, values.size()));
  return EncodeBlocks(
      Encoding::kFloat, steps, ts,
      [&](size_t lo, size_t n, std::string* out) { EncodeFloatColumn(values.subspan(lo, n), out); },
      [&](size_t lo, size_t n, BlockSummary* s) { AddValueSummary(values.subspan(lo, n), s); });
}

Result<EncodedChunk> EncodeBytesChunk(std::span<const int64_t> steps, std::span<const int64_t> ts,
                                      std::span<const std::string_view> values) {
  RETURN_IF_ERROR(CheckKeys(steps, ts, values.size()));
  return EncodeBlocks(
      Encoding::kBytes, steps, ts,
      [&](size_t lo, size_t n, std::string* out) { EncodeBytesColumn(values.subspan(lo, n), out); },
      [](size_t, size_t, BlockSummary*) {});
}

ChunkStats Aggregate(std::span<const BlockSummary> blocks) {
  ChunkStats c{};
  c.min = kInf;
  c.max = -kInf;
  if (blocks.empty()) return c;
  c.first_step = blocks.front().first_step;
  c.last_step = blocks.back().last_step;
  c.first_value = blocks.front().first_value;
  c.last_value = blocks.back().last_value;
  c.first_ts = blocks.front().first_ts;
  c.last_ts = blocks.back().last_ts;
  c.min_ts = blocks.front().min_ts;
  c.max_ts = blocks.front().max_ts;
  for (const BlockSummary& b : blocks) {
    c.count += b.count;
    c.nan_count += b.nan_count;
    c.min_ts = std::min(c.min_ts, b.min_ts);
    c.max_ts = std::max(c.max_ts, b.max_ts);
    // Block min/max already exclude NaN (+inf/-inf when all NaN), so plain
    // min/max compose; bytes blocks carry zeros here, as documented.
    c.min = std::min(c.min, b.min);
    c.max = std::max(c.max, b.max);
    c.sum += b.sum;
  }
  return c;
}

}  // namespace sextant::chunkenc
