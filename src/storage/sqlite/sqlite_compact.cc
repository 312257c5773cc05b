// The compactor: merges level-0 chunks (one per request and series) with the
// sealed chunks they overlap or continue, resolving overwritten steps, into
// sealed level-1 chunks of up to kSealedChunkPoints points. After it, the
// chunks of a series never overlap, so reads can use chunk statistics.
#include <algorithm>

#include "storage/series_merge.h"
#include "storage/sqlite/sqlite_backend.h"

namespace sextant::storage::sqlite {

namespace {

// A series is compacted once it has this many unsealed chunks, or when it has
// been idle for kIdleBeforeCompaction: often enough that reads rarely merge,
// rarely enough that a steady writer does not rewrite its tail per request.
constexpr int kMinUnsealedChunks = 16;
constexpr auto kIdleBeforeCompaction = std::chrono::seconds(1);

}  // namespace

struct SqliteBackend::Meta {
  int64_t id;
  int level;
  int64_t first, last, count;
  bool included = false;
};

Result<std::vector<SqliteBackend::CompactionGroup>> SqliteBackend::PlanCompaction(
    Db& db, int64_t attr_id) {
  std::vector<Meta> meta;
  {
    ASSIGN_OR_RETURN(Stmt * s, db.Prepare(
        "SELECT id, level, first_step, last_step, count FROM chunks WHERE attr_id = ? "
        "ORDER BY first_step, id"));
    s->Bind(1, attr_id);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      meta.push_back({s->Int(0), static_cast<int>(s->Int(1)), s->Int(2), s->Int(3), s->Int(4)});
    }
    s->Reset();
  }
  std::vector<CompactionGroup> groups;
  bool any = false;
  for (auto& m : meta) any |= m.included = (m.level == 0);
  if (!any) return groups;
  // Sealed chunks overlapping an unsealed one must be merged with it.
  for (auto& m : meta) {
    if (m.included) continue;
    for (const auto& o : meta)
      if (o.level == 0 && o.first <= m.last && m.first <= o.last) {
        m.included = true;
        break;
      }
  }
  // A partly filled sealed neighbour is merged too, so appends fill chunks up.
  for (size_t i = 0; i < meta.size(); ++i) {
    if (meta[i].included || meta[i].count >= static_cast<int64_t>(kSealedChunkPoints)) continue;
    if ((i > 0 && meta[i - 1].included && meta[i - 1].level == 0) ||
        (i + 1 < meta.size() && meta[i + 1].included && meta[i + 1].level == 0))
      meta[i].included = true;
  }

  ASSIGN_OR_RETURN(Stmt * get, db.Prepare("SELECT idx, data FROM chunks WHERE id = ?"));
  for (size_t i = 0; i < meta.size();) {
    if (!meta[i].included) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < meta.size() && meta[j].included) ++j;
    // meta[i, j) is one group of consecutive included chunks.
    CompactionGroup g;
    g.lo = INT64_MAX;
    g.hi = INT64_MIN;
    std::vector<ChunkRow> rows;
    for (size_t k = i; k < j; ++k) {
      g.source_ids.push_back(meta[k].id);
      g.lo = std::min(g.lo, meta[k].first);
      g.hi = std::max(g.hi, meta[k].last);
      get->Bind(1, meta[k].id);
      ASSIGN_OR_RETURN(bool row, get->Step());
      if (!row) return Status::Unavailable("chunk vanished during compaction; retry");
      ChunkRow c;
      c.id = meta[k].id;
      c.index = std::string(get->BlobView(0));
      c.data = std::string(get->BlobView(1));
      get->Reset();
      rows.push_back(std::move(c));
    }
    std::vector<const ChunkRow*> ptrs;
    for (const auto& r : rows) ptrs.push_back(&r);
    Points merged;
    RETURN_IF_ERROR(MergeChunks(ptrs, INT64_MIN, INT64_MAX, &merged)
                        .WithContext("compacting series " + std::to_string(attr_id)));
    ASSIGN_OR_RETURN(auto idx0, chunkenc::ChunkIndex::Parse(rows[0].index));
    bool floats = idx0.encoding() == chunkenc::Encoding::kFloatXor;
    ASSIGN_OR_RETURN(g.chunks, EncodePoints(merged, floats, kSealedChunkPoints));
    for (const auto& c : g.chunks) {
      ASSIGN_OR_RETURN(auto idx, chunkenc::ChunkIndex::Parse(c.index));
      g.stats.push_back(chunkenc::Aggregate(idx.blocks()));
    }
    std::sort(g.source_ids.begin(), g.source_ids.end());
    groups.push_back(std::move(g));
    i = j;
  }
  return groups;
}

Status SqliteBackend::ApplyCompaction(Db& db, int64_t attr_id,
                                      const std::vector<CompactionGroup>& groups, bool* complete) {
  *complete = true;
  ASSIGN_OR_RETURN(Stmt * now, db.Prepare(
      "SELECT id FROM chunks WHERE attr_id = ? AND first_step <= ? AND last_step >= ? ORDER BY id"));
  ASSIGN_OR_RETURN(Stmt * del, db.Prepare("DELETE FROM chunks WHERE id = ?"));
  for (const auto& g : groups) {
    // The merge ran outside the writer: apply it only if the chunks in its
    // range are still exactly the ones it read. A chunk written meanwhile has
    // a greater id and newer values; sealing over it would hide them.
    std::vector<int64_t> current;
    now->Bind(1, attr_id).Bind(2, g.hi).Bind(3, g.lo);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, now->Step());
      if (!row) break;
      current.push_back(now->Int(0));
    }
    now->Reset();
    if (current != g.source_ids) {
      *complete = false;
      continue;
    }
    for (int64_t id : g.source_ids) RETURN_IF_ERROR(del->Bind(1, id).Exec());
    for (size_t k = 0; k < g.chunks.size(); ++k)
      RETURN_IF_ERROR(InsertChunk(db, attr_id, 1, g.chunks[k], g.stats[k]));
  }
  ASSIGN_OR_RETURN(Stmt * cnt, db.Prepare(
      "UPDATE attributes SET point_count = (SELECT COALESCE(SUM(count), 0) FROM chunks "
      "WHERE attr_id = ?1) WHERE id = ?1"));
  return cnt->Bind(1, attr_id).Exec();
}

Result<int> SqliteBackend::CompactSome(int max_series, bool force) {
  if (closed_) return 0;
  std::vector<std::pair<int64_t, int>> picked;  // attr id, unsealed chunks seen
  {
    std::lock_guard<std::mutex> l(dirty_mu_);
    auto now = std::chrono::steady_clock::now();
    for (auto& [id, d] : dirty_) {
      if (static_cast<int>(picked.size()) >= max_series) break;
      if (force || d.first >= kMinUnsealedChunks || now - d.second >= kIdleBeforeCompaction)
        picked.push_back({id, d.first});
    }
  }
  if (picked.empty()) return 0;
  // Decode, merge and encode on this thread with a read connection; the
  // writer only swaps chunks, so ingest is not stalled behind compaction.
  std::vector<std::pair<int64_t, std::vector<CompactionGroup>>> plans;
  {
    ASSIGN_OR_RETURN(auto reader, AcquireReader());
    RETURN_IF_ERROR((*reader)->Exec("BEGIN"));
    for (auto [id, n] : picked) {
      auto plan = PlanCompaction(**reader, id);
      if (!plan.ok()) {
        (void)(*reader)->Exec("COMMIT");
        return plan.status();
      }
      plans.push_back({id, std::move(plan).value()});
    }
    (void)(*reader)->Exec("COMMIT");
  }
  int done = 0;
  std::vector<int64_t> finished;
  Status st = writer_->Submit(
      [&](Db& db) -> Status {
        done = 0;
        finished.clear();
        for (const auto& [id, groups] : plans) {
          bool complete;
          RETURN_IF_ERROR(ApplyCompaction(db, id, groups, &complete));
          done += !groups.empty();
          if (complete) finished.push_back(id);
        }
        return Status::Ok();
      },
      [&] {
        std::lock_guard<std::mutex> l(dirty_mu_);
        std::map<int64_t, int> seen(picked.begin(), picked.end());
        for (int64_t id : finished) {
          auto it = dirty_.find(id);
          if (it == dirty_.end()) continue;
          // Chunks written after the plan was made keep the series dirty.
          it->second.first -= seen[id];
          if (it->second.first <= 0) dirty_.erase(it);
        }
      });
  if (!st.ok()) return st;
  return done;
}

}  // namespace sextant::storage::sqlite
