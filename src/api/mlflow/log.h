// Decoding MLflow's logging requests (log-metric, log-parameter, set-tag,
// log-batch, log-inputs) into core operations. Bytes from outside: fuzzed by
// log_fuzz.cc.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/operations.h"

namespace sextant::api::mlflow {

struct MetricIn {
  std::string key;
  double value = 0;
  int64_t timestamp_ms = 0;
  int64_t step = 0;
  std::string model_id;  // MLflow 3: the logged model the metric is about
};

struct KeyValue {
  std::string key, value;
};

struct BatchIn {
  std::vector<MetricIn> metrics;
  std::vector<KeyValue> params, tags;
};

// Each entity, from a JSON object ({"key","value","timestamp","step"} …),
// with MLflow's checks and messages (lengths, counts, types).
Result<MetricIn> DecodeMetric(simdjson::dom::element e);
Result<KeyValue> DecodeParam(simdjson::dom::element e);
Result<KeyValue> DecodeTag(simdjson::dom::element e);
// log-batch's body (run_id aside): counts and sizes within MLflow's limits.
Result<BatchIn> DecodeBatch(simdjson::dom::element body, size_t body_bytes);

// Into the core's batch: metrics become float series (path = key; steps
// are integers, timestamps milliseconds), params configs params/<key>,
// tags configs tags/<key>; the tag mlflow.runName renames the run.
Result<model::LogBatch> ToLogBatch(const BatchIn& in);

// Where params and tags live among a run's attributes.
inline constexpr char kParamsPrefix[] = "params/";
inline constexpr char kTagsPrefix[] = "tags/";
inline constexpr char kRunNameTag[] = "mlflow.runName";

// Characters of UTF-8 text as Python's len() counts them (code points).
size_t CodePoints(std::string_view s);

}  // namespace sextant::api::mlflow
