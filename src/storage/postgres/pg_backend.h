// The PostgreSQL backend. Private header; see README.md beside it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/attr_cache.h"
#include "storage/backend.h"
#include "storage/compaction.h"
#include "storage/group_commit.h"
#include "storage/postgres/pg_conn.h"
#include "storage/postgres/pg_feed.h"

namespace sextant::storage::postgres {

// Chunks to insert, as the columns of one multi-row INSERT (pg_log.cc).
struct ChunkColumns {
  void Add(int64_t attr_id, const chunkenc::EncodedChunk& chunk, const chunkenc::ChunkStats& st);
  Status Insert(Conn& c, int level) const;  // one round trip; nothing when empty

  std::vector<int64_t> attr, first, last, count, min_ts, max_ts;
  std::vector<std::optional<double>> mins, maxs, sums;
  std::vector<std::string> idx, data;
};

class PgBackend : public Backend {
 public:
  static Result<std::unique_ptr<PgBackend>> Open(const std::string& url, bool synchronous_commit);
  ~PgBackend() override;

  // pg_backend.cc: projects and runs.
  Result<std::vector<ProjectInfo>> ListProjects() override;
  Result<ProjectInfo> GetProject(const model::ProjectName& p) override;
  Result<ProjectInfo> GetProjectById(int64_t id) override;
  Result<ProjectInfo> CreateProject(const model::ProjectName& p, int64_t now_us) override;
  Result<std::vector<ProjectInfo>> ListProjectsAfter(const model::ProjectName& after,
                                                     size_t limit) override;
  Result<std::pair<RunInfo, bool>> CreateOrResumeRun(const model::ProjectName& p,
                                                     const model::CreateRunOp& op,
                                                     int64_t now_us) override;
  Result<RunInfo> GetRun(const model::ProjectName& p, const std::string& run_id) override;
  Result<RunInfo> GetRunById(int64_t id) override;
  Result<std::vector<RunInfo>> FindRunsByRunId(const std::string& run_id, size_t limit) override;
  Result<std::vector<RunInfo>> ListChildren(int64_t run_id) override;
  Status Close() override;

  // pg_meta.cc: project properties and saved views.
  Result<std::vector<std::pair<std::string, std::string>>> ProjectProperties(
      int64_t project_id) override;
  Status UpdateProjectProperties(int64_t project_id,
                                 const std::vector<std::pair<std::string, std::string>>& set,
                                 const std::vector<std::string>& remove) override;
  Result<std::vector<int64_t>> FindProjectsByProperty(const std::string& key,
                                                      const std::string& value) override;
  Result<std::vector<SavedView>> ListViewsAfter(int64_t project_id, const std::string& after_name,
                                                size_t limit) override;
  Status PutView(int64_t project_id, const SavedView& view) override;
  Result<std::vector<SavedView>> ListViews(int64_t project_id) override;
  Status DeleteView(int64_t project_id, const std::string& name) override;

  // pg_log.cc: the write path.
  Result<LogOutcome> Log(const RunInfo& run, const model::LogBatch& batch,
                         std::vector<EncodedSeries> series, int64_t now_us,
                         const OnCommit& on_commit) override;
  Status SetState(int64_t run_id, model::RunState state, int64_t now_us,
                  const OnCommit& on_commit) override;
  Status PutFile(const RunInfo& run, const std::string& path, std::optional<int64_t> step,
                 const FileRef& ref, int64_t now_us, const OnCommit& on_commit) override;
  Status DeleteFiles(const RunInfo& run, const std::vector<std::string>& paths, int64_t now_us,
                     const OnCommit& on_commit) override;
  Result<std::vector<std::string>> PurgeRun(const RunInfo& run) override;

  // pg_read.cc: attributes, chunks and files.
  Result<std::vector<AttributeInfo>> ListAttributesAfter(int64_t run_id,
                                                         const std::string& after_path,
                                                         size_t limit) override;
  Result<std::vector<AttributeInfo>> ListAttributes(int64_t run_id) override;
  Result<std::optional<AttributeInfo>> FindAttribute(int64_t run_id,
                                                     const std::string& path) override;
  Status ScanProject(int64_t project_id, ProjectScanner* scanner) override;
  Result<std::vector<ChunkRow>> ReadChunks(int64_t attr_id, int64_t lo, int64_t hi) override;
  Result<std::vector<ChunkMeta>> ListChunks(
      int64_t attr_id, int64_t lo, int64_t hi, size_t limit,
      const std::optional<std::pair<int64_t, int64_t>>& time) override;
  Result<int64_t> CountPoints(int64_t attr_id) override;
  Result<std::optional<std::pair<int64_t, int64_t>>> SeriesExtent(int64_t attr_id) override;
  // One round trip for the whole lineage (a recursive query).
  Result<std::vector<LineageEntry>> SeriesLineage(const RunInfo& run, const std::string& path,
                                                  bool lineage) override;
  Result<std::vector<std::vector<ChunkRow>>> ReadChunksSparseMany(
      const std::vector<SeriesRange>& ranges, const RangeBlockChooser& choose) override;
  Result<std::vector<ChunkRow>> ReadChunksSparse(int64_t attr_id, int64_t lo, int64_t hi,
                                                 const BlockChooser& choose) override;
  Result<FileRef> GetFile(int64_t run_id, const std::string& path,
                          std::optional<int64_t> step) override;
  Result<std::vector<std::pair<int64_t, FileRef>>> ListFiles(int64_t run_id, const std::string& path,
                                                             int64_t lo, int64_t hi, size_t limit) override;

  // pg_compact.cc
  Result<int> CompactSome(int max_series, bool force = false) override;

  // The change feed (pg_feed.h).
  void Announce(Change change) override;
  void Follow(ChangeHandler handler) override;

 private:
  using Writer = GroupCommit<Conn>;
  // A read connection from the pool, returned on destruction (dropped when
  // broken).
  class Reader {
   public:
    Reader(PgBackend* b, std::unique_ptr<Conn> c) : b_(b), c_(std::move(c)) {}
    ~Reader();
    Conn* operator->() { return c_.get(); }
    Conn& operator*() { return *c_; }

   private:
    PgBackend* b_;
    std::unique_ptr<Conn> c_;
  };
  // A read-only snapshot transaction on a pooled connection: every query
  // inside sees the same committed state.
  class Snapshot;

  PgBackend(std::string url, bool sync) : url_(std::move(url)), sync_(sync) {}
  Result<std::unique_ptr<Conn>> Connect();
  Result<std::unique_ptr<Reader>> AcquireReader();

  // Writer-thread helpers (called inside a Writer task).
  Result<AttrKey> EnsureAttribute(Conn& c, int64_t run_id, const std::string& path,
                                  model::AttrType type,
                                  AttrCache::Created* created);
  Status WriteConfig(Conn& c, int64_t attr_id, const model::Value& v);
  // Several attributes in one round trip (cache misses only).
  Result<std::vector<AttrKey>> EnsureAttributes(
      Conn& c, int64_t run_id, const std::vector<std::pair<std::string, model::AttrType>>& wanted,
      AttrCache::Created* created);
  // Every config of a batch in one statement.
  Status UpsertConfigs(Conn& c, int64_t run_id,
                       const std::vector<std::pair<std::string, model::Value>>& configs,
                       int64_t now_us, AttrCache::Created* created);
  Status ApplyTags(Conn& c, int64_t run_id, const model::LogBatch& batch,
                   AttrCache::Created* created);
  // A batch's chunks and the series' counts and last values, in two statements.
  Status WriteSeries(Conn& c, const std::vector<EncodedSeries>& series, const std::vector<int64_t>& ids);

  // pg_compact.cc
  // Plans and applies the compaction of several series in a constant
  // number of round trips, whatever their number.
  using Plans = std::vector<std::pair<int64_t, std::vector<CompactionGroup>>>;
  Result<Plans> PlanCompaction(Conn& c, const std::vector<int64_t>& attr_ids);
  Status ApplyCompaction(Conn& c, const Plans& plans, std::vector<int64_t>* finished);

  const std::string url_;
  const bool sync_;
  std::unique_ptr<Writer> writer_;

  // Read connections: at most kMaxReaders open, so that many replicas with
  // many request threads stay within PostgreSQL's max_connections; a reader
  // waits for a free one beyond that.
  static constexpr int kMaxReaders = 16;
  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<Conn>> pool_;  // GUARDED_BY(pool_mu_)
  int open_readers_ = 0;                     // GUARDED_BY(pool_mu_)

  AttrCache attrs_;  // committed attribute ids, for the ingest path

  std::unique_ptr<ChangeFeed> feed_;
  DirtySeries dirty_;
  std::atomic<bool> closed_{false};
};

// A REPEATABLE READ, READ ONLY transaction on a pooled connection.
class PgBackend::Snapshot {
 public:
  static Result<std::unique_ptr<Snapshot>> Begin(PgBackend* b) {
    ASSIGN_OR_RETURN(auto r, b->AcquireReader());
    RETURN_IF_ERROR((*r)->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    return std::unique_ptr<Snapshot>(new Snapshot(std::move(r)));
  }
  ~Snapshot() { (void)(*r_)->Exec("COMMIT"); }
  Conn& conn() { return **r_; }

 private:
  explicit Snapshot(std::unique_ptr<Reader> r) : r_(std::move(r)) {}
  std::unique_ptr<Reader> r_;
};

// Columns of a runs query joined with its parent (r, p), and their reader.
extern const char* const kRunColumns;
RunInfo ReadRun(const Rows& rows, int row);
// Columns of an attributes query, and their reader starting at `col`.
extern const char* const kAttrColumns;
AttributeInfo ReadAttribute(const Rows& rows, int row, int col);
// A series' chunks without payloads, ordered by (first step, id) (pg_read.cc).
Result<std::vector<ChunkMeta>> ListChunkMeta(Conn& c, int64_t attr_id);

}  // namespace sextant::storage::postgres
