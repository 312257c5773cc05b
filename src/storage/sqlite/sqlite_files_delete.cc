// Deleting file attributes and file series (an MLflow client deleting
// artifacts). Only the references go: blobs are content-addressed and may be
// shared by other attributes, so they stay in the store.
#include "storage/sqlite/sqlite_backend.h"

namespace sextant::storage::sqlite {

Status SqliteBackend::DeleteFiles(const RunInfo& run, const std::vector<std::string>& paths,
                                  int64_t now_us, const OnCommit& on_commit) {
  if (paths.empty()) return Status::Ok();
  // The attribute cache must not keep the ids of deleted rows: a later
  // PutFile would attach to a row that no longer exists. Evicted inside the
  // task (a task after this one in the same transaction looks the row up
  // again) and after the commit (a task before this one in the same
  // transaction caches the id it created when its own hook runs, which is
  // before this one's: hooks run in commit order).
  auto evict = [&] { attrs_.Evict(run.id, paths); };
  return writer_->Submit(
      [&](Db& db) -> Status {
        evict();
        ASSIGN_OR_RETURN(Stmt * find, db.Prepare(
            "SELECT id FROM attributes WHERE run_id = ? AND path = ? AND type IN (?, ?)"));
        ASSIGN_OR_RETURN(Stmt * del_files, db.Prepare("DELETE FROM files WHERE attr_id = ?"));
        ASSIGN_OR_RETURN(Stmt * del_attr, db.Prepare("DELETE FROM attributes WHERE id = ?"));
        bool any = false;
        for (const auto& path : paths) {
          find->Bind(1, run.id).Bind(2, path)
              .Bind(3, static_cast<int64_t>(model::AttrType::kFile))
              .Bind(4, static_cast<int64_t>(model::AttrType::kFileSeries));
          ASSIGN_OR_RETURN(bool row, find->Step());
          int64_t attr_id = row ? find->Int(0) : 0;
          find->Reset();
          if (!row) continue;
          RETURN_IF_ERROR(del_files->Bind(1, attr_id).Exec());
          RETURN_IF_ERROR(del_attr->Bind(1, attr_id).Exec());
          any = true;
        }
        if (!any) return Status::Ok();
        ASSIGN_OR_RETURN(Stmt * r, db.Prepare("UPDATE runs SET updated_us = ? WHERE id = ?"));
        return r->Bind(1, now_us).Bind(2, run.id).Exec();
      },
      [&] {
        evict();
        if (on_commit) on_commit();
      });
}

}  // namespace sextant::storage::sqlite
