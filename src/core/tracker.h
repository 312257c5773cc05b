// The core: every protocol front end (native JSON, and later MLflow, Neptune
// and the importers) calls these operations, so validation, limits and
// semantics live here once. The Tracker owns the backend, the file store, the
// runs catalogue and the background compactor.
//
// Thread-safety: all methods are thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "core/aggregates.h"
#include "core/catalog.h"
#include "core/events.h"
#include "core/paging.h"
#include "model/operations.h"
#include "query/downsample.h"
#include "storage/backend.h"
#include "storage/blobs/blob_store.h"
#include "storage/series_merge.h"
#include "storage/upload_records.h"

namespace sextant::core {

struct TrackerOptions {
  std::string data_dir;
  // Where logged files live: "" for <data_dir>/files, else a location for
  // blobs::OpenBlobStore (a folder, or s3://bucket/prefix?endpoint=…).
  std::string files;
  // Where runs live: "" for SQLite at <data_dir>/sextant.db, else a URL for
  // storage::OpenBackend (sqlite:///path, postgresql://…).
  std::string store;
  bool fsync_commits = true;
  model::Limits limits;
  bool background_compaction = true;
  int64_t stale_after_us = 600'000'000;  // see Catalog
  // Runs in the trash longer than this are purged (0: kept until purged by
  // hand). Checked by the background thread every min(1 h, retention / 4).
  int64_t trash_retention_us = 30LL * 24 * 3600 * 1'000'000;
};

struct SeriesRequest {
  std::vector<std::string> run_ids;
  std::string path;
  int64_t step_lo = INT64_MIN, step_hi = INT64_MAX;  // micro-steps, inclusive
  std::optional<std::pair<int64_t, int64_t>> time_range;  // µs, inclusive
  std::optional<int> buckets;  // 1..model::kMaxSeriesBuckets
  // Equal-width step buckets instead of edges snapped to stored blocks
  // (query::Edges); snapped ones read no payload but the range's edges.
  bool exact_buckets = false;
  size_t limit = model::kDefaultSeriesPointsLimit;  // 1..model::kMaxSeriesPointsLimit
  std::optional<int64_t> after_step;
  bool lineage = true;
};

struct SeriesResult {
  std::string run_id;
  std::optional<model::AttrType> type;  // nullopt: the run has no such series
  storage::Points points;               // raw reads
  std::vector<storage::FileRef> files;  // raw reads of a file series: one per point
  std::optional<int64_t> next_after_step;
  bool downsampled = false;
  std::vector<query::Bucket> buckets;   // downsampled reads
  uint64_t decoded_blocks = 0;
  uint64_t chunks_read = 0;  // chunk rows fetched whole (the cost of a raw page)
};

struct AttributeRow {
  storage::AttributeInfo info;
};

class Tracker {
 public:
  static Result<std::unique_ptr<Tracker>> Open(const TrackerOptions& options);
  ~Tracker();

  // Lists that can be large come in two forms: paged (PageRequest; see
  // core/paging.h), which the HTTP routes use, and whole (no PageRequest),
  // kept for callers that need everything (the CLI demo, tests).
  // With `visible`, only the projects it accepts (a caller's own).
  Result<Page<storage::ProjectInfo>> ListProjects(
      const PageRequest& page,
      const std::function<bool(const model::ProjectName&)>& visible = nullptr);
  Result<std::vector<storage::ProjectInfo>> ListProjects();
  Result<storage::ProjectInfo> GetProject(const model::ProjectName& p);
  Result<storage::ProjectInfo> GetProjectById(int64_t id);
  // An empty project; AlreadyExists when the name is taken (core/projects.cc).
  Result<storage::ProjectInfo> CreateProject(const model::ProjectName& p);
  // Key/value properties a front end keeps about a project (an MLflow
  // experiment's name, tags, lifecycle): keys 1..kMaxPathBytes and values up
  // to Limits::max_string_bytes of UTF-8. Updating stamps kUpdatedProperty.
  Result<std::vector<std::pair<std::string, std::string>>> ProjectProperties(int64_t project_id);
  Status UpdateProjectProperties(int64_t project_id,
                                 std::vector<std::pair<std::string, std::string>> set,
                                 std::vector<std::string> remove);
  Result<std::vector<int64_t>> FindProjectsByProperty(const std::string& key,
                                                      const std::string& value);
  static constexpr const char* kUpdatedProperty = "sys.updated_us";
  // A project's notes (Markdown, at most kMaxDescriptionBytes; "" when none).
  Result<std::string> ProjectDescription(const model::ProjectName& p);
  Status SetProjectDescription(const model::ProjectName& p, const std::string& text);
  // Every run with this id in any project (at most `limit`), for protocols
  // whose run ids are global (MLflow).
  Result<std::vector<storage::RunInfo>> FindRuns(const std::string& run_id, size_t limit);
  // Every attribute of a run with its last value, in one read: counts are
  // the stored ones (exact after compaction), not recounted as Attributes()
  // does, so a run with thousands of series costs one query (MLflow's
  // runs/get, called before most client operations).
  Result<std::vector<storage::AttributeInfo>> LastValues(const storage::RunInfo& run);
  // The attributes at `paths` that the run has (absent ones are left out).
  Result<std::vector<storage::AttributeInfo>> FindAttributes(const storage::RunInfo& run,
                                                             const std::vector<std::string>& paths);
  // Moves a run to the trash or back: the config sys/trashed (true), which
  // filters and the runs table can see; restoring removes it.
  Status SetTrashed(const model::ProjectName& p, const std::string& run_id, bool trashed);
  // Run management: applies one edit to every run named (at most
  // kMaxEditRuns). All runs are looked up first, so an unknown id changes
  // nothing. Each run's edit is one log batch of sys/ configs and tags.
  Status EditRuns(const model::ProjectName& p, const std::vector<std::string>& run_ids,
                  const model::EditRunOp& op);
  // Deletes a run from the trash for good, with its points and the files no
  // other run shares. Conflict unless the run is in the trash, and while
  // runs fork from it (they read its points: purge them first).
  Status PurgeRun(const model::ProjectName& p, const std::string& run_id);
  Result<std::pair<storage::RunInfo, bool>> CreateRun(const model::ProjectName& p,
                                                      model::CreateRunOp op);
  Result<storage::RunInfo> GetRun(const model::ProjectName& p, const std::string& run_id);
  Result<std::vector<storage::RunInfo>> Children(const storage::RunInfo& run);
  Result<storage::LogOutcome> Log(const model::ProjectName& p, const std::string& run_id,
                                  model::LogBatch batch);
  // Sets the run's state; `at_us` (a protocol's explicit end time, an
  // importer's) stamps the change instead of now.
  Result<storage::RunInfo> Finish(const model::ProjectName& p, const std::string& run_id,
                                  model::RunState state,
                                  std::optional<int64_t> at_us = std::nullopt);
  // A run's attributes by path; `pattern` (an RE2 regex matched anywhere in
  // the path, empty: all) filters them. A filtered page examines at most
  // model::kMaxPageScanRows attributes, so it may hold fewer than `limit`
  // items and still carry a next_page_token.
  Result<Page<storage::AttributeInfo>> Attributes(const model::ProjectName& p,
                                                  const std::string& run_id,
                                                  const std::string& pattern,
                                                  const PageRequest& page);
  Result<std::vector<storage::AttributeInfo>> Attributes(const model::ProjectName& p,
                                                         const std::string& run_id,
                                                         const std::string& pattern);
  // Validates `q` (ValidateRunsQuery) before answering.
  Result<RunsPage> QueryRuns(const model::ProjectName& p, const RunsQuery& q);
  Result<Page<PathSummary>> ProjectPaths(const model::ProjectName& p, const PageRequest& page);
  Result<std::vector<PathSummary>> ProjectPaths(const model::ProjectName& p);
  Result<std::vector<SeriesResult>> ReadSeries(const model::ProjectName& p,
                                               const SeriesRequest& req);

  // Saved views: `state_json` is validated by the front end (a JSON object).
  Status PutView(const model::ProjectName& p, const std::string& name, std::string state_json);
  Result<Page<storage::SavedView>> ListViews(const model::ProjectName& p, const PageRequest& page);
  Result<std::vector<storage::SavedView>> ListViews(const model::ProjectName& p);
  Status DeleteView(const model::ProjectName& p, const std::string& name);

  // Files: the caller streams bytes into a writer from NewUpload(), commits
  // it, then records the reference with AttachFile(). `expected_sha256`: the
  // checksum the client announced before the bytes, if any (see
  // BlobStore::NewWriter: it lets an S3 store skip a copy or the whole send).
  Result<std::unique_ptr<blobs::BlobWriter>> NewUpload(std::string_view expected_sha256 = {});
  // `time_us` is the point's timestamp (default: now), for importers.
  Status AttachFile(const model::ProjectName& p, const std::string& run_id,
                    const std::string& path, std::optional<int64_t> step,
                    const std::string& filename, const blobs::BlobInfo& blob,
                    std::optional<int64_t> time_us = std::nullopt);
  Result<storage::FileRef> FindFile(const model::ProjectName& p, const std::string& run_id,
                                    const std::string& path, std::optional<int64_t> step);
  // The points of a file series with steps in [lo, hi] (micro-steps), newest
  // first, at most `limit`.
  Result<std::vector<std::pair<int64_t, storage::FileRef>>> FileSeriesPoints(
      const model::ProjectName& p, const std::string& run_id, const std::string& path, int64_t lo, int64_t hi,
      size_t limit);
  Result<std::unique_ptr<blobs::BlobReader>> OpenBlob(const std::string& digest);
  // Deletes the files and file series at `paths` of a run (core/files.cc);
  // paths the run has no file at are skipped. The blobs stay in the store.
  Status DeleteFiles(const model::ProjectName& p, const std::string& run_id,
                     const std::vector<std::string>& paths);

  // Stops the compactor and closes the backend; acknowledged data is durable.
  Status Close();
  // Runs the compactor until nothing is left (tests and benchmarks).
  Status CompactAll();

  const model::Limits& limits() const { return options_.limits; }
  const std::string& data_dir() const { return options_.data_dir; }
  // Files uploaded by a storage path a client chose, and the attributes
  // waiting for them (the Neptune front end's signed URLs).
  storage::UploadRecords& upload_records() { return *uploads_; }
  EventHub& events() { return events_; }

 private:
  explicit Tracker(TrackerOptions o) : options_(std::move(o)) {}
  // Publishes a live event and announces the change to other replicas
  // (storage::Backend::Announce; `kind` as storage::Change says).
  void Publish(const storage::RunInfo& run, const char* kind, std::string event);
  // Another replica's changes: the runs read back into the catalogue, their
  // events published to this replica's streams.
  void ApplyRemoteChanges(const std::vector<storage::Change>& changes);
  void CompactorLoop();
  // Purges the runs whose sys/trashed was set more than the retention ago
  // (runs that others fork from stay, and are said once on stderr).
  void PurgeExpiredTrash();
  Status ReadFileSeries(const storage::RunInfo& run, const SeriesRequest& req, SeriesResult* out);
  // Adds the aggregate `text` (e.g. "min(val/loss)") of every run that has
  // the series to *extra (core/aggregates.h).
  Status ComputeAggregate(const model::ProjectName& p, int64_t project_id, const std::string& text,
                          const query::AggregateRef& agg, ExtraValues* extra);
  // `force_full` reads whole chunks (the fallback when a sparse read missed a block).
  Status ReadOne(const storage::RunInfo& run, const SeriesRequest& req, SeriesResult* out,
                 bool force_full = false);

  TrackerOptions options_;
  std::unique_ptr<storage::Backend> backend_;
  std::unique_ptr<blobs::BlobStore> blobs_;
  std::unique_ptr<storage::UploadRecords> uploads_;
  std::unique_ptr<Catalog> catalog_;
  AggregateCache aggregates_;
  std::set<int64_t> warned_purge_;  // runs the trash sweep could not purge (only its thread)
  EventHub events_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread compactor_;
  std::thread warmer_;  // loads every project's runs table after start
};

int64_t NowMicros();

}  // namespace sextant::core
