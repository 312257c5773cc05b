// Tracker operations on projects and their properties, runs found by id
// across projects, and the trash.
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

Status Tracker::SetTrashed(const model::ProjectName& p, const std::string& run_id, bool trashed) {
  ASSIGN_OR_RETURN(storage::RunInfo run, backend_->GetRun(p, run_id));
  // Built here rather than validated: sys/ paths belong to the server.
  model::LogBatch batch;
  if (trashed)
    batch.configs.emplace_back("sys/trashed", model::Value::Bool(true));
  else
    batch.remove_configs.push_back("sys/trashed");
  int64_t now = NowMicros();
  RETURN_IF_ERROR(backend_->Log(run, batch, {}, now, [&] {
    catalog_->ApplyLog(run, batch, now);
  }).status());
  nlohmann::json ev = {{"type", trashed ? "run_trashed" : "run_restored"}, {"run_id", run.run_id}};
  events_.Publish(run.project_id, ev.dump());
  return Status::Ok();
}

}  // namespace sextant::core
