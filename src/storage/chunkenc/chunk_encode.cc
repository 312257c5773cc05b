// Chunk encoding and chunk-level aggregation (see chunk.h).
#include <algorithm>
#include <limits>

#include "storage/chunkenc/chunk.h"
#include "storage/chunkenc/chunk_builder.h"

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

// Cuts the points into blocks of kBlockPoints; `add(builder, lo, n)` encodes
// points [lo, lo + n) as one block.
template <typename AddBlock>
Result<EncodedChunk> EncodeBlocks(Encoding enc, size_t n_points, AddBlock add) {
  ChunkBuilder b(enc);
  for (size_t lo = 0; lo < n_points; lo += kBlockPoints)
    RETURN_IF_ERROR(add(b, lo, std::min(kBlockPoints, n_points - lo)));
  return b.Finish();
}

}  // namespace

Result<EncodedChunk> EncodeFloatChunk(std::span<const int64_t> steps, std::span<const int64_t> ts,
                                      std::span<const double> values) {
  RETURN_IF_ERROR(CheckKeys(steps, ts, values.size()));
  return EncodeBlocks(Encoding::kFloat, steps.size(), [&](ChunkBuilder& b, size_t lo, size_t n) {
    return b.AddFloatBlock(steps.subspan(lo, n), ts.subspan(lo, n), values.subspan(lo, n));
  });
}

Result<EncodedChunk> EncodeBytesChunk(std::span<const int64_t> steps, std::span<const int64_t> ts,
                                      std::span<const std::string_view> values) {
  RETURN_IF_ERROR(CheckKeys(steps, ts, values.size()));
  return EncodeBlocks(Encoding::kBytes, steps.size(), [&](ChunkBuilder& b, size_t lo, size_t n) {
    return b.AddBytesBlock(steps.subspan(lo, n), ts.subspan(lo, n), values.subspan(lo, n));
  });
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
