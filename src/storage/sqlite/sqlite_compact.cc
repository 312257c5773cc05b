// The compactor's I/O for SQLite: list a series' chunks, read the payloads
// of the groups storage/compaction.h plans, and swap the chunks through the
// writer if they are unchanged. After it, the chunks of a series never
// overlap, so reads can use chunk statistics.
#include "storage/compaction.h"
#include "storage/sqlite/sqlite_backend.h"

namespace sextant::storage::sqlite {

Result<std::vector<ChunkMeta>> ListChunkMeta(Db& db, int64_t attr_id) {
  ASSIGN_OR_RETURN(Stmt * s, db.Prepare(
      "SELECT id, level, first_step, last_step, count FROM chunks WHERE attr_id = ? "
      "ORDER BY first_step, id"));
  s->Bind(1, attr_id);
  std::vector<ChunkMeta> meta;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    meta.push_back({s->Int(0), static_cast<int>(s->Int(1)), s->Int(2), s->Int(3), s->Int(4)});
  }
  s->Reset();
  return meta;
}

Result<std::vector<CompactionGroup>> SqliteBackend::PlanCompaction(Db& db, int64_t attr_id) {
  ASSIGN_OR_RETURN(std::vector<ChunkMeta> meta, ListChunkMeta(db, attr_id));
  std::vector<CompactionGroup> groups;
  ASSIGN_OR_RETURN(Stmt * get, db.Prepare("SELECT idx, data FROM chunks WHERE id = ?"));
  for (const auto& members : PlanCompactionGroups(meta)) {
    std::vector<ChunkRow> rows;
    for (size_t k : members) {
      get->Bind(1, meta[k].id);
      ASSIGN_OR_RETURN(bool row, get->Step());
      if (!row) return Status::Unavailable("chunk vanished during compaction; retry");
      ChunkRow c;
      c.id = meta[k].id;
      c.first_step = meta[k].first;
      c.last_step = meta[k].last;
      c.index = std::string(get->BlobView(0));
      c.data = std::string(get->BlobView(1));
      get->Reset();
      rows.push_back(std::move(c));
    }
    auto g = MergeCompactionGroup(rows);
    if (!g.ok()) return g.status().WithContext("compacting series " + std::to_string(attr_id));
    groups.push_back(std::move(g).value());
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
    std::vector<int64_t> current;
    now->Bind(1, attr_id).Bind(2, g.hi).Bind(3, g.lo);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, now->Step());
      if (!row) break;
      current.push_back(now->Int(0));
    }
    now->Reset();
    if (current != g.source_ids) {  // written meanwhile: plan again later
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
  std::vector<std::pair<int64_t, int>> picked = dirty_.Pick(max_series, force);
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
  RETURN_IF_ERROR(writer_->Submit(
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
      [&] { dirty_.Done(picked, finished); }));
  return done;
}

}  // namespace sextant::storage::sqlite
