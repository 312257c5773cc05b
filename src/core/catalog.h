// The runs catalogue: every run of a project with its config values and the
// last value of each series, kept in memory so that the runs table (filter +
// sort + page over 100 k runs) is answered without touching the database.
//
// It is a write-through cache over the backend: loaded lazily per project
// from Backend::LoadProject(), then updated by the Tracker after each
// committed write. Updates are idempotent, so a write that races with the
// initial load is applied correctly either way. With several stateless
// replicas (PostgreSQL backend) each replica must refresh from the backend;
// that is the scale-out issue's work.
//
// Thread-safety: all methods are thread-safe (one mutex per project).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "model/operations.h"
#include "query/filter.h"
#include "storage/backend.h"

namespace sextant::core {

struct SortKey {
  std::string path;
  bool descending = false;
};

struct RunsQuery {
  query::Filter filter;
  std::vector<SortKey> sort;  // empty: newest first
  size_t limit = 50;
  size_t offset = 0;
  std::optional<std::vector<std::string>> columns;  // nullopt: all attributes
};

struct RunRow {
  storage::RunInfo run;
  std::vector<std::pair<std::string, model::Value>> attributes;  // sorted by path
};

struct RunsPage {
  size_t total = 0;
  std::vector<RunRow> rows;
};

class Catalog {
 public:
  explicit Catalog(storage::Backend* backend) : backend_(backend) {}

  Result<RunsPage> Query(int64_t project_id, const RunsQuery& q);

  // Called after the backend committed the corresponding write.
  void ApplyRun(const storage::RunInfo& run);
  void ApplyLog(const storage::RunInfo& run, const model::LogBatch& batch, int64_t now_us);
  void ApplyState(const storage::RunInfo& run, model::RunState state, int64_t now_us);
  void ApplyFile(const storage::RunInfo& run, const std::string& path, model::AttrType type,
                 const std::string& digest, int64_t size);

  size_t ProjectsLoaded();

 private:
  struct Entry {
    storage::RunInfo run;
    // Path id -> value; for series, Value::i holds the last step.
    std::unordered_map<uint32_t, model::Value> attrs;
  };
  struct Project {
    std::mutex mu;
    bool loaded = false;
    std::vector<std::string> paths;                    // GUARDED_BY(mu)
    std::unordered_map<std::string, uint32_t> path_ids;  // GUARDED_BY(mu)
    std::vector<Entry> runs;                           // GUARDED_BY(mu)
    std::unordered_map<int64_t, size_t> by_run_id;     // GUARDED_BY(mu)
    uint32_t Intern(const std::string& path);
    Entry& Upsert(const storage::RunInfo& run);
  };
  class Lookup;

  Project* Get(int64_t project_id);
  // REQUIRES: p->mu held.
  Status EnsureLoaded(int64_t project_id, Project* p);

  storage::Backend* backend_;
  std::mutex mu_;
  std::unordered_map<int64_t, std::unique_ptr<Project>> projects_;  // GUARDED_BY(mu_)
};

// Orders values for sorting: numbers (int, float, bool, datetime, series last
// values) before strings before sets; NaN after other numbers.
int CompareValues(const model::Value& a, const model::Value& b);

}  // namespace sextant::core
