// The narrow storage interface. One logical schema (docs/format/schema.md);
// SQLite is the embedded default, PostgreSQL implements the same interface;
// storage/open_backend.h chooses one by URL. A backend only stores and
// retrieves: the rules of what a write means are in model/rules.h and core/.
//
// Thread-safety: every method may be called from any thread. Writes are
// serialized by the backend (group commit); reads run concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/operations.h"
#include "model/types.h"
#include "storage/chunkenc/chunk.h"
#include "storage/index_cache.h"

namespace sextant::storage {

struct ProjectInfo {
  int64_t id = 0;
  std::string workspace, name;
  int64_t created_us = 0;
  int64_t num_runs = 0;
};

struct RunInfo {
  int64_t id = 0;  // internal key
  int64_t project_id = 0;
  std::string run_id, name, experiment;
  model::RunState state = model::RunState::kRunning;
  int64_t created_us = 0, updated_us = 0;
  std::optional<int64_t> fork_parent_id;  // internal key of the parent run
  std::optional<std::string> fork_run_id;
  std::optional<int64_t> fork_step;
};

struct AttributeInfo {
  int64_t id = 0;
  std::string path;
  model::AttrType type = model::AttrType::kFloat;
  // Configs: the value. Float series: f = last value; string series: s = last
  // value; files: s = digest, i = size.
  model::Value value;
  std::optional<int64_t> last_step;  // series only
  int64_t last_ts = 0;  // series: the last point's timestamp; configs: when last set (0: unknown)
  int64_t count = 0;  // points stored (exact after compaction)
};

// One stored chunk of a series, as read back for queries.
struct ChunkRow {
  int64_t id = 0;  // insertion order: a later chunk wins on equal steps
  int level = 0;   // 0: written by ingest, 1: sealed by the compactor
  int64_t first_step = 0, last_step = 0;
  int64_t count = 0;
  std::string index, data;  // see docs/format/chunk.md
  // Set by ReadChunksSparse: the parsed index, and a buffer of data_size()
  // bytes holding the chosen blocks' payloads at their offsets (other bytes
  // are not initialized; null when no block was chosen).
  std::shared_ptr<const chunkenc::ChunkIndex> parsed;
  std::shared_ptr<char[]> sparse;
  // The payload bytes to decode blocks from: `sparse` when set, else `data`.
  std::string_view payload() const {
    return sparse ? std::string_view(sparse.get(), parsed->data_size()) : std::string_view(data);
  }
};

// One run of a series' fork lineage (Backend::SeriesLineage).
struct LineageEntry {
  RunInfo run;
  std::optional<AttributeInfo> attr;  // the run's attribute at the path, if any
  std::optional<std::pair<int64_t, int64_t>> extent;  // its chunks' first and last step
};

// A chunk without its index and payload: compaction planning, and choosing
// how far a page of raw points must read.
struct ChunkMeta {
  int64_t id = 0;
  int level = 0;
  int64_t first = 0, last = 0, count = 0;  // steps; points stored (overwritten ones included)
};

// Chooses the blocks of a chunk whose payloads a sparse read must fetch.
using BlockChooser = std::function<std::vector<size_t>(const chunkenc::ChunkIndex&)>;

// One series' step range in a read of several (a fork lineage: one per run).
struct SeriesRange {
  int64_t attr_id = 0;
  int64_t lo = 0, hi = 0;
};
// Chooses blocks for the k-th range of a read of several.
using RangeBlockChooser = std::function<std::vector<size_t>(size_t, const chunkenc::ChunkIndex&)>;

// A series write already validated and encoded into chunks by the caller, so
// that CPU work happens on request threads and the writer only does I/O.
struct EncodedSeries {
  std::string path;
  model::AttrType type;
  std::vector<chunkenc::EncodedChunk> chunks;
  std::vector<chunkenc::ChunkStats> stats;
  // The batch's point with the greatest step, for the attribute's last value.
  int64_t last_step = 0, last_ts = 0;
  double last_float = 0;
  std::string last_bytes;
  int64_t count = 0;
};

struct FileRef {
  std::string digest;
  int64_t size = 0;
  std::string filename;
  int64_t created_us = 0;
};

// A saved view of the UI (columns, filter, sort, grouping) as JSON text.
struct SavedView {
  std::string name;
  std::string state_json;
  int64_t updated_us = 0;
};

struct LogOutcome {
  int64_t points = 0;
  int64_t configs = 0;
};

// Receives a project's runs, then their attributes, one row at a time, so
// that loading 100 k runs x 100 attributes never materializes them all.
class ProjectScanner {
 public:
  virtual ~ProjectScanner() = default;
  // Return false to stop the scan (ScanProject then returns Unavailable).
  virtual bool Run(const RunInfo& run) = 0;
  virtual bool Attribute(int64_t run_id, const AttributeInfo& attr) = 0;
};

// Called once a write is durable, on the thread that commits, in the order
// writes committed, before the write call returns. Caches kept beside the
// database (the runs catalogue) update here, so that two concurrent writes to
// one attribute leave the cache with the value the database kept. It must be
// short: the next commit waits for it. May be empty.
using OnCommit = std::function<void()>;

// One entry of the change feed (DESIGN.md): a run changed. `kind` is "run"
// (created, resumed, edited), "log", "state", "files" or "purge"; `event` is
// the live event that describes it (JSON, for the SSE streams).
struct Change {
  int64_t project_id = 0;
  int64_t run_id = 0;  // internal key
  std::string kind;
  std::string event;
};
using ChangeHandler = std::function<void(const std::vector<Change>&)>;

class Backend {
 public:
  virtual ~Backend() = default;

  // Projects are created implicitly with their first run, or explicitly
  // (empty; AlreadyExists when the name is taken).
  virtual Result<std::vector<ProjectInfo>> ListProjects() = 0;
  virtual Result<ProjectInfo> GetProject(const model::ProjectName& p) = 0;
  virtual Result<ProjectInfo> GetProjectById(int64_t id) = 0;
  virtual Result<ProjectInfo> CreateProject(const model::ProjectName& p, int64_t now_us) = 0;

  // Properties of a project: small key/value text pairs that front ends
  // keep about it (an MLflow experiment's name, tags and lifecycle). Set
  // replaces a value, Remove deletes it (absent keys are ignored); both in
  // one transaction.
  virtual Result<std::vector<std::pair<std::string, std::string>>> ProjectProperties(
      int64_t project_id) = 0;
  virtual Status UpdateProjectProperties(
      int64_t project_id, const std::vector<std::pair<std::string, std::string>>& set,
      const std::vector<std::string>& remove) = 0;
  // The projects whose property `key` is `value`, by id.
  virtual Result<std::vector<int64_t>> FindProjectsByProperty(const std::string& key,
                                                              const std::string& value) = 0;

  // Keyset pages (core/paging.h): at most `limit` items whose key is greater
  // than `after`, in key order; an empty `after` starts at the first item
  // (keys are never empty). One index seek plus `limit` rows, however deep
  // the page. Projects are ordered by (workspace, name), attributes by path,
  // views by name, comparing bytes (memcmp), as std::string does.
  virtual Result<std::vector<ProjectInfo>> ListProjectsAfter(const model::ProjectName& after,
                                                             size_t limit) = 0;
  virtual Result<std::vector<AttributeInfo>> ListAttributesAfter(int64_t run_id,
                                                                 const std::string& after_path,
                                                                 size_t limit) = 0;
  virtual Result<std::vector<SavedView>> ListViewsAfter(int64_t project_id,
                                                        const std::string& after_name,
                                                        size_t limit) = 0;

  // Creates the run, or returns the existing one (second = false) and marks it
  // running. Fork parameters must match an existing run's.
  virtual Result<std::pair<RunInfo, bool>> CreateOrResumeRun(const model::ProjectName& p,
                                                             const model::CreateRunOp& op,
                                                             int64_t now_us) = 0;
  virtual Result<RunInfo> GetRun(const model::ProjectName& p, const std::string& run_id) = 0;
  virtual Result<RunInfo> GetRunById(int64_t id) = 0;
  // Every run with this run id, in any project (at most `limit`).
  virtual Result<std::vector<RunInfo>> FindRunsByRunId(const std::string& run_id,
                                                       size_t limit) = 0;
  virtual Result<std::vector<RunInfo>> ListChildren(int64_t run_id) = 0;

  // Applies a batch atomically; durable when it returns OK. Configs, removed
  // configs and tags are in `batch`, series points come pre-encoded in
  // `series`.
  virtual Result<LogOutcome> Log(const RunInfo& run, const model::LogBatch& batch,
                                 std::vector<EncodedSeries> series, int64_t now_us,
                                 const OnCommit& on_commit) = 0;
  virtual Status SetState(int64_t run_id, model::RunState state, int64_t now_us,
                          const OnCommit& on_commit) = 0;

  virtual Result<std::vector<AttributeInfo>> ListAttributes(int64_t run_id) = 0;
  virtual Result<std::optional<AttributeInfo>> FindAttribute(int64_t run_id,
                                                             const std::string& path) = 0;
  // Every run of a project (first) and every attribute (then), from one
  // consistent snapshot, for the in-memory runs catalogue.
  virtual Status ScanProject(int64_t project_id, ProjectScanner* scanner) = 0;

  // Chunks of one series whose step range intersects [lo, hi], ordered by
  // (first_step, id).
  virtual Result<std::vector<ChunkRow>> ReadChunks(int64_t attr_id, int64_t lo, int64_t hi) = 0;
  // The first `limit` of those, without index or payload: a page of raw
  // points reads only as far as it needs. With `time` (µs, inclusive), only
  // chunks whose timestamp bounds meet it.
  virtual Result<std::vector<ChunkMeta>> ListChunks(
      int64_t attr_id, int64_t lo, int64_t hi, size_t limit,
      const std::optional<std::pair<int64_t, int64_t>>& time) = 0;

  // Exact number of points of a series: overwritten steps count once even
  // before compaction has merged their chunks.
  virtual Result<int64_t> CountPoints(int64_t attr_id) = 0;

  // The smallest first step and greatest last step of a series' chunks.
  virtual Result<std::optional<std::pair<int64_t, int64_t>>> SeriesExtent(int64_t attr_id) = 0;

  // What a series read needs to know about `run`'s fork lineage at `path`,
  // root first and `run` last (only `run` when !lineage): each run, its
  // attribute there and that series' extent. Internal when deeper than
  // kMaxLineageDepth. The default asks GetRunById, FindAttribute and
  // SeriesExtent for each run; a backend over a network does it in one
  // round trip (backend.cc).
  static constexpr int kMaxLineageDepth = 1000;
  virtual Result<std::vector<LineageEntry>> SeriesLineage(const RunInfo& run, const std::string& path,
                                                          bool lineage);

  // Like ReadChunks, but reads each chunk's payload only for the blocks that
  // `choose` names: a downsampled read needs the summaries of every block
  // and the points of a few, so it need not copy whole chunks. Parsed
  // indexes of sealed chunks come from index_cache() (storage/index_cache.h);
  // rows carry `parsed` and, for chosen blocks, `sparse`, not `index`/`data`.
  virtual Result<std::vector<ChunkRow>> ReadChunksSparse(int64_t attr_id, int64_t lo, int64_t hi,
                                                         const BlockChooser& choose) = 0;
  // ReadChunksSparse of several ranges, the k-th answer for ranges[k]: a
  // chart of a forked run reads every ancestor's part at once. The default
  // reads them one by one (backend.cc); PostgreSQL answers in the same
  // round trips as one range, however many there are.
  virtual Result<std::vector<std::vector<ChunkRow>>> ReadChunksSparseMany(
      const std::vector<SeriesRange>& ranges, const RangeBlockChooser& choose);

  // File attributes (step = nullopt) and file series points.
  virtual Status PutFile(const RunInfo& run, const std::string& path, std::optional<int64_t> step,
                         const FileRef& ref, int64_t now_us, const OnCommit& on_commit) = 0;
  virtual Result<FileRef> GetFile(int64_t run_id, const std::string& path,
                                  std::optional<int64_t> step) = 0;
  // The points of a file series with steps in [lo, hi], newest first, at
  // most `limit` (empty when the run has no such series).
  virtual Result<std::vector<std::pair<int64_t, FileRef>>> ListFiles(int64_t run_id, const std::string& path,
                                                                     int64_t lo, int64_t hi, size_t limit) = 0;
  // Deletes the file attributes and file series at `paths` of a run (their
  // `files` rows and the attribute rows), in one transaction; a path that is
  // absent or not a file is skipped. The blobs stay in the content-addressed
  // store (other attributes may share them).
  virtual Status DeleteFiles(const RunInfo& run, const std::vector<std::string>& paths,
                             int64_t now_us, const OnCommit& on_commit) = 0;

  // Deletes a run for good, in one transaction: its chunks, file references,
  // attributes and the run row. Returns the digests of the files it had that
  // no other file reference names any more (the caller removes those blobs).
  // The caller makes sure nothing forks from the run.
  virtual Result<std::vector<std::string>> PurgeRun(const RunInfo& run) = 0;

  // Saved views of a project: replaced whole on Put; Delete is NotFound when absent.
  virtual Status PutView(int64_t project_id, const SavedView& view) = 0;
  virtual Result<std::vector<SavedView>> ListViews(int64_t project_id) = 0;
  virtual Status DeleteView(int64_t project_id, const std::string& name) = 0;

  // Merges level-0 chunks of series that need it. Returns the number of series
  // compacted; 0 means nothing to do. Runs through the writer, never blocking
  // it for long (bounded work per call).
  // `force` compacts every series with unsealed chunks, idle or not.
  virtual Result<int> CompactSome(int max_series, bool force = false) = 0;

  // The change feed between processes sharing one store (replicas on one
  // PostgreSQL). Announce tells the others about a committed change, soon
  // (batched, best effort: a replica that misses one catches up at its next
  // change or restart); Follow calls `handler` on a backend thread with the
  // changes the others announced, in the order they were announced. A
  // backend that only one process may open (SQLite) does neither.
  virtual void Announce(Change change) { (void)change; }
  virtual void Follow(ChangeHandler handler) { (void)handler; }

  // Flushes and stops background work; further calls return Unavailable.
  virtual Status Close() = 0;

  IndexCache& index_cache() { return index_cache_; }

 private:
  IndexCache index_cache_{kDefaultIndexCacheBytes};
};

}  // namespace sextant::storage
