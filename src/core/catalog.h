// The runs catalogue: every run of a project with its config values and the
// last value of each series, kept in memory so that the runs table (filter +
// sort + page over 100 k runs) is answered without touching the database.
//
// It is a write-through cache over the backend: loaded lazily per project
// from Backend::ScanProject(), then updated from each write's OnCommit hook,
// in commit order, so that concurrent writes of one config leave it with the
// value the database kept. Updates are idempotent, so a write that races with the
// initial load is applied correctly either way. With several stateless
// replicas (PostgreSQL backend) each replica must refresh from the backend;
// that is the scale-out issue's work.
//
// Thread-safety: all methods are thread-safe (one mutex per project).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
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

// Which trashed or archived runs a runs query keeps. The native API hides
// both by default; the protocol front ends (MLflow, Neptune) filter on
// sys/trashed themselves and ask for kInclude.
enum class Visibility : uint8_t { kInclude, kHide, kOnly };

struct RunsQuery {
  query::Filter filter;
  Visibility trashed = Visibility::kInclude;   // config sys/trashed = true
  Visibility archived = Visibility::kInclude;  // config sys/archived = true
  std::vector<SortKey> sort;  // empty: newest first
  size_t limit = model::kDefaultRunsLimit;   // at most model::kMaxRunsLimit
  size_t offset = 0;                         // at most model::kMaxRunsOffset
  std::optional<std::vector<std::string>> columns;  // nullopt: all attributes
};

struct RunRow {
  storage::RunInfo run;
  std::vector<std::pair<std::string, model::Value>> attributes;  // sorted by path
};

struct PathSummary {
  std::string path;
  std::vector<std::pair<model::AttrType, size_t>> types;  // type -> runs having it
};

// Values the catalogue does not keep, computed for a query by the tracker
// (series aggregates such as "min(val/loss)"): by run (internal id), then
// (path text, value) pairs.
using ExtraValues = std::unordered_map<int64_t, std::vector<std::pair<std::string, model::Value>>>;

struct RunsPage {
  size_t unfiltered_total = 0;  // runs kept by the visibility, before the filter
  size_t total = 0;
  std::vector<RunRow> rows;
  // Paths the filter or the sort names that no run of the project has (a
  // typo, or `config/lr` for a config logged as `lr`), each with the closest
  // path the project has ("" when none is close): said instead of silently
  // matching nothing.
  std::vector<std::pair<std::string, std::string>> unknown_paths;
};

class Catalog {
 public:
  // A running run that has written nothing for `stale_after_us` is shown as
  // stale: its process most likely died without finishing it.
  Catalog(storage::Backend* backend, int64_t stale_after_us)
      : backend_(backend), stale_after_us_(stale_after_us) {}

  // Loads a project's runs (once; concurrent callers wait for the first).
  // The database is read without holding the project's lock, so writes go on
  // meanwhile and are replayed on top. Thread-safe.
  Status Load(int64_t project_id);
  // Makes Load() give up (for shutdown).
  void Cancel() { cancelled_ = true; }

  // `extra` answers paths the catalogue has no column for (aggregates).
  Result<RunsPage> Query(int64_t project_id, const RunsQuery& q, const ExtraValues* extra = nullptr);
  // The runs with a float series at `path` (any visibility).
  Result<std::vector<storage::RunInfo>> RunsWithFloatSeries(int64_t project_id, const std::string& path);
  // Every attribute path used by some run of the project, with its types,
  // sorted by path.
  Result<std::vector<PathSummary>> Paths(int64_t project_id);
  // The same, at most `limit` paths greater than `after` (keyset paging):
  // a binary search in the sorted path index plus `limit` summaries.
  Result<std::vector<PathSummary>> PathsAfter(int64_t project_id, const std::string& after,
                                              size_t limit);

  // Called after the backend committed the corresponding write.
  void ApplyRun(const storage::RunInfo& run);
  void ApplyLog(const storage::RunInfo& run, const model::LogBatch& batch, int64_t now_us);
  void ApplyState(const storage::RunInfo& run, model::RunState state, int64_t now_us);
  void ApplyFile(const storage::RunInfo& run, const std::string& path, model::AttrType type,
                 const std::string& digest, int64_t size);
  // A run purged (Backend::PurgeRun): its row and cells go; later runs move
  // up one index (a purge is rare; this is O(runs × paths)).
  void ApplyPurge(const storage::RunInfo& run);
  // Files and file series deleted (Backend::DeleteFiles): clears those
  // cells; other types at these paths are left alone, as the backend does.
  void ApplyRemove(const storage::RunInfo& run, const std::vector<std::string>& paths);

  // A run as another replica left it (the change feed): its row and every
  // cell replaced by what the store holds.
  void ApplyStored(const storage::RunInfo& run, const std::vector<storage::AttributeInfo>& attrs);

  size_t ProjectsLoaded();

 private:
  // Attribute values are stored by column (one per path) rather than per
  // run: 100 k runs x 100 attributes take ~1 GB as maps of Values but ~100 MB
  // as columns, and filters and sorts scan columns sequentially.
  struct Column {
    std::vector<uint8_t> type;      // AttrType per run index; 0 = absent
    std::vector<int64_t> num;       // double bits, int, bool, datetime µs
    std::vector<int64_t> step;      // series: last step (allocated on first use)
    std::vector<std::string> str;   // strings, series text, sets joined by '\x1f'
    bool Has(size_t run) const { return run < type.size() && type[run] != 0; }
    void Set(size_t run, const model::Value& v, std::optional<int64_t> last_step);
    model::Value Get(size_t run) const;  // REQUIRES: Has(run)
  };
  struct Project {
    std::mutex mu;
    std::condition_variable cv;  // signalled when a load ends
    bool loaded = false;
    bool loading = false;  // GUARDED_BY(mu)
    // Writes committed while the project loads, replayed on top of it.
    std::vector<std::function<void(Project*)>> pending;  // GUARDED_BY(mu)
    std::vector<storage::RunInfo> runs;               // GUARDED_BY(mu)
    std::unordered_map<int64_t, size_t> by_run_id;    // GUARDED_BY(mu)
    std::vector<std::string> paths;                   // GUARDED_BY(mu)
    std::unordered_map<std::string, uint32_t> path_ids;  // GUARDED_BY(mu)
    std::vector<Column> columns;                      // GUARDED_BY(mu), by path id
    // Path ids sorted by path, for paging. Paths are only ever appended, so
    // it is brought up to date lazily by SortPaths(): sorting the new ids
    // and merging them in, not re-sorting all. GUARDED_BY(mu)
    std::vector<uint32_t> sorted_ids;
    Column& ColumnFor(const std::string& path);
    void SortPaths();
    // Nullopt when no run has the path (any more).
    std::optional<PathSummary> Summary(uint32_t path_id) const;
    size_t Upsert(const storage::RunInfo& run);       // returns the run index
  };
  class Lookup;

  Project* Get(int64_t project_id);
  // Fills page->unknown_paths. REQUIRES: p->mu held.
  static void FindUnknown(const Project* p, const RunsQuery& q, RunsPage* page);
  static std::string Suggest(const Project* p, std::string_view unknown);
  // Runs `apply` now if the project is loaded, after the load if it is loading.
  void Apply(int64_t project_id, std::function<void(Project*)> apply);
  static void DoApplyLog(Project* p, const storage::RunInfo& run, const model::LogBatch& batch,
                         int64_t now_us);

  storage::Backend* backend_;
  int64_t stale_after_us_;
  std::atomic<bool> cancelled_{false};
  std::mutex mu_;
  std::unordered_map<int64_t, std::unique_ptr<Project>> projects_;  // GUARDED_BY(mu_)
};

// The rules of a runs query, for every front end: limit and offset within
// model::kMaxRunsLimit / kMaxRunsOffset ("limit: expected an integer from 0
// to 10000"), sort and column paths valid. Tracker::QueryRuns calls it.
Status ValidateRunsQuery(const RunsQuery& q);

// Orders values for sorting: numbers (int, float, bool, datetime, series last
// values) before strings before sets; NaN after other numbers.
int CompareValues(const model::Value& a, const model::Value& b);

// Returns `run` with state kStale when it is running but silent for too long.
storage::RunInfo WithStaleness(storage::RunInfo run, int64_t now_us, int64_t stale_after_us);

}  // namespace sextant::core
