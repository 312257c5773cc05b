// Compaction planning, shared by every backend: which chunks of a series to
// merge, the merge itself, and which series wait for it. A backend only
// lists chunk metadata, reads the chosen payloads, and swaps the chunks in
// one transaction if they are still the ones the plan read (a chunk written
// meanwhile has a greater id and newer values; sealing over it would hide
// them).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "common/status.h"
#include "storage/backend.h"

namespace sextant::storage {

// A series is compacted once it has this many unsealed chunks, or when it has
// been idle for kIdleBeforeCompaction: often enough that reads rarely merge,
// rarely enough that a steady writer does not rewrite its tail per request.
inline constexpr int kMinUnsealedChunks = 16;
inline constexpr auto kIdleBeforeCompaction = std::chrono::seconds(1);


// The merge of one group of consecutive chunks into sealed (level-1) chunks.
struct CompactionGroup {
  int64_t lo = 0, hi = 0;           // the step range the sources covered
  std::vector<int64_t> source_ids;  // sorted
  std::vector<chunkenc::EncodedChunk> chunks;
  std::vector<chunkenc::ChunkStats> stats;
  // What the merge cost: blocks copied as they were (sources that follow
  // one another are joined block by block) and points decoded and encoded.
  size_t copied_blocks = 0;
  size_t encoded_points = 0;
};

// Groups of indexes into `meta` (ordered by first step, then id) to merge:
// every unsealed chunk, the sealed chunks it overlaps, and a partly filled
// sealed neighbour so that appends fill chunks up. Empty: nothing to do.
std::vector<std::vector<size_t>> PlanCompactionGroups(const std::vector<ChunkMeta>& meta);

// Merges one group's chunks (payloads included, any order) last-write-wins
// and encodes the result into sealed chunks.
Result<CompactionGroup> MergeCompactionGroup(const std::vector<ChunkRow>& rows);

// The exact number of points of a series from its chunk list (ordered by
// first step, then id): a chunk that overlaps no other counts as stored;
// overlapping runs of chunks are read with `read` (the chunks intersecting
// [lo, hi], payloads included, from the same snapshot as `meta`) and merged,
// so that a rewritten step counts once.
using ReadRange = std::function<Result<std::vector<ChunkRow>>(int64_t lo, int64_t hi)>;
Result<int64_t> CountSeriesPoints(const std::vector<ChunkMeta>& meta, const ReadRange& read);

// The series with unsealed chunks, and when they were last written.
// Thread-safe.
class DirtySeries {
 public:
  // `chunks` more unsealed chunks were committed for series `id`.
  void Mark(int64_t id, int chunks);
  // Up to `max` series due for compaction, with the unsealed chunks counted
  // when picked; `force` picks every dirty series.
  std::vector<std::pair<int64_t, int>> Pick(int max, bool force);
  // The series in `finished` were compacted up to what `picked` counted;
  // chunks written after the pick keep them dirty.
  void Done(const std::vector<std::pair<int64_t, int>>& picked,
            const std::vector<int64_t>& finished);

 private:
  std::mutex mu_;
  std::map<int64_t, std::pair<int, std::chrono::steady_clock::time_point>> dirty_;  // GUARDED_BY(mu_)
};

}  // namespace sextant::storage
