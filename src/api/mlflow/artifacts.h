// MLflow's artifact proxy (/api/2.0/mlflow-artifacts/artifacts/...): the
// artifacts of a run are its file attributes under "artifacts/", those of a
// logged model the file attributes of the run that stores the model.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace sextant::api::mlflow {

// Where the artifact paths Sextant hands out point: "<experiment>/<run
// id>/artifacts[/<rel>]" (ArtifactUri) or "<experiment>/models/<model
// id>/artifacts[/<rel>]" (a logged model, stored as a run whose id is the
// model id).
struct ArtifactPath {
  std::string experiment_id;
  std::string run_id;  // the model id for a logged model
  std::string rel;     // "" for the artifact root
  // The run's file attribute ("artifacts/<rel>"), or "artifacts" for the root.
  std::string AttributePath() const { return rel.empty() ? "artifacts" : "artifacts/" + rel; }
};

// Parses the path of an artifact request (percent-decoded, relative to the
// artifact root). InvalidArgument ("Invalid path ...") for what MLflow's
// server refuses as unsafe: an absolute path, backslashes, "." or ".."
// segments, empty segments, and a `rel` that is no valid attribute path;
// NotFound ("No such artifact: '<path>'") for a safe path that is not in the
// layout above.
Result<ArtifactPath> ParseArtifactPath(std::string_view path);

// Sextant keeps artifacts here in each run.
inline constexpr char kArtifactsPrefix[] = "artifacts/";

}  // namespace sextant::api::mlflow
