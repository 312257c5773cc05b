// MLflow experiments are Sextant projects (docs/mlflow.md, "Mapping"):
//
//   experiment_id    the project's numeric id; "0" is <workspace>/Default
//   name             the project property mlflow.name when set (names that
//                    are not valid project names), else the project's name
//                    when it is in the MLflow workspace, else "ws/project"
//   tags             properties mlflow.tag.<key>
//   lifecycle_stage  property mlflow.lifecycle = "deleted"
//
// Also resolves MLflow run ids (global in MLflow, per project in Sextant)
// and checks the caller's role on the project each request touches: MLflow
// routes carry no project in their path, so the router's gate only knows
// that the caller is signed in.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/router.h"
#include "auth/roles.h"
#include "core/tracker.h"

namespace sextant::api::mlflow {

struct Experiment {
  std::string id;  // MLflow's experiment_id
  model::ProjectName project;
  int64_t project_id = 0;  // 0: the default experiment, not created yet
  std::string name;
  bool deleted = false;
  int64_t created_us = 0, updated_us = 0;
  std::vector<std::pair<std::string, std::string>> tags;
};

struct RunRef {
  Experiment experiment;
  storage::RunInfo run;
};

class Experiments {
 public:
  Experiments(core::Tracker* t, std::string workspace)
      : t_(t), workspace_(std::move(workspace)) {}
  core::Tracker* tracker() const { return t_; }
  const std::string& workspace() const { return workspace_; }

  // By MLflow id or name; NotFound in MLflow's words. Checks `role`.
  Result<Experiment> ById(Context& c, const std::string& id, auth::Role role);
  Result<Experiment> ByName(Context& c, const std::string& name, auth::Role role);
  // Creates the project for a new experiment (RESOURCE_ALREADY_EXISTS when
  // the name is taken, deleted or not).
  Result<Experiment> Create(Context& c, const std::string& name,
                            const std::vector<std::pair<std::string, std::string>>& tags);
  // Makes sure the project of `e` exists (the default experiment is created
  // on its first run).
  Result<Experiment> Materialize(Experiment e);
  // Every experiment the caller may see (roles at least viewer).
  Result<std::vector<Experiment>> List(Context& c);
  Result<Experiment> FromProject(const storage::ProjectInfo& p);

  Status Rename(const Experiment& e, const std::string& new_name);
  Status SetLifecycle(const Experiment& e, bool deleted);
  Status SetTag(const Experiment& e, const std::string& key, const std::string& value);
  Status DeleteTag(const Experiment& e, const std::string& key);

  // A run by MLflow run id (any project the caller can see), with `role`.
  Result<RunRef> Run(Context& c, const std::string& run_id, auth::Role role);
  // Reads run_id (or run_uuid) from the request.
  static Result<std::string> RunIdArg(const class Args& a);

  Status Require(Context& c, const model::ProjectName& p, auth::Role role) const;

 private:
  Result<Experiment> Default();
  core::Tracker* t_;
  std::string workspace_;
};

// "mlflow-artifacts:/<experiment>/<run>/artifacts"
std::string ArtifactUri(const std::string& experiment_id, const std::string& run_id);

}  // namespace sextant::api::mlflow
