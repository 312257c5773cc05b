// MLflow's tracking REST API (docs/mlflow.md) as a front end of the router:
// the unmodified `mlflow` client and its integrations log to and read from
// Sextant. It only translates: experiments are projects, runs are runs,
// params/tags are string configs under params/ and tags/, metrics are float
// series, artifacts are files of the run, logged models are runs tagged
// "mlflow-model". Everything else goes through core::Tracker.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "api/router.h"
#include "core/tracker.h"

namespace sextant::api::mlflow {

struct Options {
  uint64_t max_body_bytes;
  uint64_t max_file_bytes;
  // Experiments created through MLflow become projects of this workspace.
  std::string workspace = "mlflow";
};

class Experiments;

// Adds the MLflow routes (and a JSON ENDPOINT_NOT_FOUND for the parts of
// MLflow's API that Sextant does not implement). Call before the web UI's
// catch-all. The routes use the returned object: keep it while serving.
std::unique_ptr<Experiments> Register(Router& router, core::Tracker* tracker,
                                      const Options& options);

// The parts, one file each.
void AddExperimentRoutes(Router::Module& m, Experiments* e, const Options& o);
void AddRunRoutes(Router::Module& m, Experiments* e, const Options& o);
void AddSearchRoutes(Router::Module& m, Experiments* e, const Options& o);
void AddMetricRoutes(Router::Module& m, Experiments* e, const Options& o);
void AddModelRoutes(Router::Module& m, Experiments* e, const Options& o);
void AddArtifactRoutes(Router::Module& m, Experiments* e, const Options& o);

}  // namespace sextant::api::mlflow
