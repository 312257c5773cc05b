#include "api/mlflow/run_json.h"

#include "api/mlflow/log.h"

namespace sextant::api::mlflow {

std::string StatusName(model::RunState state, bool killed) {
  switch (state) {
    case model::RunState::kRunning:
    case model::RunState::kStale:
      return "RUNNING";
    case model::RunState::kFinished:
      return "FINISHED";
    case model::RunState::kFailed:
      return killed ? "KILLED" : "FAILED";
  }
  return "RUNNING";
}

Result<model::RunState> ParseStatus(const std::string& s, bool* killed) {
  *killed = false;
  if (s == "RUNNING" || s == "SCHEDULED") return model::RunState::kRunning;
  if (s == "FINISHED") return model::RunState::kFinished;
  if (s == "FAILED") return model::RunState::kFailed;
  if (s == "KILLED") {
    *killed = true;
    return model::RunState::kFailed;
  }
  return Status::InvalidArgument("Invalid value \"" + s + "\" for parameter 'status' supplied: "
                                 "expected one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED");
}

namespace {

std::string ValueText(const model::Value& v) {
  switch (v.type) {
    case model::AttrType::kString:
      return v.s;
    case model::AttrType::kInt:
    case model::AttrType::kDatetime:
      return std::to_string(v.i);
    case model::AttrType::kBool:
      return v.i ? "True" : "False";
    case model::AttrType::kFloat: {
      JsonWriter w;
      w.Double(v.f);
      std::string s = w.Take();
      if (!s.empty() && s.front() == '"') s = s.substr(1, s.size() - 2);
      return s;
    }
    default:
      return v.s;
  }
}

// One attribute into the run's data; `ts_us` and `step` for series.
void Add(RunData& d, const std::string& path, const model::Value& v, int64_t ts_us,
         int64_t step_micro) {
  if (v.type == model::AttrType::kFloatSeries) {
    d.metrics.push_back({path, v.f, ts_us / 1000, step_micro / model::kStepScale});
    return;
  }
  if (!model::IsConfig(v.type)) return;
  if (path == "sys/trashed") {
    d.trashed = true;
  } else if (path == kKilledTag) {
    d.killed = true;
  } else if (path.starts_with(kParamsPrefix)) {
    d.params.emplace_back(path.substr(sizeof(kParamsPrefix) - 1), ValueText(v));
  } else if (path.starts_with(kTagsPrefix)) {
    d.tags.emplace_back(path.substr(sizeof(kTagsPrefix) - 1), ValueText(v));
  } else if (path.starts_with(kDatasetsPrefix) && v.type == model::AttrType::kString) {
    d.datasets.push_back(v.s);
  } else if (path.starts_with(kModelOutputsPrefix) && v.type == model::AttrType::kInt) {
    d.model_outputs.emplace_back(path.substr(sizeof(kModelOutputsPrefix) - 1), v.i);
  } else if (path.starts_with(kModelFieldPrefix) && v.type == model::AttrType::kString) {
    d.model_fields.emplace_back(path.substr(sizeof(kModelFieldPrefix) - 1), v.s);
  } else if (path.starts_with(kModelInputsPrefix)) {
    d.model_inputs.push_back(path.substr(sizeof(kModelInputsPrefix) - 1));
  }
}

}  // namespace

std::string RunData::ModelField(std::string_view field) const {
  for (const auto& [k, v] : model_fields)
    if (k == field) return v;
  return "";
}

RunData FromAttributes(const std::vector<storage::AttributeInfo>& attrs) {
  RunData d;
  for (const auto& a : attrs) Add(d, a.path, a.value, a.last_ts, a.last_step.value_or(0));
  return d;
}

RunData FromRow(const std::vector<std::pair<std::string, model::Value>>& attrs,
                int64_t updated_us) {
  RunData d;
  for (const auto& [path, v] : attrs) Add(d, path, v, updated_us, v.i);
  return d;
}

void WriteRunInfo(JsonWriter& w, const std::string& experiment_id, const storage::RunInfo& run,
                  const RunData& d) {
  std::string user;
  for (const auto& [k, v] : d.tags)
    if (k == "mlflow.user") user = v;
  w.BeginObject();
  w.Key("run_id").String(run.run_id).Key("run_uuid").String(run.run_id);
  w.Key("run_name").String(run.name);
  w.Key("experiment_id").String(experiment_id);
  w.Key("user_id").String(user);
  w.Key("status").String(StatusName(run.state, d.killed));
  w.Key("start_time").Int(run.created_us / 1000);
  if (run.state == model::RunState::kFinished || run.state == model::RunState::kFailed)
    w.Key("end_time").Int(run.updated_us / 1000);
  w.Key("artifact_uri").String(ArtifactUri(experiment_id, run.run_id));
  w.Key("lifecycle_stage").String(d.trashed ? "deleted" : "active");
  w.EndObject();
}

void WriteRun(JsonWriter& w, const std::string& experiment_id, const storage::RunInfo& run,
              const RunData& d) {
  w.BeginObject().Key("info");
  WriteRunInfo(w, experiment_id, run, d);
  w.Key("data").BeginObject();
  w.Key("metrics").BeginArray();
  for (const auto& m : d.metrics) {
    w.BeginObject().Key("key").String(m.key).Key("value").Double(m.value);
    w.Key("timestamp").Int(m.timestamp_ms).Key("step").Int(m.step).EndObject();
  }
  w.EndArray();
  w.Key("params").BeginArray();
  for (const auto& [k, v] : d.params)
    w.BeginObject().Key("key").String(k).Key("value").String(v).EndObject();
  w.EndArray();
  w.Key("tags").BeginArray();
  bool has_name = false;
  for (const auto& [k, v] : d.tags) {
    if (k == kRunNameTag) has_name = true;
    w.BeginObject().Key("key").String(k).Key("value").String(v).EndObject();
  }
  if (!has_name)
    w.BeginObject().Key("key").String(kRunNameTag).Key("value").String(run.name).EndObject();
  w.EndArray();
  w.EndObject();
  w.Key("inputs").BeginObject().Key("dataset_inputs").BeginArray();
  for (const auto& j : d.datasets) w.Raw(j);
  w.EndArray();
  w.Key("model_inputs").BeginArray();
  for (const auto& id : d.model_inputs) w.BeginObject().Key("model_id").String(id).EndObject();
  w.EndArray().EndObject();
  w.Key("outputs").BeginObject().Key("model_outputs").BeginArray();
  for (const auto& [id, step] : d.model_outputs)
    w.BeginObject().Key("model_id").String(id).Key("step").Int(step).EndObject();
  w.EndArray().EndObject();
  w.EndObject();
}

}  // namespace sextant::api::mlflow
