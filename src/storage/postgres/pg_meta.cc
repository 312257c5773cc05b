// Project properties and saved views.
#include <limits>

#include "storage/postgres/pg_backend.h"

namespace sextant::storage::postgres {

Result<std::vector<std::pair<std::string, std::string>>> PgBackend::ProjectProperties(
    int64_t project_id) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Rows rows, (*r)->Query(
      "SELECT key, value FROM project_properties WHERE project_id = $1 ORDER BY key",
      Params().Add(project_id)));
  std::vector<std::pair<std::string, std::string>> out;
  for (int i = 0; i < rows.size(); ++i) out.emplace_back(rows.Text(i, 0), rows.Text(i, 1));
  return out;
}

Status PgBackend::UpdateProjectProperties(
    int64_t project_id, const std::vector<std::pair<std::string, std::string>>& set,
    const std::vector<std::string>& remove) {
  return writer_->Submit([&](Conn& c) -> Status {
    for (const auto& key : remove)
      RETURN_IF_ERROR(c.Query("DELETE FROM project_properties WHERE project_id = $1 AND key = $2",
                              Params().Add(project_id).Add(key))
                          .status());
    for (const auto& [key, value] : set)
      RETURN_IF_ERROR(c.Query("INSERT INTO project_properties (project_id, key, value) "
                              "VALUES ($1, $2, $3) ON CONFLICT (project_id, key) "
                              "DO UPDATE SET value = excluded.value",
                              Params().Add(project_id).Add(key).Add(value))
                          .status());
    return Status::Ok();
  });
}

Result<std::vector<int64_t>> PgBackend::FindProjectsByProperty(const std::string& key,
                                                               const std::string& value) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Rows rows, (*r)->Query(
      "SELECT project_id FROM project_properties WHERE key = $1 AND value = $2 ORDER BY project_id",
      Params().Add(key).Add(value)));
  std::vector<int64_t> out;
  for (int i = 0; i < rows.size(); ++i) out.push_back(rows.Int(i, 0));
  return out;
}

Status PgBackend::PutView(int64_t project_id, const SavedView& view) {
  return writer_->Submit([&](Conn& c) -> Status {
    return c.Query("INSERT INTO views (project_id, name, state, updated_us) VALUES ($1, $2, $3, $4) "
                   "ON CONFLICT (project_id, name) DO UPDATE SET state = excluded.state, "
                   "updated_us = excluded.updated_us",
                   Params().Add(project_id).Add(view.name).Add(view.state_json).Add(view.updated_us))
        .status();
  });
}

Result<std::vector<SavedView>> PgBackend::ListViews(int64_t project_id) {
  return ListViewsAfter(project_id, "", std::numeric_limits<int64_t>::max());
}

Result<std::vector<SavedView>> PgBackend::ListViewsAfter(int64_t project_id,
                                                         const std::string& after_name,
                                                         size_t limit) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Rows rows, (*r)->Query(
      "SELECT name, state, updated_us FROM views WHERE project_id = $1 AND name > $2 "
      "ORDER BY name LIMIT $3",
      Params().Add(project_id).Add(after_name).Add(static_cast<int64_t>(
          std::min<size_t>(limit, std::numeric_limits<int64_t>::max())))));
  std::vector<SavedView> out;
  for (int i = 0; i < rows.size(); ++i) out.push_back({rows.Text(i, 0), rows.Text(i, 1), rows.Int(i, 2)});
  return out;
}

Status PgBackend::DeleteView(int64_t project_id, const std::string& name) {
  bool found = false;
  RETURN_IF_ERROR(writer_->Submit([&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(Rows rows, c.Query("DELETE FROM views WHERE project_id = $1 AND name = $2",
                                        Params().Add(project_id).Add(name)));
    found = rows.Affected() > 0;
    return Status::Ok();
  }));
  if (!found) return Status::NotFound("view '" + name + "' does not exist");
  return Status::Ok();
}

}  // namespace sextant::storage::postgres
