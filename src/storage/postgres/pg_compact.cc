// The compactor's I/O for PostgreSQL: plan from a snapshot, swap through the
// writer under the series' exclusive advisory lock (pg_log.cc says why), and
// only if the chunks are still those the plan read. Several replicas may
// compact the same series: the second finds the chunks changed and skips.
#include <algorithm>

#include "storage/postgres/pg_backend.h"

namespace sextant::storage::postgres {

Result<std::vector<CompactionGroup>> PgBackend::PlanCompaction(Conn& c, int64_t attr_id) {
  ASSIGN_OR_RETURN(std::vector<ChunkMeta> meta, ListChunkMeta(c, attr_id));
  std::vector<CompactionGroup> groups;
  for (const auto& members : PlanCompactionGroups(meta)) {
    std::vector<int64_t> ids;
    for (size_t k : members) ids.push_back(meta[k].id);
    ASSIGN_OR_RETURN(Rows data, c.Query("SELECT id, first_step, last_step, idx, data FROM chunks "
                                        "WHERE id = ANY($1)",
                                        Params().AddArray(ids)));
    if (data.size() != static_cast<int>(ids.size()))
      return Status::Unavailable("chunk vanished during compaction; retry");
    std::vector<ChunkRow> chunks;
    for (int i = 0; i < data.size(); ++i) {
      ChunkRow ch;
      ch.id = data.Int(i, 0);
      ch.first_step = data.Int(i, 1);
      ch.last_step = data.Int(i, 2);
      ch.index = data.Text(i, 3);
      ch.data = data.Text(i, 4);
      chunks.push_back(std::move(ch));
    }
    auto g = MergeCompactionGroup(chunks);
    if (!g.ok()) return g.status().WithContext("compacting series " + std::to_string(attr_id));
    groups.push_back(std::move(g).value());
  }
  return groups;
}

Status PgBackend::ApplyCompaction(Conn& c, int64_t attr_id, const std::vector<CompactionGroup>& groups,
                                  bool* complete) {
  *complete = true;
  RETURN_IF_ERROR(c.Query("SELECT pg_advisory_xact_lock($1)", Params().Add(attr_id)).status());
  for (const auto& g : groups) {
    ASSIGN_OR_RETURN(Rows now, c.Query("SELECT id FROM chunks WHERE attr_id = $1 AND first_step <= $2 "
                                       "AND last_step >= $3 ORDER BY id",
                                       Params().Add(attr_id).Add(g.hi).Add(g.lo)));
    std::vector<int64_t> current;
    for (int i = 0; i < now.size(); ++i) current.push_back(now.Int(i, 0));
    if (current != g.source_ids) {  // written meanwhile: plan again later
      *complete = false;
      continue;
    }
    RETURN_IF_ERROR(c.Query("DELETE FROM chunks WHERE id = ANY($1)", Params().AddArray(g.source_ids)).status());
    for (size_t k = 0; k < g.chunks.size(); ++k)
      RETURN_IF_ERROR(InsertChunk(c, attr_id, 1, g.chunks[k], g.stats[k]));
  }
  return c.Query("UPDATE attributes SET point_count = (SELECT COALESCE(SUM(count), 0)::bigint "
                 "FROM chunks WHERE attr_id = $1) WHERE id = $1",
                 Params().Add(attr_id))
      .status();
}

Result<int> PgBackend::CompactSome(int max_series, bool force) {
  if (closed_) return 0;
  std::vector<std::pair<int64_t, int>> picked = dirty_.Pick(max_series, force);
  if (picked.empty()) return 0;
  std::sort(picked.begin(), picked.end());  // locks in id order: fewer deadlocks between replicas
  std::vector<std::pair<int64_t, std::vector<CompactionGroup>>> plans;
  {
    ASSIGN_OR_RETURN(auto snap, Snapshot::Begin(this));
    for (auto [id, n] : picked) {
      ASSIGN_OR_RETURN(auto plan, PlanCompaction(snap->conn(), id));
      plans.push_back({id, std::move(plan)});
    }
  }
  int done = 0;
  std::vector<int64_t> finished;
  RETURN_IF_ERROR(writer_->Submit(
      [&](Conn& c) -> Status {
        done = 0;
        finished.clear();
        for (const auto& [id, groups] : plans) {
          bool complete;
          RETURN_IF_ERROR(ApplyCompaction(c, id, groups, &complete));
          done += !groups.empty();
          if (complete) finished.push_back(id);
        }
        return Status::Ok();
      },
      [&] { dirty_.Done(picked, finished); }));
  return done;
}

}  // namespace sextant::storage::postgres
