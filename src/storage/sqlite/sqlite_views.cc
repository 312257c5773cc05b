// Saved views of the UI, stored per project.
#include "storage/sqlite/sqlite_backend.h"

#include <limits>

namespace sextant::storage::sqlite {

Status SqliteBackend::PutView(int64_t project_id, const SavedView& view) {
  return writer_->Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s, db.Prepare(
        "INSERT INTO views (project_id, name, state, updated_us) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (project_id, name) DO UPDATE SET state = excluded.state, "
        "updated_us = excluded.updated_us"));
    return s->Bind(1, project_id).Bind(2, view.name).Bind(3, view.state_json)
        .Bind(4, view.updated_us).Exec();
  });
}

Result<std::vector<SavedView>> SqliteBackend::ListViews(int64_t project_id) {
  // Every name sorts after the empty one: the whole list is the page after it.
  return ListViewsAfter(project_id, "", std::numeric_limits<int64_t>::max());
}

Result<std::vector<SavedView>> SqliteBackend::ListViewsAfter(int64_t project_id,
                                                             const std::string& after_name,
                                                             size_t limit) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Stmt * s, (*r)->Prepare(
      "SELECT name, state, updated_us FROM views WHERE project_id = ? AND name > ? "
      "ORDER BY name LIMIT ?"));
  s->Bind(1, project_id).Bind(2, after_name).Bind(3, static_cast<int64_t>(limit));
  std::vector<SavedView> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back({s->Text(0), s->Text(1), s->Int(2)});
  }
  s->Reset();
  return out;
}

Status SqliteBackend::DeleteView(int64_t project_id, const std::string& name) {
  bool found = false;
  RETURN_IF_ERROR(writer_->Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * s, db.Prepare("DELETE FROM views WHERE project_id = ? AND name = ?"));
    RETURN_IF_ERROR(s->Bind(1, project_id).Bind(2, name).Exec());
    found = db.Changes() > 0;
    return Status::Ok();
  }));
  if (!found) return Status::NotFound("view '" + name + "' does not exist");
  return Status::Ok();
}

}  // namespace sextant::storage::sqlite
