#include "model/operations.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <unordered_set>

namespace sextant::model {

std::string_view RunStateName(RunState s) {
  switch (s) {
    case RunState::kRunning: return "running";
    case RunState::kFinished: return "finished";
    case RunState::kFailed: return "failed";
    case RunState::kStale: return "stale";
  }
  return "running";
}

std::optional<RunState> ParseRunState(std::string_view s) {
  if (s == "running") return RunState::kRunning;
  if (s == "finished") return RunState::kFinished;
  if (s == "failed") return RunState::kFailed;
  if (s == "stale") return RunState::kStale;
  return std::nullopt;
}

size_t LogBatch::num_points() const {
  size_t n = 0;
  for (const auto& s : series) n += s.size();
  return n;
}

bool IsReservedPath(std::string_view path) {
  if (path.substr(0, 4) != "sys/") return false;
  return path != "sys/name" && path != "sys/description" && path != kGroupTagsPath;
}

namespace {

// Sorts by step keeping the last occurrence of each step.
void SortDedup(SeriesWrite* s) {
  size_t n = s->size();
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  bool sorted = true;
  for (size_t i = 1; i < n && sorted; ++i) sorted = s->steps[i - 1] < s->steps[i];
  if (sorted) return;
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return s->steps[a] < s->steps[b]; });
  std::vector<uint32_t> keep;
  keep.reserve(n);
  for (size_t k = 0; k < n; ++k) {
    if (k + 1 < n && s->steps[order[k]] == s->steps[order[k + 1]]) continue;  // later wins
    keep.push_back(order[k]);
  }
  auto permute = [&](auto& v) {
    std::remove_reference_t<decltype(v)> out;
    out.reserve(keep.size());
    for (uint32_t i : keep) out.push_back(std::move(v[i]));
    v = std::move(out);
  };
  permute(s->steps);
  permute(s->ts);
  if (!s->floats.empty()) permute(s->floats);
  if (!s->bytes.empty()) permute(s->bytes);
}

}  // namespace

Status ValidateLogBatch(LogBatch* batch, const Limits& limits,
                        std::optional<int64_t> min_step_exclusive) {
  if (batch->series.size() > limits.max_series_per_batch)
    return Status::TooLarge("a batch may hold at most " +
                            std::to_string(limits.max_series_per_batch) + " series, got " +
                            std::to_string(batch->series.size()));
  if (batch->num_points() > limits.max_points_per_batch)
    return Status::TooLarge("a batch may hold at most " +
                            std::to_string(limits.max_points_per_batch) + " points, got " +
                            std::to_string(batch->num_points()));
  if (batch->configs.size() > limits.max_configs_per_batch)
    return Status::TooLarge("a batch may hold at most " +
                            std::to_string(limits.max_configs_per_batch) + " configs");
  if (batch->add_tags.size() + batch->remove_tags.size() > limits.max_tags)
    return Status::TooLarge("a batch may change at most " + std::to_string(limits.max_tags) +
                            " tags");

  std::unordered_set<std::string_view> seen;
  for (auto& [path, value] : batch->configs) {
    RETURN_IF_ERROR(ValidatePath(path).WithContext("configs"));
    if (IsReservedPath(path))
      return Status::InvalidArgument("configs: '" + path + "' is reserved for the server");
    if (!seen.insert(path).second)
      return Status::InvalidArgument("configs: '" + path + "' is given twice");
    if (!IsConfig(value.type))
      return Status::InvalidArgument("configs: '" + path + "' has a non-config type");
    if (path == kGroupTagsPath && value.type != AttrType::kStringSet)
      return Status::InvalidArgument("configs: '" + path + "' is a string set");
    if (value.type == AttrType::kString && value.s.size() > limits.max_string_bytes)
      return Status::TooLarge("configs: '" + path + "' is longer than the string limit of " +
                              std::to_string(limits.max_string_bytes) + " bytes");
    if (value.type == AttrType::kString && !IsValidUtf8(value.s))
      return Status::InvalidArgument("configs: '" + path + "' is not valid UTF-8");
    if (value.type == AttrType::kDatetime &&
        (value.i < kMinDatetimeUs || value.i > kMaxTimestampUs))
      return Status::InvalidArgument("configs: '" + path +
                                     "' is a datetime outside years 0000 to 9999");
    if (value.set.size() > limits.max_string_set_items)
      return Status::TooLarge("configs: '" + path + "' has " + std::to_string(value.set.size()) +
                              " items; a string set may hold at most " +
                              std::to_string(limits.max_string_set_items));
    for (const auto& m : value.set)
      if (!IsValidUtf8(m) || m.size() > limits.max_string_bytes)
        return Status::InvalidArgument("configs: '" + path + "' has an invalid set member");
  }
  if (batch->remove_configs.size() > limits.max_configs_per_batch)
    return Status::TooLarge("a batch may remove at most " +
                            std::to_string(limits.max_configs_per_batch) + " configs");
  for (const auto& path : batch->remove_configs) {
    RETURN_IF_ERROR(ValidatePath(path).WithContext("remove_configs"));
    if (IsReservedPath(path) || path == "sys/name")
      return Status::InvalidArgument("remove_configs: '" + path + "' is reserved for the server");
    if (seen.count(path))
      return Status::InvalidArgument("remove_configs: '" + path + "' is also set in configs");
  }
  for (auto* tags : {&batch->add_tags, &batch->remove_tags})
    for (const auto& t : *tags)
      if (t.empty() || t.size() > kMaxTagBytes || !IsValidUtf8(t))
        return Status::InvalidArgument("tags must be 1-" + std::to_string(kMaxTagBytes) +
                                       " bytes of UTF-8");

  seen.clear();
  for (size_t si = 0; si < batch->series.size(); ++si) {
    auto& s = batch->series[si];
    RETURN_IF_ERROR(ValidatePath(s.path).WithContext("series"));
    if (IsReservedPath(s.path) || s.path == "sys/name" || s.path == "sys/description" ||
        s.path == kGroupTagsPath)
      return Status::InvalidArgument("series: '" + s.path + "' is reserved for the server");
    if (!seen.insert(s.path).second)
      return Status::InvalidArgument("series: '" + s.path + "' appears twice in the batch");
    if (!IsSeries(s.type))
      return Status::InvalidArgument("series: '" + s.path + "' has a non-series type");
    size_t n = s.steps.size();
    bool floats = s.type == AttrType::kFloatSeries;
    if (s.ts.size() != n || (floats ? s.floats.size() : s.bytes.size()) != n)
      return Status::InvalidArgument("series '" + s.path +
                                     "': steps, values and timestamps differ in length");
    if (n == 0) return Status::InvalidArgument("series '" + s.path + "' has no points");
    // Ranges are checked before sorting so that indices match the request.
    for (size_t j = 0; j < n; ++j)
      if (s.steps[j] <= -kMaxAbsMicroStep || s.steps[j] >= kMaxAbsMicroStep)
        return ValidateStep(s.steps[j]).WithContext("series[" + std::to_string(si) + "].steps[" +
                                                    std::to_string(j) + "]");
    for (size_t j = 0; j < n; ++j)
      if (s.ts[j] < 0 || s.ts[j] > kMaxTimestampUs)
        return ValidateTimestamp(s.ts[j]).WithContext("series[" + std::to_string(si) +
                                                      "].timestamps[" + std::to_string(j) + "]");
    if (limits.timestamp_resolution_us > 1)
      for (int64_t& t : s.ts) t = KeptTimestamp(t, limits);
    for (const auto& b : s.bytes) {
      if (b.size() > limits.max_string_bytes)
        return Status::TooLarge("series '" + s.path + "': a value is longer than " +
                                std::to_string(limits.max_string_bytes) + " bytes");
      if (s.type == AttrType::kStringSeries && !IsValidUtf8(b))
        return Status::InvalidArgument("series '" + s.path + "': a value is not valid UTF-8");
    }
    SortDedup(&s);
    if (min_step_exclusive && s.steps.front() <= *min_step_exclusive)
      return Status::InvalidArgument("series '" + s.path + "': this run is forked at step " +
                                     StepToString(*min_step_exclusive) +
                                     "; its own points must have a greater step, got " +
                                     StepToString(s.steps.front()));
  }
  return Status::Ok();
}

Status ValidateProjectName(const ProjectName& p) {
  RETURN_IF_ERROR(ValidateProjectPart(p.workspace, "workspace"));
  return ValidateProjectPart(p.name, "project");
}

Status ValidateCreateRun(const CreateRunOp& op) {
  if (op.run_id) RETURN_IF_ERROR(ValidateRunId(*op.run_id));
  if (op.fork_run_id) RETURN_IF_ERROR(ValidateRunId(*op.fork_run_id).WithContext("fork_run_id"));
  if (op.fork_run_id.has_value() != op.fork_step.has_value())
    return Status::InvalidArgument("fork_run_id and fork_step must be given together");
  if (op.fork_run_id && op.run_id && *op.fork_run_id == *op.run_id)
    return Status::InvalidArgument("a run cannot be forked from itself");
  if (op.fork_step) RETURN_IF_ERROR(ValidateStep(*op.fork_step).WithContext("fork_step"));
  if (op.created_us) RETURN_IF_ERROR(ValidateTimestamp(*op.created_us).WithContext("created_at"));
  for (const auto* s : {&op.name, &op.experiment_name})
    if (*s && (s->value().size() > kMaxRunNameBytes || !IsValidUtf8(**s)))
      return Status::InvalidArgument("names must be at most " + std::to_string(kMaxRunNameBytes) +
                                     " bytes of UTF-8");
  return Status::Ok();
}

Status ValidateDescription(std::string_view text) {
  if (text.size() > kMaxDescriptionBytes)
    return Status::TooLarge("description: at most " + std::to_string(kMaxDescriptionBytes / 1024) + " KiB");
  if (!IsValidUtf8(text)) return Status::InvalidArgument("description: must be UTF-8");
  return Status::Ok();
}

Status ValidateEditRun(const EditRunOp& op, const Limits& limits) {
  if (!op.name && !op.description && op.add_tags.empty() && op.remove_tags.empty() &&
      !op.archived && !op.trashed)
    return Status::InvalidArgument(
        "nothing to change: give name, description, add_tags, remove_tags, archived or trashed");
  if (op.name && (op.name->empty() || op.name->size() > kMaxRunNameBytes || !IsValidUtf8(*op.name)))
    return Status::InvalidArgument("name: must be 1-" + std::to_string(kMaxRunNameBytes) +
                                   " bytes of UTF-8");
  if (op.description) RETURN_IF_ERROR(ValidateDescription(*op.description));
  if (op.add_tags.size() + op.remove_tags.size() > limits.max_tags)
    return Status::TooLarge("an edit may change at most " + std::to_string(limits.max_tags) + " tags");
  for (const auto* tags : {&op.add_tags, &op.remove_tags})
    for (const auto& t : *tags)
      if (t.empty() || t.size() > kMaxTagBytes || !IsValidUtf8(t))
        return Status::InvalidArgument(std::string(tags == &op.add_tags ? "add_tags" : "remove_tags") +
                                       ": tags must be 1-" + std::to_string(kMaxTagBytes) +
                                       " bytes of UTF-8");
  for (const auto& t : op.add_tags)
    for (const auto& u : op.remove_tags)
      if (t == u) return Status::InvalidArgument("tag '" + t + "' is both added and removed");
  return Status::Ok();
}

Status ValidateViewName(std::string_view name) {
  if (name.empty() || name.size() > kMaxViewNameBytes || !IsValidUtf8(name))
    return Status::InvalidArgument("view names must be 1-" + std::to_string(kMaxViewNameBytes) +
                                   " bytes of UTF-8");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f || c == '/')
      return Status::InvalidArgument("view names may not contain '/' or control characters");
  return Status::Ok();
}

Result<std::string> EncodeHistogram(const std::vector<double>& edges,
                                    const std::vector<double>& counts) {
  if (edges.size() < 2 || counts.size() + 1 != edges.size())
    return Status::InvalidArgument("a histogram needs n+1 edges for n counts (n >= 1)");
  if (edges.size() > kMaxHistogramBins + 1)
    return Status::TooLarge("a histogram may have at most " + std::to_string(kMaxHistogramBins) +
                            " bins");
  for (size_t i = 0; i < edges.size(); ++i) {
    if (!std::isfinite(edges[i])) return Status::InvalidArgument("histogram edges must be finite");
    if (i && !(edges[i] > edges[i - 1]))
      return Status::InvalidArgument("histogram edges must be strictly increasing");
  }
  std::string out = "{\"edges\":[";
  char buf[32];
  for (size_t i = 0; i < edges.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s%.17g", i ? "," : "", edges[i]);
    out += buf;
  }
  out += "],\"counts\":[";
  for (size_t i = 0; i < counts.size(); ++i) {
    if (!std::isfinite(counts[i]) || counts[i] < 0)
      return Status::InvalidArgument("histogram counts must be finite and non-negative");
    std::snprintf(buf, sizeof buf, "%s%.17g", i ? "," : "", counts[i]);
    out += buf;
  }
  out += "]}";
  return out;
}

}  // namespace sextant::model
