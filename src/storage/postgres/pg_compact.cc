// The compactor's I/O for PostgreSQL: plan from a snapshot, swap through the
// writer under the series' exclusive advisory locks (pg_log.cc says why), and
// only where the chunks are still those the plan read. Several replicas may
// compact the same series: the second finds the chunks changed and skips.
//
// Both halves take a constant number of round trips for any number of
// series: a run table of many one-point series must not cost a handful of
// statements per series on the single writer connection.
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "storage/postgres/pg_backend.h"

namespace sextant::storage::postgres {

namespace {

// Payloads are read and merged in slices of at most this many chunks or
// bytes (a group is never split), so the planner's memory stays bounded.
constexpr size_t kSliceChunks = 256;
constexpr int64_t kSliceBytes = 32 << 20;
// Series compacted in one writer task.
constexpr size_t kSliceSeries = 512;

struct PendingGroup {
  size_t plan;                // index into the plans
  std::vector<int64_t> ids;   // the chunks to merge
  int64_t bytes = 0;
};

}  // namespace

Result<PgBackend::Plans> PgBackend::PlanCompaction(Conn& c, const std::vector<int64_t>& attr_ids) {
  // octet_length of an EXTERNAL value reads only its TOAST pointer.
  ASSIGN_OR_RETURN(Rows rows, c.Query(
      "SELECT attr_id, id, level, first_step, last_step, count, octet_length(idx) + octet_length(data) "
      "FROM chunks WHERE attr_id = ANY($1) ORDER BY attr_id, first_step, id",
      Params().AddArray(attr_ids)));
  std::map<int64_t, std::vector<ChunkMeta>> meta;
  std::unordered_map<int64_t, int64_t> size;
  for (int i = 0; i < rows.size(); ++i) {
    meta[rows.Int(i, 0)].push_back({rows.Int(i, 1), static_cast<int>(rows.Int(i, 2)), rows.Int(i, 3),
                                    rows.Int(i, 4), rows.Int(i, 5)});
    size[rows.Int(i, 1)] = rows.Int(i, 6);
  }
  Plans plans;
  std::vector<PendingGroup> pending;
  for (int64_t id : attr_ids) {
    plans.push_back({id, {}});
    auto it = meta.find(id);
    if (it == meta.end()) continue;
    for (const auto& members : PlanCompactionGroups(it->second)) {
      PendingGroup g{plans.size() - 1, {}, 0};
      for (size_t k : members) {
        g.ids.push_back(it->second[k].id);
        g.bytes += size[it->second[k].id];
      }
      pending.push_back(std::move(g));
    }
  }
  for (size_t lo = 0; lo < pending.size();) {
    size_t hi = lo;
    std::vector<int64_t> ids;
    int64_t bytes = 0;
    while (hi < pending.size() &&
           (hi == lo || (ids.size() + pending[hi].ids.size() <= kSliceChunks &&
                         bytes + pending[hi].bytes <= kSliceBytes))) {
      ids.insert(ids.end(), pending[hi].ids.begin(), pending[hi].ids.end());
      bytes += pending[hi++].bytes;
    }
    ASSIGN_OR_RETURN(Rows data, c.Query("SELECT id, first_step, last_step, idx, data FROM chunks "
                                        "WHERE id = ANY($1)",
                                        Params().AddArray(ids)));
    if (data.size() != static_cast<int>(ids.size()))
      return Status::Unavailable("chunk vanished during compaction; retry");
    std::unordered_map<int64_t, ChunkRow> by_id;
    for (int i = 0; i < data.size(); ++i) {
      ChunkRow ch;
      ch.id = data.Int(i, 0);
      ch.first_step = data.Int(i, 1);
      ch.last_step = data.Int(i, 2);
      ch.index = data.Text(i, 3);
      ch.data = data.Text(i, 4);
      by_id.emplace(ch.id, std::move(ch));
    }
    for (; lo < hi; ++lo) {
      std::vector<ChunkRow> chunks;
      for (int64_t id : pending[lo].ids) chunks.push_back(std::move(by_id[id]));
      auto& [attr_id, groups] = plans[pending[lo].plan];
      auto g = MergeCompactionGroup(chunks);
      if (!g.ok()) return g.status().WithContext("compacting series " + std::to_string(attr_id));
      groups.push_back(std::move(g).value());
    }
  }
  return plans;
}

Status PgBackend::ApplyCompaction(Conn& c, const Plans& plans, std::vector<int64_t>* finished) {
  finished->clear();
  std::vector<int64_t> locked, gattr, glo, ghi;
  std::vector<const CompactionGroup*> groups;
  for (const auto& [id, gs] : plans) {
    if (gs.empty()) {
      finished->push_back(id);
      continue;
    }
    locked.push_back(id);
    for (const auto& g : gs) {
      gattr.push_back(id);
      glo.push_back(g.lo);
      ghi.push_back(g.hi);
      groups.push_back(&g);
    }
  }
  if (locked.empty()) return Status::Ok();
  std::sort(locked.begin(), locked.end());  // in id order: fewer deadlocks between replicas
  RETURN_IF_ERROR(c.Query("SELECT pg_advisory_xact_lock(x) FROM unnest($1::bigint[]) x",
                          Params().AddArray(locked)).status());
  // The chunks each group's range holds now, under the locks.
  ASSIGN_OR_RETURN(Rows now, c.Query(
      "SELECT u.g, c.id FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) WITH ORDINALITY "
      "AS u(a, lo, hi, g) JOIN chunks c ON c.attr_id = u.a AND c.first_step <= u.hi "
      "AND c.last_step >= u.lo ORDER BY u.g, c.id",
      Params().AddArray(gattr).AddArray(glo).AddArray(ghi)));
  std::vector<std::vector<int64_t>> current(groups.size());
  for (int i = 0; i < now.size(); ++i) {
    int64_t g = now.Int(i, 0) - 1;
    if (g < 0 || g >= static_cast<int64_t>(groups.size())) return Status::Internal("bad group ordinal");
    current[g].push_back(now.Int(i, 1));
  }
  std::set<int64_t> stale;  // series written meanwhile: planned again later
  std::vector<int64_t> gone;
  ChunkColumns sealed;
  for (size_t k = 0; k < groups.size(); ++k) {
    if (current[k] != groups[k]->source_ids) {
      stale.insert(gattr[k]);
      continue;
    }
    gone.insert(gone.end(), groups[k]->source_ids.begin(), groups[k]->source_ids.end());
    for (size_t j = 0; j < groups[k]->chunks.size(); ++j)
      sealed.Add(gattr[k], groups[k]->chunks[j], groups[k]->stats[j]);
  }
  if (!gone.empty()) {
    // Fewer deleted than planned: a purge (another replica's) deleted them
    // after the check above; sealed copies would outlive their series.
    ASSIGN_OR_RETURN(Rows deleted, c.Query("DELETE FROM chunks WHERE id = ANY($1) RETURNING id",
                                           Params().AddArray(gone)));
    if (deleted.size() != static_cast<int>(gone.size()))
      return Status::Unavailable("chunks were deleted during compaction; retry");
  }
  RETURN_IF_ERROR(sealed.Insert(c, /*level=*/1));
  RETURN_IF_ERROR(c.Query("UPDATE attributes a SET point_count = (SELECT COALESCE(SUM(count), 0)::bigint "
                          "FROM chunks WHERE attr_id = a.id) WHERE a.id = ANY($1)",
                          Params().AddArray(locked)).status());
  for (int64_t id : locked)
    if (!stale.count(id)) finished->push_back(id);
  return Status::Ok();
}

Result<int> PgBackend::CompactSome(int max_series, bool force) {
  if (closed_) return 0;
  std::vector<std::pair<int64_t, int>> picked = dirty_.Pick(max_series, force);
  std::sort(picked.begin(), picked.end());
  int done = 0;
  // Slices of kSliceSeries: each holds an advisory lock per series until its
  // commit, and PostgreSQL's lock table is shared and bounded.
  for (size_t lo = 0; lo < picked.size(); lo += kSliceSeries) {
    std::vector<std::pair<int64_t, int>> slice(
        picked.begin() + lo, picked.begin() + std::min(picked.size(), lo + kSliceSeries));
    std::vector<int64_t> ids;
    for (auto [id, n] : slice) ids.push_back(id);
    Plans plans;
    {
      ASSIGN_OR_RETURN(auto snap, Snapshot::Begin(this));
      ASSIGN_OR_RETURN(plans, PlanCompaction(snap->conn(), ids));
    }
    for (const auto& [id, groups] : plans) done += !groups.empty();
    std::vector<int64_t> finished;
    RETURN_IF_ERROR(writer_->Submit([&](Conn& c) { return ApplyCompaction(c, plans, &finished); },
                                    [&] { dirty_.Done(slice, finished); }));
  }
  return done;
}

}  // namespace sextant::storage::postgres
