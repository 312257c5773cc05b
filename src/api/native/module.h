// The native API v1 (docs/api/native.md) as a front end of the router: it
// registers its routes and its error shape, and only translates between JSON
// and core::Tracker operations.
#pragma once

#include <cstdint>

#include "api/router.h"
#include "auth/accounts.h"
#include "core/tracker.h"

namespace sextant::api {
class Access;
}

namespace sextant::api::native {

struct Options {
  uint64_t max_body_bytes;  // JSON requests
  uint64_t max_file_bytes;  // file uploads
  auth::Accounts* accounts = nullptr;  // null: no account routes
  const Access* access = nullptr;
};

void Register(Router& router, core::Tracker* tracker, const Options& options);

// The parts, one file each.
void AddRunRoutes(Router::Module& m, core::Tracker* t, const Options& o);
void AddRunEditRoutes(Router::Module& m, core::Tracker* t, const Options& o);
void AddProjectRoutes(Router::Module& m, core::Tracker* t, const Options& o);
void AddFileRoutes(Router::Module& m, core::Tracker* t, const Options& o);
void AddEventRoutes(Router::Module& m, core::Tracker* t, const Options& o);
void AddSessionRoutes(Router::Module& m, const Options& o);
void AddAccountRoutes(Router::Module& m, const Options& o);

}  // namespace sextant::api::native
