// Purging a run from the trash: its chunks, file references, attributes and
// the run row go in one transaction. Blobs are content-addressed and may be
// shared, so only the digests that no file reference names any more are
// returned, for the caller to remove from the blob store.
#include <set>

#include "storage/sqlite/sqlite_backend.h"

namespace sextant::storage::sqlite {

Result<std::vector<std::string>> SqliteBackend::PurgeRun(const RunInfo& run) {
  // No cached attribute id of this run may outlive it (see DeleteFiles).
  auto evict = [&] { attrs_.EvictRun(run.id); };
  std::vector<std::string> orphans;
  RETURN_IF_ERROR(writer_->Submit(
      [&](Db& db) -> Status {
        evict();
        orphans.clear();
        std::set<std::string> digests;
        ASSIGN_OR_RETURN(Stmt * files, db.Prepare(
            "SELECT DISTINCT f.digest FROM files f JOIN attributes a ON f.attr_id = a.id WHERE a.run_id = ?"));
        files->Bind(1, run.id);
        while (true) {
          ASSIGN_OR_RETURN(bool row, files->Step());
          if (!row) break;
          digests.insert(files->Text(0));
        }
        files->Reset();
        for (const char* sql :
             {"DELETE FROM chunks WHERE attr_id IN (SELECT id FROM attributes WHERE run_id = ?)",
              "DELETE FROM files WHERE attr_id IN (SELECT id FROM attributes WHERE run_id = ?)",
              "DELETE FROM attributes WHERE run_id = ?", "DELETE FROM runs WHERE id = ?"}) {
          ASSIGN_OR_RETURN(Stmt * del, db.Prepare(sql));
          RETURN_IF_ERROR(del->Bind(1, run.id).Exec());
        }
        ASSIGN_OR_RETURN(Stmt * used, db.Prepare("SELECT 1 FROM files WHERE digest = ? LIMIT 1"));
        for (const auto& d : digests) {
          used->Bind(1, std::string_view(d));
          ASSIGN_OR_RETURN(bool still, used->Step());
          used->Reset();
          if (!still) orphans.push_back(d);
        }
        return Status::Ok();
      },
      evict));
  return orphans;
}

}  // namespace sextant::storage::sqlite
