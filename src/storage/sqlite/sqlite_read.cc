// The read path: attributes, chunks and file references.
#include <cstring>

#include <limits>

#include "storage/compaction.h"
#include "storage/config_columns.h"
#include "storage/series_merge.h"
#include "storage/sqlite/sqlite_backend.h"

namespace sextant::storage::sqlite {

namespace {

constexpr const char* kAttrColumns =
    "id, path, type, num, int_value, text_value, last_step, last_ts, point_count";

AttributeInfo ReadAttrRow(Stmt* s, int first_col) {
  int c = first_col;
  AttributeInfo a;
  a.id = s->Int(c);
  a.path = s->Text(c + 1);
  a.type = static_cast<model::AttrType>(s->Int(c + 2));
  std::optional<int64_t> i;
  std::optional<std::string_view> text;
  if (!s->IsNull(c + 4)) i = s->Int(c + 4);
  if (!s->IsNull(c + 5)) text = s->BlobView(c + 5);
  a.value = ValueFromColumns(a.type, i, text);
  if (!s->IsNull(c + 6)) a.last_step = s->Int(c + 6);
  a.last_ts = s->Int(c + 7);
  a.count = s->Int(c + 8);
  return a;
}

// Columns id, level, first_step, last_step, count, idx of a chunks query.
ChunkRow ReadChunkRow(Stmt* s) {
  ChunkRow c;
  c.id = s->Int(0);
  c.level = static_cast<int>(s->Int(1));
  c.first_step = s->Int(2);
  c.last_step = s->Int(3);
  c.count = s->Int(4);
  c.index = std::string(s->BlobView(5));
  return c;
}

// The chunks of one series overlapping [lo, hi], payloads included, read on
// `db` (inside the caller's transaction when it has one).
Result<std::vector<ChunkRow>> ReadChunksOn(Db& db, int64_t attr_id, int64_t lo, int64_t hi) {
  ASSIGN_OR_RETURN(Stmt * s, db.Prepare(
      "SELECT id, level, first_step, last_step, count, idx, data FROM chunks "
      "WHERE attr_id = ? AND first_step <= ? AND last_step >= ? ORDER BY first_step, id"));
  s->Bind(1, attr_id).Bind(2, hi).Bind(3, lo);
  std::vector<ChunkRow> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    ChunkRow c = ReadChunkRow(s);
    c.data = std::string(s->BlobView(6));
    out.push_back(std::move(c));
  }
  s->Reset();
  return out;
}

}  // namespace

Result<std::vector<AttributeInfo>> SqliteBackend::ListAttributes(int64_t run_id) {
  // Every path sorts after the empty one: the whole list is the page after it.
  return ListAttributesAfter(run_id, "", std::numeric_limits<int64_t>::max());
}

Result<std::vector<AttributeInfo>> SqliteBackend::ListAttributesAfter(int64_t run_id,
                                                                      const std::string& after_path,
                                                                      size_t limit) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  // Seeks the UNIQUE (run_id, path) index: a page of a run with millions of
  // attributes reads `limit` rows.
  ASSIGN_OR_RETURN(Stmt * s, (*r)->Prepare(std::string("SELECT ") + kAttrColumns +
                                           " FROM attributes WHERE run_id = ? AND path > ?"
                                           " ORDER BY path LIMIT ?"));
  s->Bind(1, run_id).Bind(2, after_path).Bind(3, static_cast<int64_t>(limit));
  std::vector<AttributeInfo> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(ReadAttrRow(s, 0));
  }
  s->Reset();
  return out;
}

Result<std::optional<AttributeInfo>> SqliteBackend::FindAttribute(int64_t run_id,
                                                                  const std::string& path) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Stmt * s, (*r)->Prepare(std::string("SELECT ") + kAttrColumns +
                                           " FROM attributes WHERE run_id = ? AND path = ?"));
  s->Bind(1, run_id).Bind(2, path);
  ASSIGN_OR_RETURN(bool row, s->Step());
  std::optional<AttributeInfo> out;
  if (row) out = ReadAttrRow(s, 0);
  s->Reset();
  return out;
}

Status SqliteBackend::ScanProject(int64_t project_id, ProjectScanner* scanner) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  // One read transaction: runs and attributes come from the same snapshot.
  RETURN_IF_ERROR((*r)->Exec("BEGIN"));
  Status st = [&]() -> Status {
    ASSIGN_OR_RETURN(Stmt * s, (*r)->Prepare(std::string("SELECT ") + kRunColumns +
                                             " FROM runs r LEFT JOIN runs p ON p.id = r.fork_parent_id"
                                             " WHERE r.project_id = ? ORDER BY r.id"));
    s->Bind(1, project_id);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      ASSIGN_OR_RETURN(RunInfo info, ReadRunRow(s));
      if (!scanner->Run(info)) {
        s->Reset();
        return Status::Unavailable("loading the runs table was cancelled");
      }
    }
    s->Reset();
    ASSIGN_OR_RETURN(Stmt * a, (*r)->Prepare(
        "SELECT a.run_id, a.id, a.path, a.type, a.num, a.int_value, a.text_value, a.last_step, "
        "a.last_ts, a.point_count FROM runs r JOIN attributes a ON a.run_id = r.id "
        "WHERE r.project_id = ?"));
    a->Bind(1, project_id);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, a->Step());
      if (!row) break;
      if (!scanner->Attribute(a->Int(0), ReadAttrRow(a, 1))) {
        a->Reset();
        return Status::Unavailable("loading the runs table was cancelled");
      }
    }
    a->Reset();
    return Status::Ok();
  }();
  (void)(*r)->Exec("COMMIT");
  return st;
}

Result<std::vector<ChunkRow>> SqliteBackend::ReadChunks(int64_t attr_id, int64_t lo, int64_t hi) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  return ReadChunksOn(**r, attr_id, lo, hi);
}

Result<std::vector<ChunkMeta>> SqliteBackend::ListChunks(
    int64_t attr_id, int64_t lo, int64_t hi, size_t limit,
    const std::optional<std::pair<int64_t, int64_t>>& time) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  // Without a time range the covering index chunks_meta answers alone; with
  // one, each chunk in the step range costs a lookup of its row's head (the
  // timestamp bounds sit before the payload, so no overflow page is read).
  ASSIGN_OR_RETURN(Stmt * s, (*r)->Prepare(
      time ? "SELECT id, level, first_step, last_step, count FROM chunks "
             "WHERE attr_id = ?1 AND first_step <= ?2 AND last_step >= ?3 "
             "AND max_ts >= ?5 AND min_ts <= ?6 ORDER BY first_step, id LIMIT ?4"
           : "SELECT id, level, first_step, last_step, count FROM chunks "
             "WHERE attr_id = ?1 AND first_step <= ?2 AND last_step >= ?3 "
             "ORDER BY first_step, id LIMIT ?4"));
  s->Bind(1, attr_id).Bind(2, hi).Bind(3, lo).Bind(4, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
  if (time) s->Bind(5, time->first).Bind(6, time->second);
  std::vector<ChunkMeta> out;
  for (;;) {
    auto row = s->Step();
    if (!row.ok()) {
      s->Reset();
      return row.status();
    }
    if (!*row) break;
    out.push_back({s->Int(0), static_cast<int>(s->Int(1)), s->Int(2), s->Int(3), s->Int(4)});
  }
  s->Reset();
  return out;
}

Result<FileRef> SqliteBackend::GetFile(int64_t run_id, const std::string& path,
                                       std::optional<int64_t> step) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  // Without a step, a file series answers with its latest point.
  ASSIGN_OR_RETURN(Stmt * s, (*r)->Prepare(
      "SELECT f.digest, f.size, f.filename, f.created_us FROM files f "
      "JOIN attributes a ON a.id = f.attr_id WHERE a.run_id = ?1 AND a.path = ?2 "
      "AND (?3 IS NULL OR f.step = ?3) ORDER BY f.step DESC LIMIT 1"));
  s->Bind(1, run_id).Bind(2, path).Bind(3, step);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return Status::NotFound("no file at '" + path + "'" +
                                    (step ? " for that step" : std::string()));
  FileRef f{s->Text(0), s->Int(1), s->Text(2), s->Int(3)};
  s->Reset();
  return f;
}

Result<std::vector<std::pair<int64_t, FileRef>>> SqliteBackend::ListFiles(int64_t run_id, const std::string& path,
                                                                          int64_t lo, int64_t hi, size_t limit) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Stmt * s, (*r)->Prepare(
      "SELECT f.step, f.digest, f.size, f.filename, f.created_us FROM files f "
      "JOIN attributes a ON a.id = f.attr_id WHERE a.run_id = ?1 AND a.path = ?2 "
      "AND f.step IS NOT NULL AND f.step BETWEEN ?3 AND ?4 ORDER BY f.step DESC LIMIT ?5"));
  s->Bind(1, run_id).Bind(2, path).Bind(3, lo).Bind(4, hi).Bind(5, static_cast<int64_t>(limit));
  std::vector<std::pair<int64_t, FileRef>> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.emplace_back(s->Int(0), FileRef{s->Text(1), s->Int(2), s->Text(3), s->Int(4)});
  }
  s->Reset();
  return out;
}

Result<int64_t> SqliteBackend::CountPoints(int64_t attr_id) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  // One read transaction: the chunk list and the chunks merged below must
  // come from the same snapshot, or a compaction committed in between makes
  // a group's chunks vanish and its points go uncounted.
  RETURN_IF_ERROR((*r)->Exec("BEGIN"));
  Result<int64_t> total = [&]() -> Result<int64_t> {
    ASSIGN_OR_RETURN(std::vector<ChunkMeta> meta, ListChunkMeta(**r, attr_id));
    return CountSeriesPoints(meta, [&](int64_t lo, int64_t hi) { return ReadChunksOn(**r, attr_id, lo, hi); });
  }();
  (void)(*r)->Exec("COMMIT");
  return total;
}

Result<std::vector<ChunkRow>> SqliteBackend::ReadChunksSparse(int64_t attr_id, int64_t lo,
                                                              int64_t hi,
                                                              const BlockChooser& choose) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  // One read transaction, so the blobs opened below belong to the rows listed.
  RETURN_IF_ERROR((*r)->Exec("BEGIN"));
  std::vector<ChunkRow> out;
  Status st = [&]() -> Status {
    // Metadata only: indexes come from the cache, payloads from blob reads.
    ASSIGN_OR_RETURN(Stmt * s, (*r)->Prepare(
        "SELECT id, level, first_step, last_step, count FROM chunks "
        "WHERE attr_id = ? AND first_step <= ? AND last_step >= ? ORDER BY first_step, id"));
    s->Bind(1, attr_id).Bind(2, hi).Bind(3, lo);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      ChunkRow c;
      c.id = s->Int(0);
      c.level = static_cast<int>(s->Int(1));
      c.first_step = s->Int(2);
      c.last_step = s->Int(3);
      c.count = s->Int(4);
      out.push_back(std::move(c));
    }
    s->Reset();
    std::unique_ptr<sqlite3_blob, int (*)(sqlite3_blob*)> idx_blob(nullptr, sqlite3_blob_close);
    std::unique_ptr<sqlite3_blob, int (*)(sqlite3_blob*)> data_blob(nullptr, sqlite3_blob_close);
    // Opens (or moves) `blob` to column `column` of chunk `id`.
    auto open = [&](decltype(idx_blob)& blob, const char* column, int64_t id) -> Status {
      int rc;
      if (blob) {
        rc = sqlite3_blob_reopen(blob.get(), id);
      } else {
        sqlite3_blob* b = nullptr;
        rc = sqlite3_blob_open((*r)->raw(), "main", "chunks", column, id, 0, &b);
        blob.reset(b);
      }
      if (rc != SQLITE_OK) return SqliteError((*r)->raw(), rc, "opening chunk " + std::string(column));
      return Status::Ok();
    };
    IndexCache& cache = index_cache();
    std::string bytes;
    for (ChunkRow& c : out) {
      c.parsed = cache.Find(c.id);
      if (!c.parsed) {
        RETURN_IF_ERROR(open(idx_blob, "idx", c.id));
        bytes.resize(static_cast<size_t>(sqlite3_blob_bytes(idx_blob.get())));
        int rc = sqlite3_blob_read(idx_blob.get(), bytes.data(), static_cast<int>(bytes.size()), 0);
        if (rc != SQLITE_OK) return SqliteError((*r)->raw(), rc, "reading chunk index");
        auto parsed = chunkenc::ChunkIndex::Parse(bytes);
        if (!parsed.ok()) return parsed.status().WithContext("chunk " + std::to_string(c.id));
        c.parsed = std::make_shared<chunkenc::ChunkIndex>(std::move(parsed).value());
        // Unsealed chunks are soon compacted away: not worth a slot.
        if (c.level > 0) cache.Insert(c.id, c.parsed);
      }
      const chunkenc::ChunkIndex& idx = *c.parsed;
      std::vector<size_t> blocks = choose(idx);
      if (blocks.empty()) continue;
      // Not zero-filled: only the chosen blocks' bytes are ever read.
      c.sparse = std::make_shared_for_overwrite<char[]>(idx.data_size());
      RETURN_IF_ERROR(open(data_blob, "data", c.id));
      for (size_t b : blocks) {
        const auto& bs = idx.blocks().at(b);
        int rc = sqlite3_blob_read(data_blob.get(), c.sparse.get() + bs.offset,
                                   static_cast<int>(bs.size), static_cast<int>(bs.offset));
        if (rc != SQLITE_OK) return SqliteError((*r)->raw(), rc, "reading chunk payload");
      }
    }
    idx_blob.reset();
    data_blob.reset();
    return Status::Ok();
  }();
  (void)(*r)->Exec("COMMIT");
  if (!st.ok()) return st;
  return out;
}

Result<std::optional<std::pair<int64_t, int64_t>>> SqliteBackend::SeriesExtent(int64_t attr_id) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Stmt * s, (*r)->Prepare(
      "SELECT MIN(first_step), MAX(last_step) FROM chunks WHERE attr_id = ?"));
  s->Bind(1, attr_id);
  ASSIGN_OR_RETURN(bool row, s->Step());
  std::optional<std::pair<int64_t, int64_t>> out;
  if (row && !s->IsNull(0)) out = std::make_pair(s->Int(0), s->Int(1));
  s->Reset();
  return out;
}

}  // namespace sextant::storage::sqlite
