// Resolving overwritten steps: when chunks of one series overlap, the point
// from the chunk written last (greatest chunk id) wins. Used by the compactor
// and by reads of series that have not been compacted yet.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/backend.h"
#include "storage/chunkenc/chunk.h"

namespace sextant::storage {

// Decoded points of one series, sorted by step, steps unique.
struct Points {
  std::vector<int64_t> steps, ts;
  std::vector<double> floats;       // float series
  std::vector<std::string> bytes;   // string and histogram series
  size_t size() const { return steps.size(); }
};

// Decodes `chunks` (any order) and merges them, later chunk ids winning.
// Keeps only points with lo <= step <= hi.
Status MergeChunks(const std::vector<const ChunkRow*>& chunks, int64_t lo, int64_t hi,
                   Points* out);

// Encodes sorted points into chunks of at most `max_points` each.
Result<std::vector<chunkenc::EncodedChunk>> EncodePoints(const Points& p, bool floats,
                                                         size_t max_points);

// Encodes one request's points of a series (sorted, unique steps) into the
// form the backend stores; fills the last-point fields.
Result<EncodedSeries> EncodeSeriesWrite(const model::SeriesWrite& s);

// Sealed chunks hold up to this many points: 128 blocks of 128. Big enough
// that a 10 M-point series is ~600 rows, small enough that re-encoding the
// partial tail on each compaction stays cheap.
constexpr size_t kSealedChunkPoints = 16384;

}  // namespace sextant::storage
