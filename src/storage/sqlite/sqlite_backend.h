// The embedded backend: one SQLite database in WAL mode. Private header.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/attr_cache.h"
#include "storage/backend.h"
#include "storage/sqlite/sqlite.h"
#include "storage/compaction.h"
#include "storage/sqlite/db.h"
#include "storage/sqlite/writer.h"

namespace sextant::storage::sqlite {

class SqliteBackend : public Backend {
 public:
  static Result<std::unique_ptr<SqliteBackend>> Open(const BackendOptions& options);
  ~SqliteBackend() override;

  Result<std::vector<ProjectInfo>> ListProjects() override;
  Result<ProjectInfo> GetProject(const model::ProjectName& p) override;
  Result<ProjectInfo> GetProjectById(int64_t id) override;
  Result<ProjectInfo> CreateProject(const model::ProjectName& p, int64_t now_us) override;
  Result<std::vector<std::pair<std::string, std::string>>> ProjectProperties(
      int64_t project_id) override;
  Status UpdateProjectProperties(int64_t project_id,
                                 const std::vector<std::pair<std::string, std::string>>& set,
                                 const std::vector<std::string>& remove) override;
  Result<std::vector<int64_t>> FindProjectsByProperty(const std::string& key,
                                                      const std::string& value) override;
  Result<std::vector<ProjectInfo>> ListProjectsAfter(const model::ProjectName& after,
                                                     size_t limit) override;
  Result<std::vector<AttributeInfo>> ListAttributesAfter(int64_t run_id,
                                                         const std::string& after_path,
                                                         size_t limit) override;
  Result<std::vector<SavedView>> ListViewsAfter(int64_t project_id, const std::string& after_name,
                                                size_t limit) override;
  Result<std::pair<RunInfo, bool>> CreateOrResumeRun(const model::ProjectName& p,
                                                     const model::CreateRunOp& op,
                                                     int64_t now_us) override;
  Result<RunInfo> GetRun(const model::ProjectName& p, const std::string& run_id) override;
  Result<RunInfo> GetRunById(int64_t id) override;
  Result<std::vector<RunInfo>> FindRunsByRunId(const std::string& run_id, size_t limit) override;
  Result<std::vector<RunInfo>> ListChildren(int64_t run_id) override;
  Result<LogOutcome> Log(const RunInfo& run, const model::LogBatch& batch,
                         std::vector<EncodedSeries> series, int64_t now_us,
                         const OnCommit& on_commit) override;
  Status SetState(int64_t run_id, model::RunState state, int64_t now_us,
                  const OnCommit& on_commit) override;
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
  Result<std::vector<ChunkRow>> ReadChunksSparse(int64_t attr_id, int64_t lo, int64_t hi,
                                                 const BlockChooser& choose) override;
  Status PutFile(const RunInfo& run, const std::string& path, std::optional<int64_t> step,
                 const FileRef& ref, int64_t now_us, const OnCommit& on_commit) override;
  Result<FileRef> GetFile(int64_t run_id, const std::string& path,
                          std::optional<int64_t> step) override;
  Result<std::vector<std::pair<int64_t, FileRef>>> ListFiles(int64_t run_id, const std::string& path,
                                                             int64_t lo, int64_t hi, size_t limit) override;
  Result<std::vector<std::string>> PurgeRun(const RunInfo& run) override;
  Status DeleteFiles(const RunInfo& run, const std::vector<std::string>& paths, int64_t now_us,
                     const OnCommit& on_commit) override;  // sqlite_files_delete.cc
  Status PutView(int64_t project_id, const SavedView& view) override;
  Result<std::vector<SavedView>> ListViews(int64_t project_id) override;
  Status DeleteView(int64_t project_id, const std::string& name) override;
  Result<int> CompactSome(int max_series, bool force = false) override;
  Status Close() override;

 private:
  // A read connection from the pool, returned on destruction.
  class Reader {
   public:
    Reader(SqliteBackend* b, std::unique_ptr<Db> db) : b_(b), db_(std::move(db)) {}
    ~Reader();
    Db* operator->() { return db_.get(); }
    Db& operator*() { return *db_; }

   private:
    SqliteBackend* b_;
    std::unique_ptr<Db> db_;
  };

  explicit SqliteBackend(BackendOptions options) : options_(std::move(options)) {}
  Result<std::unique_ptr<Reader>> AcquireReader();

  // Writer-thread helpers (REQUIRES: called inside a Writer task).
  Result<AttrKey> EnsureAttribute(Db& db, int64_t run_id, const std::string& path,
                                  model::AttrType type,
                                  AttrCache::Created* created);
  Status WriteConfig(Db& db, int64_t attr_id, const model::Value& v);
  Status UpsertConfig(Db& db, int64_t run_id, const std::string& path, const model::Value& v,
                      int64_t now_us, AttrCache::Created* created);
  Status ApplyTags(Db& db, int64_t run_id, const model::LogBatch& batch,
                   AttrCache::Created* created);
  Status InsertChunk(Db& db, int64_t attr_id, int level, const chunkenc::EncodedChunk& c,
                     const chunkenc::ChunkStats& s);
  // Compaction of one series: planned (read, merge, encode) outside the
  // writer, applied inside it only if the chunks it read are unchanged.
  Result<std::vector<CompactionGroup>> PlanCompaction(Db& db, int64_t attr_id);
  Status ApplyCompaction(Db& db, int64_t attr_id, const std::vector<CompactionGroup>& groups,
                         bool* complete);


  BackendOptions options_;
  std::unique_ptr<Writer> writer_;

  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Db>> pool_;  // GUARDED_BY(pool_mu_)

  AttrCache attrs_;  // committed attribute ids, for the ingest path

  DirtySeries dirty_;  // series with level-0 chunks waiting for compaction
  std::atomic<bool> closed_{false};
  // The id the next chunk gets: above every id this process has seen, so
  // that an id is never reused while the index cache may hold it (SQLite
  // alone would reuse the greatest id after it is deleted). Writer thread.
  int64_t next_chunk_id_ = 1;
};

Result<RunInfo> ReadRunRow(Stmt* s);  // columns as in kRunColumns
// A series' chunks without payloads, ordered by (first step, id) (sqlite_compact.cc).
Result<std::vector<ChunkMeta>> ListChunkMeta(Db& db, int64_t attr_id);
extern const char* const kRunColumns;

}  // namespace sextant::storage::sqlite
