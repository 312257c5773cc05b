#include "api/mlflow/module.h"

#include <memory>

#include "api/mlflow/experiments.h"
#include "api/mlflow/respond.h"

namespace sextant::api::mlflow {

std::unique_ptr<Experiments> Register(Router& router, core::Tracker* tracker,
                                      const Options& options) {
  auto owned = std::make_unique<Experiments>(tracker, options.workspace);
  Experiments* e = owned.get();

  Router::Module& m = router.AddModule("mlflow", Error);
  AddExperimentRoutes(m, e, options);
  AddRunRoutes(m, e, options);
  AddSearchRoutes(m, e, options);
  AddMetricRoutes(m, e, options);
  AddModelRoutes(m, e, options);
  AddArtifactRoutes(m, e, options);

  // The rest of MLflow's API (model registry, traces, prompts, gateway,
  // scorers, GraphQL …): a JSON ENDPOINT_NOT_FOUND, so that clients degrade
  // as against a server without the feature.
  for (const char* prefix : {"/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/", "/api/3.0/mlflow/",
                             "/ajax-api/3.0/mlflow/", "/api/2.0/mlflow-artifacts/",
                             "/ajax-api/2.0/mlflow-artifacts/"}) {
    for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
      // Writes are never public, even when they lead nowhere.
      Permission perm = std::string_view(method) == "GET" ? Permission::kPublic : Permission::kRead;
      m.Add({method, std::string(prefix) + "{rest...}", perm, 0,
             [](Context& c) -> Result<http::Response> {
               return EndpointNotFound(c.req.method + " " + c.req.path);
             }});
    }
  }
  for (const char* path : {"/graphql", "/ajax-api/graphql"})
    for (const char* method : {"GET", "POST"})
      m.Add({method, path, std::string_view(method) == "GET" ? Permission::kPublic : Permission::kRead,
             0, [](Context& c) -> Result<http::Response> {
               return EndpointNotFound(c.req.method + " " + c.req.path);
             }});
  return owned;
}

}  // namespace sextant::api::mlflow
