#include "storage/compaction.h"

#include <algorithm>

#include "storage/series_merge.h"

namespace sextant::storage {

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
    if (included[i] || meta[i].count >= static_cast<int64_t>(kSealedChunkPoints)) continue;
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
  Points merged;
  RETURN_IF_ERROR(MergeChunks(ptrs, INT64_MIN, INT64_MAX, &merged));
  ASSIGN_OR_RETURN(auto idx0, chunkenc::ChunkIndex::Parse(rows[0].index));
  bool floats = chunkenc::IsFloat(idx0.encoding());
  ASSIGN_OR_RETURN(g.chunks, EncodePoints(merged, floats, kSealedChunkPoints));
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
