#include "storage/sqlite/schema.h"

#include <string>

namespace sextant::storage::sqlite {

namespace {

// Portable SQL on purpose: the PostgreSQL backend uses the same tables with
// BIGINT/DOUBLE PRECISION/BYTEA. Chunk payloads are the last column so that
// reading the statistics never touches the blob's overflow pages.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS projects (
  id INTEGER PRIMARY KEY,
  workspace TEXT NOT NULL,
  name TEXT NOT NULL,
  created_us INTEGER NOT NULL,
  UNIQUE (workspace, name)
);
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects (id),
  run_id TEXT NOT NULL,
  name TEXT NOT NULL,
  experiment TEXT NOT NULL,
  state INTEGER NOT NULL,
  created_us INTEGER NOT NULL,
  updated_us INTEGER NOT NULL,
  fork_parent_id INTEGER REFERENCES runs (id),
  fork_step INTEGER,
  UNIQUE (project_id, run_id)
);
CREATE INDEX IF NOT EXISTS runs_by_parent ON runs (fork_parent_id);
CREATE TABLE IF NOT EXISTS attributes (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs (id),
  path TEXT NOT NULL,
  type INTEGER NOT NULL,
  num REAL,
  int_value INTEGER,
  text_value TEXT,
  last_step INTEGER,
  last_ts INTEGER,
  point_count INTEGER NOT NULL DEFAULT 0,
  UNIQUE (run_id, path)
);
CREATE TABLE IF NOT EXISTS chunks (
  id INTEGER PRIMARY KEY,
  attr_id INTEGER NOT NULL REFERENCES attributes (id),
  level INTEGER NOT NULL,
  first_step INTEGER NOT NULL,
  last_step INTEGER NOT NULL,
  count INTEGER NOT NULL,
  min_value REAL,
  max_value REAL,
  sum_value REAL,
  min_ts INTEGER NOT NULL,
  max_ts INTEGER NOT NULL,
  idx BLOB NOT NULL,
  data BLOB NOT NULL
);
-- Covers every chunk-list query (metadata in (first step, id) order): a
-- chart read lists thousands of chunks without touching their table rows,
-- whose pages hold the payloads (100 MB of page reads per 100 M-point chart
-- with the former (attr_id, first_step) index).
CREATE INDEX IF NOT EXISTS chunks_meta ON chunks (attr_id, first_step, id, last_step, level, count);
DROP INDEX IF EXISTS chunks_by_series;
CREATE INDEX IF NOT EXISTS chunks_unsealed ON chunks (level, attr_id) WHERE level = 0;
CREATE TABLE IF NOT EXISTS views (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects (id),
  name TEXT NOT NULL,
  state TEXT NOT NULL,
  updated_us INTEGER NOT NULL,
  UNIQUE (project_id, name)
);
CREATE INDEX IF NOT EXISTS runs_by_run_id ON runs (run_id);
CREATE TABLE IF NOT EXISTS project_properties (
  project_id INTEGER NOT NULL REFERENCES projects (id),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (project_id, key)
);
CREATE INDEX IF NOT EXISTS project_properties_by_value ON project_properties (key, value);
CREATE TABLE IF NOT EXISTS files (
  id INTEGER PRIMARY KEY,
  attr_id INTEGER NOT NULL REFERENCES attributes (id),
  step INTEGER NOT NULL,
  digest TEXT NOT NULL,
  size INTEGER NOT NULL,
  filename TEXT NOT NULL,
  created_us INTEGER NOT NULL,
  UNIQUE (attr_id, step)
);
CREATE INDEX IF NOT EXISTS files_by_digest ON files (digest);
)sql";

}  // namespace

Status EnsureSchema(Db& db) {
  RETURN_IF_ERROR(db.Exec(kSchema).WithContext("creating schema"));
  ASSIGN_OR_RETURN(Stmt * q, db.Prepare("SELECT value FROM meta WHERE key = 'schema_version'"));
  ASSIGN_OR_RETURN(bool row, q->Step());
  if (!row) {
    ASSIGN_OR_RETURN(Stmt * ins, db.Prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)"));
    return ins->Bind(1, std::to_string(kSchemaVersion)).Exec();
  }
  int version = std::stoi(q->Text(0));
  q->Reset();
  if (version > kSchemaVersion)
    return Status::Internal("the data folder was written by a newer Sextant (schema " +
                            std::to_string(version) + "); upgrade Sextant");
  return Status::Ok();
}

}  // namespace sextant::storage::sqlite
