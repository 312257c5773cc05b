// The embedded backend's public entry point (storage/open_backend.h chooses
// it by URL).
#pragma once

#include <memory>

#include "common/status.h"
#include "storage/backend.h"

namespace sextant::storage {

struct BackendOptions {
  std::string path;           // the SQLite file
  bool fsync_commits = true;  // synchronous=FULL: durable against power loss
};

Result<std::unique_ptr<Backend>> OpenSqliteBackend(const BackendOptions& options);

}  // namespace sextant::storage
