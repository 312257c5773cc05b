// Copies everything one backend stores into another (`sextant migrate`):
// projects with their properties and saved views, runs (forks after their
// parents, creation times, states, names, experiments), every attribute
// (configs, series as their encoded chunks, file references), then checks
// that the copy reads back the same. Only the interface is used, so any
// backend copies to any other (SQLite ↔ PostgreSQL).
//
// Not copied: the blobs (files stay in their file store; point the new
// server's --files at the same one). The accounts are copied by
// copy_access.h.
// Times that the backends stamp on writes (a run's last update, when a
// config was last set) become the time of the copy.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/status.h"
#include "storage/backend.h"

namespace sextant::storage {

struct CopyStats {
  int64_t projects = 0, runs = 0, attributes = 0, points = 0, files = 0, views = 0;
  int64_t skipped_runs = 0;  // already in the target with as many attributes
};

struct CopyOptions {
  bool verify = true;  // read every attribute and point back from both
  // Called after each run (project "ws/p", run id, totals so far).
  std::function<void(const std::string& project, const std::string& run, const CopyStats&)> progress;
};

// Compacts the source first (so its chunks do not overlap), then copies. A
// run already in the target with at least as many attributes as the source's
// is skipped, so an interrupted copy resumes where it stopped.
Result<CopyStats> CopyStore(Backend& from, Backend& to, const CopyOptions& options);

}  // namespace sextant::storage
