// Downsampling one float series into N equal-width buckets for a chart.
//
// The cost grows with the number of buckets, not of points: a chunk block
// that lies wholly inside one bucket (and inside its piece's clip range)
// contributes its stored summary; only blocks straddling a bucket edge, the
// requested range's edges or a clip edge are decoded. With 128-point blocks
// that is at most ~1 decoded block per bucket edge.
//
// Thread-safety: Downsample keeps no state; pieces are only read.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"
#include "storage/chunkenc/chunk.h"

namespace sextant::query {

// A stored chunk of the series. Only points with clip_lo <= step <= clip_hi
// belong to the series: a forked run reads its parent's chunks clipped at the
// fork step. Use INT64_MIN/INT64_MAX for "the whole chunk". Not owned: the
// index and data must outlive the call.
struct ChunkPiece {
  const chunkenc::ChunkIndex* index = nullptr;
  std::string_view data;
  int64_t clip_lo = 0, clip_hi = 0;
};

// Already-decoded points (e.g. not yet compacted), sorted by step; the three
// spans have equal lengths.
struct PointsPiece {
  std::span<const int64_t> steps, ts;
  std::span<const double> values;
};

using Piece = std::variant<ChunkPiece, PointsPiece>;

enum class Axis { kStep, kTime };

// Where bucket edges fall on the step axis.
//   kExact   equal-width buckets: a block that straddles an edge is decoded
//            and its points split between the two buckets.
//   kBlocks  edges snapped to stored block boundaries where blocks are
//            narrower than a bucket: such a block lies wholly in the bucket
//            of its first step, so a bucket may reach up to one block (128
//            points, less than a bucket) past its nominal end. A block as
//            wide as a bucket or wider (a short series, a deep zoom) is cut
//            exactly, as with kExact. Counts, the global min and max and every
//            spike are the same as kExact; on a long series a read decodes
//            only the blocks cut by the range or a fork clip. Each bucket
//            reports its own first and last step.
// On the time axis buckets are always exact.
enum class Edges { kExact, kBlocks };

// The points of one bucket. "First" and "last" are by step on both axes.
struct Bucket {
  int32_t index = 0;        // in [0, n_buckets)
  uint64_t count = 0;       // points, NaN included; never 0 in results
  uint64_t nan_count = 0;
  double min = 0, max = 0, sum = 0;  // over non-NaN values; +inf, -inf, 0 if none
  int64_t first_step = 0, last_step = 0;
  double first_value = 0, last_value = 0;
  int64_t first_ts = 0, last_ts = 0;  // timestamps of the first and last point
  int64_t min_ts = 0, max_ts = 0;

  // NaN when every value is NaN.
  double mean() const;
};

// Work counters, for tests and for the server's timing logs.
struct DownsampleStats {
  uint64_t chunks_summarized = 0;  // whole chunks taken from their aggregate
  uint64_t blocks_summarized = 0;  // taken whole from their summaries
  uint64_t blocks_decoded = 0;
  uint64_t points_scanned = 0;     // decoded or PointsPiece points examined
};

// Splits [lo, hi] (inclusive; micro-steps for kStep, µs for kTime) into
// n_buckets equal-width intervals and summarizes the points of each; empty
// buckets are omitted and the rest returned in index order.
// REQUIRES: pieces sorted by step, their (clipped) points not overlapping.
// InvalidArgument for lo > hi, n_buckets outside [1, kMaxBuckets], a null or
// non-float chunk, or PointsPiece spans of unequal length; DataLoss (with
// context) for a corrupt chunk. `stats`, if not null, is overwritten.
constexpr int kMaxBuckets = 100'000;
Result<std::vector<Bucket>> Downsample(std::span<const Piece> pieces, Axis axis, int64_t lo,
                                       int64_t hi, int n_buckets,
                                       DownsampleStats* stats = nullptr,
                                       Edges edges = Edges::kExact);

// Whether Downsample must decode the block summarized by `s` in a chunk piece
// clipped to [clip_lo, clip_hi]: false when its summary suffices or none of
// its points is in range. A sparse read fetches the payloads of exactly
// these blocks.
bool BlockNeedsDecode(const chunkenc::BlockSummary& s, Axis axis, Edges edges, int64_t lo,
                      int64_t hi, int n_buckets, int64_t clip_lo, int64_t clip_hi);
// The blocks of a chunk for which BlockNeedsDecode holds, in order, found
// without walking every block where possible: none for a chunk inside one
// bucket, at most two with snapped edges.
std::vector<size_t> BlocksToDecode(const chunkenc::ChunkIndex& index, Axis axis, Edges edges,
                                   int64_t lo, int64_t hi, int n_buckets, int64_t clip_lo,
                                   int64_t clip_hi);

// The bucket holding x: floor((x - lo) * n / (hi - lo + 1)), exactly.
// REQUIRES: lo <= x <= hi, n >= 1.
int32_t BucketOf(int64_t x, int64_t lo, int64_t hi, int n);
// The smallest x with BucketOf(x) == b, for b in [0, n); for axis labels.
int64_t BucketStart(int32_t b, int64_t lo, int64_t hi, int n);

}  // namespace sextant::query
