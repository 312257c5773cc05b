#include "api/mlflow/log.h"

#include <map>

#include "api/mlflow/json_values.h"
#include "model/limits.h"
#include "model/types.h"

namespace sextant::api::mlflow {

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

namespace {

Result<simdjson::dom::object> Object(simdjson::dom::element e, std::string_view what) {
  simdjson::dom::object o;
  if (e.get_object().get(o) != simdjson::SUCCESS)
    return Status::InvalidArgument("Invalid value for parameter '" + std::string(what) +
                                   "': expected an object");
  return o;
}

std::optional<simdjson::dom::element> Get(simdjson::dom::object o, std::string_view key) {
  simdjson::dom::element v;
  if (o.at_key(key).get(v) != simdjson::SUCCESS || v.is_null()) return std::nullopt;
  return v;
}

Result<std::string> RequiredString(simdjson::dom::object o, std::string_view key,
                                   std::string_view what) {
  auto v = Get(o, key);
  if (!v)
    return Status::InvalidArgument("Missing value for required parameter '" + std::string(what) +
                                   "." + std::string(key) + "'");
  return JsonStr(*v, key);
}

Status CheckKey(const std::string& key, std::string_view entity) {
  if (key.empty())
    return Status::InvalidArgument("Invalid " + std::string(entity) + " name: ''. Names must be "
                                   "non-empty");
  if (!model::IsValidUtf8(key))
    return Status::InvalidArgument(std::string(entity) + " key is not valid UTF-8");
  if (CodePoints(key) > model::kMlflowMaxKeyChars)
    return Status::InvalidArgument("'key' exceeds the maximum length of " +
                                   std::to_string(model::kMlflowMaxKeyChars) + " characters");
  return model::ValidatePath(key).WithContext("Invalid " + std::string(entity) + " name '" + key +
                                              "'");
}

// MLflow's server cuts values longer than its limit rather than refusing
// them (MLFLOW_TRUNCATE_LONG_VALUES, on by default).
Status CheckValue(std::string* v, size_t max, std::string_view what) {
  if (!model::IsValidUtf8(*v)) return Status::InvalidArgument(std::string(what) + " is not valid UTF-8");
  size_t n = 0;
  for (size_t i = 0; i < v->size(); ++i) {
    if ((static_cast<unsigned char>((*v)[i]) & 0xC0) == 0x80) continue;
    if (n++ == max) {
      v->resize(i);
      break;
    }
  }
  return Status::Ok();
}

}  // namespace

Result<MetricIn> DecodeMetric(simdjson::dom::element e) {
  ASSIGN_OR_RETURN(auto o, Object(e, "metrics"));
  MetricIn m;
  ASSIGN_OR_RETURN(m.key, RequiredString(o, "key", "metrics"));
  RETURN_IF_ERROR(CheckKey(m.key, "metric"));
  auto v = Get(o, "value");
  if (!v) return Status::InvalidArgument("Missing value for required parameter 'metrics.value'");
  ASSIGN_OR_RETURN(m.value, JsonDouble(*v, "value"));
  auto ts = Get(o, "timestamp");
  if (!ts)
    return Status::InvalidArgument("Missing value for required parameter 'metrics.timestamp'");
  ASSIGN_OR_RETURN(m.timestamp_ms, JsonInt(*ts, "timestamp"));
  if (auto st = Get(o, "step")) {
    ASSIGN_OR_RETURN(m.step, JsonInt(*st, "step"));
  }
  if (auto id = Get(o, "model_id")) {
    ASSIGN_OR_RETURN(m.model_id, JsonStr(*id, "model_id"));
  }
  return m;
}

namespace {

// A param or a tag: {"key", "value"}; long values are cut at `max_value`.
Result<KeyValue> DecodeKeyValue(simdjson::dom::element e, const char* field, const char* entity,
                                size_t max_value, const char* what) {
  ASSIGN_OR_RETURN(auto o, Object(e, field));
  KeyValue kv;
  ASSIGN_OR_RETURN(kv.key, RequiredString(o, "key", field));
  RETURN_IF_ERROR(CheckKey(kv.key, entity));
  if (auto v = Get(o, "value")) {
    ASSIGN_OR_RETURN(kv.value, JsonStr(*v, "value"));
  }
  RETURN_IF_ERROR(CheckValue(&kv.value, max_value, what));
  return kv;
}

}  // namespace

Result<KeyValue> DecodeParam(simdjson::dom::element e) {
  return DecodeKeyValue(e, "params", "parameter", model::kMlflowMaxParamValueChars, "param value");
}

Result<KeyValue> DecodeTag(simdjson::dom::element e) {
  return DecodeKeyValue(e, "tags", "tag", model::kMlflowMaxTagValueChars, "tag value");
}

Result<BatchIn> DecodeBatch(simdjson::dom::element body, size_t body_bytes) {
  ASSIGN_OR_RETURN(auto o, Object(body, "body"));
  BatchIn in;
  size_t counts[3] = {0, 0, 0};
  const char* names[3] = {"metrics", "params", "tags"};
  simdjson::dom::array arrays[3];
  for (int k = 0; k < 3; ++k) {
    auto v = Get(o, names[k]);
    if (!v) continue;
    if (v->get_array().get(arrays[k]) != simdjson::SUCCESS)
      return Status::InvalidArgument(std::string("Invalid value for parameter '") + names[k] +
                                     "': expected a list");
    counts[k] = arrays[k].size();
  }
  if (counts[0] > model::kMlflowMaxBatchMetrics)
    return Status::InvalidArgument(
        "A batch logging request can contain at most " +
        std::to_string(model::kMlflowMaxBatchMetrics) + " metrics. Got " +
        std::to_string(counts[0]) + " metrics. Please split up metrics across multiple requests "
        "and try again.");
  if (counts[1] > model::kMlflowMaxBatchParams)
    return Status::InvalidArgument(
        "A batch logging request can contain at most " +
        std::to_string(model::kMlflowMaxBatchParams) + " params. Got " +
        std::to_string(counts[1]) + " params. Please split up params across multiple requests "
        "and try again.");
  if (counts[2] > model::kMlflowMaxBatchTags)
    return Status::InvalidArgument(
        "A batch logging request can contain at most " +
        std::to_string(model::kMlflowMaxBatchTags) + " tags. Got " + std::to_string(counts[2]) +
        " tags. Please split up tags across multiple requests and try again.");
  size_t total = counts[0] + counts[1] + counts[2];
  if (total > model::kMlflowMaxBatchEntities)
    return Status::InvalidArgument(
        "A batch logging request can contain at most " +
        std::to_string(model::kMlflowMaxBatchEntities) +
        " metrics, params, and tags in total. Got " + std::to_string(total) +
        " entities. Please split up the entities across multiple requests and try again.");
  if (body_bytes > model::kMlflowMaxBatchBytes)
    return Status::InvalidArgument("Batched logging API requests must be at most " +
                                   std::to_string(model::kMlflowMaxBatchBytes) +
                                   " bytes, got a request of " + std::to_string(body_bytes) +
                                   " bytes");
  if (counts[0]) {
    for (simdjson::dom::element e : arrays[0]) {
      ASSIGN_OR_RETURN(auto m, DecodeMetric(e));
      in.metrics.push_back(std::move(m));
    }
  }
  if (counts[1]) {
    for (simdjson::dom::element e : arrays[1]) {
      ASSIGN_OR_RETURN(auto p, DecodeParam(e));
      in.params.push_back(std::move(p));
    }
  }
  if (counts[2]) {
    for (simdjson::dom::element e : arrays[2]) {
      ASSIGN_OR_RETURN(auto t, DecodeTag(e));
      in.tags.push_back(std::move(t));
    }
  }
  return in;
}

Result<model::LogBatch> ToLogBatch(const BatchIn& in) {
  model::LogBatch b;
  // Params: the same key twice must have the same value (MLflow).
  std::map<std::string, const std::string*> params;
  for (const auto& p : in.params) {
    auto [it, fresh] = params.emplace(p.key, &p.value);
    if (!fresh) {
      if (*it->second != p.value)
        return Status::InvalidArgument("Duplicate parameter keys have been submitted: ['" +
                                       p.key + "']. Please ensure the request contains only one "
                                       "param value per param key.");
      continue;
    }
    b.configs.emplace_back(kParamsPrefix + p.key, model::Value::String(p.value));
  }
  std::map<std::string, size_t> tags;  // last value wins, as MLflow's upsert
  for (const auto& t : in.tags) {
    if (t.key == kRunNameTag) {
      b.configs.emplace_back("sys/name", model::Value::String(t.value));
      continue;
    }
    auto it = tags.find(t.key);
    if (it != tags.end()) {
      b.configs[it->second].second = model::Value::String(t.value);
      continue;
    }
    tags[t.key] = b.configs.size();
    b.configs.emplace_back(kTagsPrefix + t.key, model::Value::String(t.value));
  }
  // A second mlflow.runName in one batch: the last one counts.
  {
    size_t keep = SIZE_MAX;
    for (size_t i = 0; i < b.configs.size(); ++i)
      if (b.configs[i].first == "sys/name") keep = i;
    std::vector<std::pair<std::string, model::Value>> configs;
    for (size_t i = 0; i < b.configs.size(); ++i)
      if (b.configs[i].first != "sys/name" || i == keep) configs.push_back(std::move(b.configs[i]));
    b.configs = std::move(configs);
  }
  std::map<std::string, size_t> series;
  for (const auto& m : in.metrics) {
    auto [it, fresh] = series.emplace(m.key, b.series.size());
    if (fresh) {
      model::SeriesWrite s;
      s.path = m.key;
      s.type = model::AttrType::kFloatSeries;
      b.series.push_back(std::move(s));
    }
    model::SeriesWrite& s = b.series[it->second];
    ASSIGN_OR_RETURN(int64_t step, model::StepFromInt(m.step));
    s.steps.push_back(step);
    s.ts.push_back(m.timestamp_ms > INT64_MAX / 1000 || m.timestamp_ms < 0
                       ? -1
                       : m.timestamp_ms * 1000);
    s.floats.push_back(m.value);
  }
  return b;
}

}  // namespace sextant::api::mlflow
