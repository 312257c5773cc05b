// MLflow's Run message as JSON: info, data (metrics, params, tags), inputs
// and outputs, from a Sextant run and its attributes (docs/mlflow.md).
#pragma once

#include <string>
#include <vector>

#include "api/json_writer.h"
#include "api/mlflow/experiments.h"
#include "core/catalog.h"
#include "storage/backend.h"

namespace sextant::api::mlflow {

// RUNNING (also for stale runs), FINISHED, FAILED, KILLED.
std::string StatusName(model::RunState state, bool killed);
// From MLflow's RunStatus; `killed` is set for KILLED.
Result<model::RunState> ParseStatus(const std::string& s, bool* killed);

// What the Run message needs from a run's attributes.
struct RunData {
  struct Metric {
    std::string key;
    double value = 0;
    int64_t timestamp_ms = 0;
    int64_t step = 0;
  };
  std::vector<Metric> metrics;
  std::vector<std::pair<std::string, std::string>> params, tags;
  std::vector<std::string> datasets;  // DatasetInput JSON objects
  std::vector<std::pair<std::string, int64_t>> model_outputs;  // model id, step
  std::vector<std::string> model_inputs;
  std::vector<std::pair<std::string, std::string>> model_fields;  // model/<field>
  bool trashed = false;
  bool killed = false;
  std::string ModelField(std::string_view field) const;
};
RunData FromAttributes(const std::vector<storage::AttributeInfo>& attrs);
RunData FromRow(const std::vector<std::pair<std::string, model::Value>>& attrs,
                int64_t updated_us);

void WriteRunInfo(JsonWriter& w, const std::string& experiment_id, const storage::RunInfo& run,
                  const RunData& d);
void WriteRun(JsonWriter& w, const std::string& experiment_id, const storage::RunInfo& run,
              const RunData& d);

// Where datasets, model inputs/outputs and the KILLED status live.
inline constexpr char kDatasetsPrefix[] = "datasets/";
inline constexpr char kModelInputsPrefix[] = "models/inputs/";
inline constexpr char kModelOutputsPrefix[] = "models/outputs/";
inline constexpr char kKilledTag[] = "tags/mlflow.sextant.killed";
// Logged models are runs with this tag in sys/tags and their fields
// (status, source_run_id, model_type) as string configs model/<field>.
inline constexpr char kModelTag[] = "mlflow-model";
inline constexpr char kModelFieldPrefix[] = "model/";

}  // namespace sextant::api::mlflow
