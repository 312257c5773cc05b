// Projects created explicitly, their properties, and runs found by run id
// across projects.
#include "storage/sqlite/sqlite_backend.h"

namespace sextant::storage::sqlite {

namespace {

constexpr const char* kProjectColumns =
    "SELECT p.id, p.workspace, p.name, p.created_us, "
    "(SELECT COUNT(*) FROM runs WHERE project_id = p.id) FROM projects p ";

}  // namespace

Result<ProjectInfo> SqliteBackend::GetProjectById(int64_t id) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Stmt * s, (*r)->Prepare(std::string(kProjectColumns) + "WHERE p.id = ?"));
  s->Bind(1, id);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return Status::NotFound("project " + std::to_string(id) + " does not exist");
  ProjectInfo out{s->Int(0), s->Text(1), s->Text(2), s->Int(3), s->Int(4)};
  s->Reset();
  return out;
}

Result<ProjectInfo> SqliteBackend::CreateProject(const model::ProjectName& p, int64_t now_us) {
  ProjectInfo out;
  RETURN_IF_ERROR(writer_->Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * ins, db.Prepare(
        "INSERT INTO projects (workspace, name, created_us) VALUES (?, ?, ?) "
        "ON CONFLICT (workspace, name) DO NOTHING"));
    RETURN_IF_ERROR(ins->Bind(1, p.workspace).Bind(2, p.name).Bind(3, now_us).Exec());
    if (db.Changes() == 0) return Status::AlreadyExists("project '" + p.Full() + "' exists");
    out = {db.LastInsertId(), p.workspace, p.name, now_us, 0};
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> SqliteBackend::ProjectProperties(
    int64_t project_id) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Stmt * s, (*r)->Prepare(
      "SELECT key, value FROM project_properties WHERE project_id = ? ORDER BY key"));
  s->Bind(1, project_id);
  std::vector<std::pair<std::string, std::string>> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.emplace_back(s->Text(0), s->Text(1));
  }
  s->Reset();
  return out;
}

Status SqliteBackend::UpdateProjectProperties(
    int64_t project_id, const std::vector<std::pair<std::string, std::string>>& set,
    const std::vector<std::string>& remove) {
  return writer_->Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * del, db.Prepare(
        "DELETE FROM project_properties WHERE project_id = ? AND key = ?"));
    for (const auto& key : remove) RETURN_IF_ERROR(del->Bind(1, project_id).Bind(2, key).Exec());
    ASSIGN_OR_RETURN(Stmt * put, db.Prepare(
        "INSERT INTO project_properties (project_id, key, value) VALUES (?, ?, ?) "
        "ON CONFLICT (project_id, key) DO UPDATE SET value = excluded.value"));
    for (const auto& [key, value] : set)
      RETURN_IF_ERROR(put->Bind(1, project_id).Bind(2, key).Bind(3, value).Exec());
    return Status::Ok();
  });
}

Result<std::vector<int64_t>> SqliteBackend::FindProjectsByProperty(const std::string& key,
                                                                   const std::string& value) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Stmt * s, (*r)->Prepare(
      "SELECT project_id FROM project_properties WHERE key = ? AND value = ? "
      "ORDER BY project_id"));
  s->Bind(1, key).Bind(2, value);
  std::vector<int64_t> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(s->Int(0));
  }
  s->Reset();
  return out;
}

Result<std::vector<RunInfo>> SqliteBackend::FindRunsByRunId(const std::string& run_id,
                                                            size_t limit) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Stmt * s, (*r)->Prepare(
      std::string("SELECT ") + kRunColumns +
      " FROM runs r LEFT JOIN runs p ON p.id = r.fork_parent_id WHERE r.run_id = ? "
      "ORDER BY r.id LIMIT ?"));
  s->Bind(1, run_id).Bind(2, static_cast<int64_t>(limit));
  std::vector<RunInfo> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    ASSIGN_OR_RETURN(RunInfo info, ReadRunRow(s));
    out.push_back(std::move(info));
  }
  s->Reset();
  return out;
}

}  // namespace sextant::storage::sqlite
