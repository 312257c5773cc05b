// Neptune's protocols (docs/migrate-from-neptune.md) as a front end of the
// router: the unmodified `neptune-scale` client logs to Sextant and
// `neptune-query` reads back. It only translates: a RunOperation becomes
// Tracker::CreateRun / Log / AttachFile, reads come from the runs catalogue
// and series reads. Neptune's names are Sextant's: attribute paths, run ids
// (`sys/custom_run_id` is the run id), experiments, fork lineage.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "api/router.h"
#include "auth/access_tokens.h"
#include "core/tracker.h"

namespace sextant::api::neptune {

struct Options {
  uint64_t max_body_bytes;
  uint64_t max_file_bytes;
  std::string external_url;  // the URL clients reach; empty: from each request's Host
  bool tls = false;          // the server itself speaks TLS
  // Signs access tokens; null: the token exchange answers 503.
  const auth::AccessTokens* access_tokens = nullptr;
};

class Neptune;

// Adds the routes. Call before the web UI's catch-all; keep the returned
// object while serving.
std::unique_ptr<Neptune> Register(Router& router, core::Tracker* tracker, const Options& options);

// The parts, one file each.
void AddAuthRoutes(Router::Module& m, Neptune* n);     // auth_routes.cc
void AddIngestRoutes(Router::Module& m, Neptune* n);   // ingest_routes.cc
void AddProjectRoutes(Router::Module& m, Neptune* n);  // project_routes.cc
void AddStorageRoutes(Router::Module& m, Neptune* n);  // storage_routes.cc
void AddReadRoutes(Router::Module& m, Neptune* n);     // read_routes.cc
void AddAppLinks(Router::Module& m, Neptune* n);       // app_links.cc

}  // namespace sextant::api::neptune
