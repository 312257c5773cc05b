#include "api/neptune/apply.h"

#include <algorithm>
#include <set>
#include <unordered_map>
#include <utility>

#include "model/types.h"

namespace sextant::api::neptune {
namespace {

size_t Items(const model::LogBatch& b) {
  return b.configs.size() + b.num_points() + b.add_tags.size() + b.remove_tags.size();
}

// Which of Neptune's codes a refusal of one item by the core means.
IngestCode CodeFor(const Status& st) {
  const std::string& m = st.message();
  auto has = [&](const char* w) { return m.find(w) != std::string::npos; };
  if (st.code() == Code::kConflict) return IngestCode::kFieldTypeConflicting;
  if (has("fork")) return IngestCode::kSeriesStepNotAfterForkPoint;
  if (has("step")) return IngestCode::kSeriesStepInvalid;
  if (has("datetime") || has("timestamp")) return IngestCode::kDatetimeValueOutOfRange;
  if (has("string set") || has("set member")) return IngestCode::kStringSetExceedsSizeLimit;
  if (has("string limit") || has("UTF-8")) return IngestCode::kStringValueExceedsSizeLimit;
  if (has("path") && (has("long") || has("bytes"))) return IngestCode::kFieldPathExceedsSizeLimit;
  if (has("reserved")) return IngestCode::kFieldPathNonWritable;
  return IngestCode::kFieldPathInvalid;
}

void Refuse(ApplyResult* r, const std::string& path, IngestCode code, const std::string& message) {
  r->errors.push_back({path, code, message});
}

}  // namespace

Result<ApplyResult> Applier::Apply(DecodedOperation op) {
  ApplyResult r;
  r.errors = std::move(op.errors);
  if (op.create) RETURN_IF_ERROR(Create(op, &r));
  else RETURN_IF_ERROR(Update(op, &r));
  return r;
}

Status Applier::Create(DecodedOperation& op, ApplyResult* r) {
  if (!op.create_missing_project) {
    auto project = tracker_->GetProject(op.project);
    if (project.status().code() == Code::kNotFound) {
      Refuse(r, "", IngestCode::kProjectNotFound, "project '" + op.project.Full() + "' does not exist");
      return Status::Ok();
    }
    RETURN_IF_ERROR(project.status());
  }
  if (op.fork_parent_project && op.fork_parent_project->Full() != op.project.Full()) {
    Refuse(r, "", IngestCode::kRunInvalidCreationParameters,
           "a run can only be forked from a run of its own project");
    return Status::Ok();
  }
  auto made = tracker_->CreateRun(op.project, *op.create);
  if (!made.ok()) {
    const Status& st = made.status();
    switch (st.code()) {
      case Code::kNotFound: Refuse(r, "", IngestCode::kRunForkParentNotFound, st.message()); break;
      case Code::kConflict: Refuse(r, "", IngestCode::kRunConflicting, st.message()); break;
      case Code::kInvalidArgument:
      case Code::kTooLarge: Refuse(r, "", IngestCode::kRunInvalidCreationParameters, st.message()); break;
      default: return st;
    }
    return Status::Ok();
  }
  // Sending the same create again (a client resending after a crash, or
  // resuming) finds the run: that is success, not a duplicate.
  if (made->second && op.inherit_configs && op.create->fork_run_id)
    RETURN_IF_ERROR(InheritConfigs(op, made->first));
  ++r->ok_items;
  return Status::Ok();
}

Status Applier::InheritConfigs(const DecodedOperation& op, const storage::RunInfo& child) {
  ASSIGN_OR_RETURN(auto parent, tracker_->GetRun(op.project, *op.create->fork_run_id));
  ASSIGN_OR_RETURN(auto attrs, tracker_->LastValues(parent));
  model::LogBatch b;
  for (auto& a : attrs) {
    if (!model::IsConfig(a.type)) continue;
    if (model::IsReservedPath(a.path) || a.path == "sys/name") continue;
    b.configs.emplace_back(a.path, a.value);
  }
  if (b.configs.empty()) return Status::Ok();
  return tracker_->Log(op.project, child.run_id, std::move(b)).status();
}

Status Applier::Update(DecodedOperation& op, ApplyResult* r) {
  model::LogBatch batch = std::move(op.batch);
  bool needs_run = !op.group_tags_add.empty() || !op.group_tags_remove.empty() || !op.files.empty();
  if (Items(batch) == 0 && !needs_run) return Status::Ok();

  // The run is looked up first only when something needs it; a plain batch
  // learns of a missing run from Log itself.
  std::optional<storage::RunInfo> run;
  auto missing = [&](const Status& st) -> Result<bool> {
    if (st.code() != Code::kNotFound) return false;
    auto project = tracker_->GetProject(op.project);
    if (project.status().code() == Code::kNotFound) {
      Refuse(r, "", IngestCode::kProjectNotFound, "project '" + op.project.Full() + "' does not exist");
      return true;
    }
    RETURN_IF_ERROR(project.status());
    Refuse(r, "", IngestCode::kRunNotFound,
           "run '" + op.run_id + "' does not exist in '" + op.project.Full() + "'");
    return true;
  };
  if (needs_run) {
    auto got = tracker_->GetRun(op.project, op.run_id);
    if (!got.ok()) {
      ASSIGN_OR_RETURN(bool gone, missing(got.status()));
      if (gone) return Status::Ok();
      return got.status();
    }
    run = std::move(*got);
    RETURN_IF_ERROR(MergeGroupTags(op, *run, &batch));
    RETURN_IF_ERROR(AttachFiles(op, r));
  }
  if (Items(batch) == 0) return Status::Ok();
  size_t n = Items(batch);
  auto logged = tracker_->Log(op.project, op.run_id, batch);
  if (logged.ok()) {
    r->ok_items += n;
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(bool gone, missing(logged.status()));
  if (gone) return Status::Ok();
  Code c = logged.status().code();
  if (c != Code::kConflict && c != Code::kInvalidArgument && c != Code::kTooLarge) return logged.status();
  if (!run) {
    ASSIGN_OR_RETURN(run, tracker_->GetRun(op.project, op.run_id));
  }
  return LogIsolating(op, *run, std::move(batch), r);
}

Status Applier::LogIsolating(const DecodedOperation& op, const storage::RunInfo& run,
                             model::LogBatch batch, ApplyResult* r) {
  // Type conflicts with what is stored.
  std::vector<std::string> paths;
  for (const auto& [p, v] : batch.configs) paths.push_back(p);
  for (const auto& s : batch.series) paths.push_back(s.path);
  ASSIGN_OR_RETURN(auto stored, tracker_->FindAttributes(run, paths));
  std::unordered_map<std::string, model::AttrType> types;
  for (const auto& a : stored) types[a.path] = a.type;
  auto conflicts = [&](const std::string& path, model::AttrType t) {
    auto it = types.find(path);
    if (it == types.end() || it->second == t) return false;
    Refuse(r, path, IngestCode::kFieldTypeConflicting,
           path + ": the attribute is a " + std::string(model::AttrTypeName(it->second)) + ", not a " +
               std::string(model::AttrTypeName(t)));
    return true;
  };
  // Each item alone against the core's rules (model::ValidateLogBatch).
  const model::Limits& limits = tracker_->limits();
  auto valid = [&](model::LogBatch one, const std::string& path) {
    Status st = model::ValidateLogBatch(&one, limits, run.fork_step);
    if (st.ok()) return true;
    Refuse(r, path, CodeFor(st), path.empty() ? st.message() : path + ": " + st.message());
    return false;
  };
  model::LogBatch kept;
  kept.remove_configs = std::move(batch.remove_configs);
  kept.state = batch.state;
  for (auto& [path, v] : batch.configs) {
    if (conflicts(path, v.type)) continue;
    model::LogBatch one;
    one.configs.emplace_back(path, v);
    if (valid(std::move(one), path)) kept.configs.emplace_back(std::move(path), std::move(v));
  }
  for (auto& s : batch.series) {
    if (conflicts(s.path, s.type)) continue;
    model::LogBatch one;
    one.series.push_back(s);
    if (valid(std::move(one), s.path)) kept.series.push_back(std::move(s));
  }
  {
    model::LogBatch tags;
    tags.add_tags = batch.add_tags;
    tags.remove_tags = batch.remove_tags;
    if ((!tags.add_tags.empty() || !tags.remove_tags.empty()) && valid(std::move(tags), "sys/tags")) {
      kept.add_tags = std::move(batch.add_tags);
      kept.remove_tags = std::move(batch.remove_tags);
    }
  }
  size_t n = Items(kept);
  if (n == 0) return Status::Ok();
  auto logged = tracker_->Log(op.project, op.run_id, std::move(kept));
  if (logged.ok()) {
    r->ok_items += n;
    return Status::Ok();
  }
  // Still refused (another writer changed a type meanwhile): the rest fails
  // as a whole, with the core's message.
  Code c = logged.status().code();
  if (c != Code::kConflict && c != Code::kInvalidArgument && c != Code::kTooLarge) return logged.status();
  Refuse(r, "", CodeFor(logged.status()), logged.status().message());
  return Status::Ok();
}

Status Applier::MergeGroupTags(const DecodedOperation& op, const storage::RunInfo& run,
                               model::LogBatch* batch) {
  if (op.group_tags_add.empty() && op.group_tags_remove.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(auto found, tracker_->FindAttributes(run, {std::string(model::kGroupTagsPath)}));
  std::set<std::string> tags;
  if (!found.empty() && found[0].type == model::AttrType::kStringSet)
    tags.insert(found[0].value.set.begin(), found[0].value.set.end());
  for (const auto& t : op.group_tags_add) tags.insert(t);
  for (const auto& t : op.group_tags_remove) tags.erase(t);
  batch->configs.emplace_back(std::string(model::kGroupTagsPath),
                              model::Value::StringSet({tags.begin(), tags.end()}));
  return Status::Ok();
}

Status Applier::AttachFiles(const DecodedOperation& op, ApplyResult* r) {
  for (const auto& f : op.files) {
    // The upload may not have happened yet (the client sends files and
    // operations independently): then the attachment waits for it.
    ASSIGN_OR_RETURN(auto ref, uploads_->GetOrWait(op.project, f.storage_path, {op.run_id, f.path, f.step}));
    if (!ref) {
      ++r->ok_items;
      continue;
    }
    Status st = tracker_->AttachFile(op.project, op.run_id, f.path, f.step,
                                     ref->filename.empty() ? f.storage_path : ref->filename, ref->blob);
    if (st.ok()) {
      ++r->ok_items;
      continue;
    }
    Code c = st.code();
    if (c != Code::kConflict && c != Code::kInvalidArgument && c != Code::kTooLarge) return st;
    Refuse(r, f.path, CodeFor(st), f.path + ": " + st.message());
  }
  return Status::Ok();
}

Status Applier::AttachWaiting(const model::ProjectName& project, const std::vector<PendingAttach>& waiting,
                              const UploadRef& ref) {
  Status first;
  for (const auto& w : waiting) {
    Status st = tracker_->AttachFile(project, w.run_id, w.path, w.step, ref.filename, ref.blob);
    if (!st.ok() && first.ok())
      first = st.WithContext("attaching the upload to " + w.run_id + "/" + w.path);
  }
  return first;
}

}  // namespace sextant::api::neptune
