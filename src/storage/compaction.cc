#include "storage/compaction.h"

#include <algorithm>

#include "storage/chunkenc/chunk_builder.h"
#include "storage/series_merge.h"

namespace sextant::storage {
namespace {

// A block of a source chunk with at least this many points is copied as it
// is when sources are joined; smaller ones (the tails of small requests) are
// decoded and re-encoded together, so that a joined chunk's blocks stay
// dense: every block but a chunk's last holds at least this many points.
constexpr uint32_t kMinCopyPoints = chunkenc::kBlockPoints / 2;

// Joins `rows` (sorted by first step) block by block when each begins after
// the one before ends: the common case of a series logged in order, where a
// merge would decode and re-encode every point to the same values. False
// (nothing done) when they overlap or mix encodings; the caller merges them.
Result<bool> JoinAppended(const std::vector<const ChunkRow*>& rows, CompactionGroup* g) {
  std::vector<chunkenc::ChunkIndex> idx;
  std::vector<const ChunkRow*> src;
  for (const ChunkRow* r : rows) {
    ASSIGN_OR_RETURN(auto x, chunkenc::ChunkIndex::Parse(r->index));
    if (x.blocks().empty()) continue;
    if (x.encoding() == chunkenc::Encoding::kFloatXor) return false;  // re-encoded as kFloat
    if (!idx.empty() && (x.encoding() != idx[0].encoding() ||
                         x.blocks().front().first_step <= idx.back().blocks().back().last_step))
      return false;
    idx.push_back(std::move(x));
    src.push_back(r);
  }
  if (idx.empty()) return false;
  const chunkenc::Encoding enc = idx[0].encoding();
  const bool floats = chunkenc::IsFloat(enc);
  std::vector<std::pair<size_t, size_t>> blocks;  // (source, block)
  for (size_t r = 0; r < idx.size(); ++r)
    for (size_t b = 0; b < idx[r].blocks().size(); ++b) blocks.push_back({r, b});

  chunkenc::ChunkBuilder out(enc);
  auto room = [&](size_t n) {
    if (!out.empty() && out.points() + n > kSealedChunkPoints) g->chunks.push_back(out.Finish());
  };
  Points pending;  // decoded points of small blocks, waiting to form dense ones
  std::vector<std::string_view> views;
  auto encode = [&](size_t lo, size_t n) -> Status {
    room(n);
    g->encoded_points += n;
    std::span<const int64_t> steps(pending.steps.data() + lo, n), ts(pending.ts.data() + lo, n);
    if (floats) return out.AddFloatBlock(steps, ts, std::span<const double>(pending.floats.data() + lo, n));
    views.assign(pending.bytes.begin() + lo, pending.bytes.begin() + lo + n);
    return out.AddBytesBlock(steps, ts, views);
  };
  auto drop = [&](size_t n) {
    pending.steps.erase(pending.steps.begin(), pending.steps.begin() + n);
    pending.ts.erase(pending.ts.begin(), pending.ts.begin() + n);
    if (floats) pending.floats.erase(pending.floats.begin(), pending.floats.begin() + n);
    else pending.bytes.erase(pending.bytes.begin(), pending.bytes.begin() + n);
  };
  // Every pending point, in blocks of near-equal size (each >= 64 points
  // when there are at least 64).
  auto flush = [&]() -> Status {
    size_t n = pending.size(), k = (n + chunkenc::kBlockPoints - 1) / chunkenc::kBlockPoints;
    for (size_t j = 0, lo = 0; j < k; ++j) {
      size_t m = n * (j + 1) / k - lo;
      RETURN_IF_ERROR(encode(lo, m));
      lo += m;
    }
    drop(n);
    return Status::Ok();
  };
  for (size_t k = 0; k < blocks.size(); ++k) {
    auto [r, b] = blocks[k];
    const chunkenc::BlockSummary& s = idx[r].blocks()[b];
    if (pending.size() == 0 && s.count >= kMinCopyPoints) {
      room(s.count);
      RETURN_IF_ERROR(out.CopyBlock(idx[r], b, src[r]->data).WithContext("chunk " + std::to_string(src[r]->id)));
      ++g->copied_blocks;
      continue;
    }
    Status d = floats ? idx[r].DecodeFloatBlock(b, src[r]->data, &pending.steps, &pending.ts, &pending.floats)
                      : idx[r].DecodeBytesBlock(b, src[r]->data, &pending.steps, &pending.ts, &pending.bytes);
    RETURN_IF_ERROR(d.WithContext("chunk " + std::to_string(src[r]->id)));
    bool last = k + 1 == blocks.size();
    bool next_copies = !last && idx[blocks[k + 1].first].blocks()[blocks[k + 1].second].count >= kMinCopyPoints;
    if (last || (next_copies && pending.size() >= kMinCopyPoints)) {
      RETURN_IF_ERROR(flush());
    } else {
      for (; pending.size() >= 2 * chunkenc::kBlockPoints; drop(chunkenc::kBlockPoints))
        RETURN_IF_ERROR(encode(0, chunkenc::kBlockPoints));
    }
  }
  if (!out.empty()) g->chunks.push_back(out.Finish());
  return true;
}

}  // namespace

std::vector<std::vector<size_t>> PlanCompactionGroups(const std::vector<ChunkMeta>& meta) {
  std::vector<bool> included(meta.size());
  bool any = false;
  for (size_t i = 0; i < meta.size(); ++i) any |= included[i] = (meta[i].level == 0);
  if (!any) return {};
  // Sealed chunks overlapping an unsealed one must be merged with it.
  for (size_t i = 0; i < meta.size(); ++i) {
    if (included[i]) continue;
    for (const auto& o : meta)
      if (o.level == 0 && o.first <= meta[i].last && meta[i].first <= o.last) {
        included[i] = true;
        break;
      }
  }
  // A partly filled sealed neighbour is merged too, so appends fill chunks up.
  std::vector<bool> grown = included;
  for (size_t i = 0; i < meta.size(); ++i) {
    // Joined chunks end where the next block would not fit: a block short
    // of kSealedChunkPoints is full.
    if (included[i] || meta[i].count + static_cast<int64_t>(chunkenc::kBlockPoints) >
                           static_cast<int64_t>(kSealedChunkPoints)) continue;
    if ((i > 0 && included[i - 1] && meta[i - 1].level == 0) ||
        (i + 1 < meta.size() && included[i + 1] && meta[i + 1].level == 0))
      grown[i] = true;
  }
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < meta.size();) {
    if (!grown[i]) {
      ++i;
      continue;
    }
    std::vector<size_t> g;
    while (i < meta.size() && grown[i]) g.push_back(i++);
    groups.push_back(std::move(g));
  }
  return groups;
}

Result<CompactionGroup> MergeCompactionGroup(const std::vector<ChunkRow>& rows) {
  CompactionGroup g;
  if (rows.empty()) return g;
  g.lo = INT64_MAX;
  g.hi = INT64_MIN;
  std::vector<const ChunkRow*> ptrs;
  for (const auto& r : rows) {
    g.source_ids.push_back(r.id);
    g.lo = std::min(g.lo, r.first_step);
    g.hi = std::max(g.hi, r.last_step);
    ptrs.push_back(&r);
  }
  // MergeChunks lets the later chunk (greater id) win on equal steps.
  std::sort(ptrs.begin(), ptrs.end(), [](const ChunkRow* a, const ChunkRow* b) {
    return a->first_step != b->first_step ? a->first_step < b->first_step : a->id < b->id;
  });
  ASSIGN_OR_RETURN(bool joined, JoinAppended(ptrs, &g));
  if (!joined) {
    Points merged;
    RETURN_IF_ERROR(MergeChunks(ptrs, INT64_MIN, INT64_MAX, &merged));
    ASSIGN_OR_RETURN(auto idx0, chunkenc::ChunkIndex::Parse(rows[0].index));
    bool floats = chunkenc::IsFloat(idx0.encoding());
    ASSIGN_OR_RETURN(g.chunks, EncodePoints(merged, floats, kSealedChunkPoints));
    g.encoded_points = merged.size();
  }
  for (const auto& c : g.chunks) {
    ASSIGN_OR_RETURN(auto idx, chunkenc::ChunkIndex::Parse(c.index));
    g.stats.push_back(chunkenc::Aggregate(idx.blocks()));
  }
  std::sort(g.source_ids.begin(), g.source_ids.end());
  return g;
}

Result<int64_t> CountSeriesPoints(const std::vector<ChunkMeta>& meta, const ReadRange& read) {
  int64_t n = 0;
  for (size_t i = 0; i < meta.size();) {
    size_t j = i + 1;
    int64_t end = meta[i].last;
    while (j < meta.size() && meta[j].first <= end) end = std::max(end, meta[j++].last);
    if (j == i + 1) {
      n += meta[i].count;
    } else {
      ASSIGN_OR_RETURN(auto rows, read(meta[i].first, end));
      std::vector<const ChunkRow*> group;
      for (const auto& c : rows)
        if (c.first_step >= meta[i].first && c.last_step <= end) group.push_back(&c);
      Points merged;
      RETURN_IF_ERROR(MergeChunks(group, meta[i].first, end, &merged));
      n += static_cast<int64_t>(merged.size());
    }
    i = j;
  }
  return n;
}

void DirtySeries::Mark(int64_t id, int chunks) {
  std::lock_guard<std::mutex> l(mu_);
  auto& d = dirty_[id];
  d.first += chunks;
  d.second = std::chrono::steady_clock::now();
}

std::vector<std::pair<int64_t, int>> DirtySeries::Pick(int max, bool force) {
  std::vector<std::pair<int64_t, int>> picked;
  std::lock_guard<std::mutex> l(mu_);
  auto now = std::chrono::steady_clock::now();
  for (auto& [id, d] : dirty_) {
    if (static_cast<int>(picked.size()) >= max) break;
    if (force || d.first >= kMinUnsealedChunks || now - d.second >= kIdleBeforeCompaction)
      picked.push_back({id, d.first});
  }
  return picked;
}

void DirtySeries::Done(const std::vector<std::pair<int64_t, int>>& picked,
                       const std::vector<int64_t>& finished) {
  std::lock_guard<std::mutex> l(mu_);
  std::map<int64_t, int> seen(picked.begin(), picked.end());
  for (int64_t id : finished) {
    auto it = dirty_.find(id);
    if (it == dirty_.end()) continue;
    it->second.first -= seen[id];
    if (it->second.first <= 0) dirty_.erase(it);
  }
}

}  // namespace sextant::storage
