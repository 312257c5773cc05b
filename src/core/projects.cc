// Tracker operations on projects and their properties, runs found by id
// across projects, project notes, and run management (trash, archive,
// rename, notes, tags).
#include <nlohmann/json.hpp>

#include "core/tracker.h"
#include "model/types.h"

namespace sextant::core {

namespace {

Status ValidateProperty(const std::string& key, const std::string* value, size_t max_bytes) {
  if (key.empty() || key.size() > model::kMaxPathBytes || !model::IsValidUtf8(key))
    return Status::InvalidArgument("property keys must be 1-" +
                                   std::to_string(model::kMaxPathBytes) + " bytes of UTF-8");
  if (key.rfind("sys.", 0) == 0)
    return Status::InvalidArgument("property '" + key + "' is reserved for the server");
  if (value && (value->size() > max_bytes || !model::IsValidUtf8(*value)))
    return Status::InvalidArgument("property '" + key + "' must be at most " +
                                   std::to_string(max_bytes) + " bytes of UTF-8");
  return Status::Ok();
}

}  // namespace

Result<storage::ProjectInfo> Tracker::GetProjectById(int64_t id) {
  return backend_->GetProjectById(id);
}

Result<storage::ProjectInfo> Tracker::CreateProject(const model::ProjectName& p) {
  RETURN_IF_ERROR(model::ValidateProjectName(p));
  return backend_->CreateProject(p, NowMicros());
}

Result<std::vector<std::pair<std::string, std::string>>> Tracker::ProjectProperties(
    int64_t project_id) {
  return backend_->ProjectProperties(project_id);
}

Status Tracker::UpdateProjectProperties(int64_t project_id,
                                        std::vector<std::pair<std::string, std::string>> set,
                                        std::vector<std::string> remove) {
  for (const auto& [k, v] : set)
    RETURN_IF_ERROR(ValidateProperty(k, &v, options_.limits.max_string_bytes));
  for (const auto& k : remove) RETURN_IF_ERROR(ValidateProperty(k, nullptr, 0));
  set.emplace_back(kUpdatedProperty, std::to_string(NowMicros()));
  return backend_->UpdateProjectProperties(project_id, set, remove);
}

Result<std::vector<int64_t>> Tracker::FindProjectsByProperty(const std::string& key,
                                                             const std::string& value) {
  return backend_->FindProjectsByProperty(key, value);
}

Result<std::vector<storage::RunInfo>> Tracker::FindRuns(const std::string& run_id, size_t limit) {
  RETURN_IF_ERROR(model::ValidateRunId(run_id));
  ASSIGN_OR_RETURN(auto runs, backend_->FindRunsByRunId(run_id, limit));
  int64_t now = NowMicros();
  for (auto& r : runs) r = WithStaleness(std::move(r), now, options_.stale_after_us);
  return runs;
}

Result<std::vector<storage::AttributeInfo>> Tracker::LastValues(const storage::RunInfo& run) {
  return backend_->ListAttributes(run.id);
}

Result<std::vector<storage::AttributeInfo>> Tracker::FindAttributes(
    const storage::RunInfo& run, const std::vector<std::string>& paths) {
  std::vector<storage::AttributeInfo> out;
  for (const auto& path : paths) {
    ASSIGN_OR_RETURN(auto a, backend_->FindAttribute(run.id, path));
    if (a) out.push_back(std::move(*a));
  }
  return out;
}

namespace {
constexpr char kDescriptionProperty[] = "sys.description";
}  // namespace

Result<std::string> Tracker::ProjectDescription(const model::ProjectName& p) {
  ASSIGN_OR_RETURN(storage::ProjectInfo project, backend_->GetProject(p));
  ASSIGN_OR_RETURN(auto props, backend_->ProjectProperties(project.id));
  for (auto& [k, v] : props)
    if (k == kDescriptionProperty) return std::move(v);
  return std::string();
}

Status Tracker::SetProjectDescription(const model::ProjectName& p, const std::string& text) {
  RETURN_IF_ERROR(model::ValidateDescription(text));
  ASSIGN_OR_RETURN(storage::ProjectInfo project, backend_->GetProject(p));
  // A sys. property, which front ends may not set: straight to the backend.
  std::vector<std::pair<std::string, std::string>> set = {{kUpdatedProperty, std::to_string(NowMicros())}};
  std::vector<std::string> remove;
  if (text.empty())
    remove.push_back(kDescriptionProperty);
  else
    set.emplace_back(kDescriptionProperty, text);
  return backend_->UpdateProjectProperties(project.id, set, remove);
}

Status Tracker::SetTrashed(const model::ProjectName& p, const std::string& run_id, bool trashed) {
  model::EditRunOp op;
  op.trashed = trashed;
  return EditRuns(p, {run_id}, op);
}

namespace {

// One run's edit as a log batch. Built here rather than validated as a
// client's batch: sys/ paths belong to the server.
model::LogBatch EditBatch(const model::EditRunOp& op) {
  model::LogBatch batch;
  if (op.name) batch.configs.emplace_back("sys/name", model::Value::String(*op.name));
  if (op.description) batch.configs.emplace_back("sys/description", model::Value::String(*op.description));
  // Flags are present only when true, so `exists(sys/trashed)` finds the trash.
  auto flag = [&](const char* path, std::optional<bool> on) {
    if (!on) return;
    if (*on)
      batch.configs.emplace_back(path, model::Value::Bool(true));
    else
      batch.remove_configs.push_back(path);
  };
  flag("sys/archived", op.archived);
  flag("sys/trashed", op.trashed);
  batch.add_tags = op.add_tags;
  batch.remove_tags = op.remove_tags;
  return batch;
}

}  // namespace

Status Tracker::EditRuns(const model::ProjectName& p, const std::vector<std::string>& run_ids,
                         const model::EditRunOp& op) {
  if (run_ids.empty()) return Status::InvalidArgument("run_ids: name at least one run");
  if (run_ids.size() > model::kMaxEditRuns)
    return Status::TooLarge("run_ids: at most " + std::to_string(model::kMaxEditRuns) + " runs per edit");
  RETURN_IF_ERROR(model::ValidateEditRun(op, options_.limits));
  std::vector<storage::RunInfo> runs;
  runs.reserve(run_ids.size());
  for (const auto& id : run_ids) {
    ASSIGN_OR_RETURN(storage::RunInfo run, backend_->GetRun(p, id));
    runs.push_back(std::move(run));
  }
  const model::LogBatch batch = EditBatch(op);
  for (const auto& run : runs) {
    int64_t now = NowMicros();
    RETURN_IF_ERROR(backend_->Log(run, batch, {}, now, [&] {
      catalog_->ApplyLog(run, batch, now);
    }).status());
    nlohmann::json ev = {{"type", "run_edited"}, {"run_id", run.run_id}};
    if (op.trashed) ev["type"] = *op.trashed ? "run_trashed" : "run_restored";
    Publish(run, "run", ev.dump());
  }
  return Status::Ok();
}

Status Tracker::PurgeRun(const model::ProjectName& p, const std::string& run_id) {
  ASSIGN_OR_RETURN(storage::RunInfo run, backend_->GetRun(p, run_id));
  ASSIGN_OR_RETURN(auto flag, backend_->FindAttribute(run.id, "sys/trashed"));
  if (!flag || flag->value.type != model::AttrType::kBool || flag->value.i == 0)
    return Status::Conflict("run '" + run_id + "' is not in the trash: move it there first (DELETE without purge)");
  ASSIGN_OR_RETURN(auto children, backend_->ListChildren(run.id));
  if (!children.empty()) {
    std::string names;
    for (size_t i = 0; i < children.size() && i < 5; ++i) names += (i ? ", " : "") + children[i].run_id;
    return Status::Conflict("run '" + run_id + "' has forks (" + names + (children.size() > 5 ? ", …" : "") +
                            ") that read its points: purge them first");
  }
  ASSIGN_OR_RETURN(auto orphans, backend_->PurgeRun(run));
  catalog_->ApplyPurge(run);
  for (const auto& digest : orphans) {
    Status st = blobs_->Remove(digest);
    // The reference is gone; a blob left behind only costs space.
    if (!st.ok() && st.code() != Code::kNotFound) return st.WithContext("removing file " + digest);
  }
  nlohmann::json ev = {{"type", "run_purged"}, {"run_id", run.run_id}};
  Publish(run, "purge", ev.dump());
  return Status::Ok();
}

}  // namespace sextant::core
