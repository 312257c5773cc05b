#include "storage/postgres/pg_schema.h"

#include <cctype>
#include <string>
#include <vector>

namespace sextant::storage::postgres {

namespace {

// Key of the advisory lock held while migrating (any constant that no other
// lock of ours uses: series locks take attribute ids, far below it).
constexpr int64_t kMigrationLock = 0x5E7A47'0000'0001LL;

// Migration N (1-based) brings the schema from version N-1 to N. Never edit
// a released one: add the next. Strings are BYTEA so that keys compare by
// bytes (as SQLite and the core do) and any byte sequence is stored as is.
// Chunk payloads are stored EXTERNAL: already compressed, so TOAST's own
// compression would only cost CPU; and reads of statistics never touch them.
const std::vector<const char*> kMigrations = {
    R"sql(
CREATE TABLE projects (
  id BIGSERIAL PRIMARY KEY,
  workspace BYTEA NOT NULL,
  name BYTEA NOT NULL,
  created_us BIGINT NOT NULL,
  UNIQUE (workspace, name)
);
CREATE TABLE runs (
  id BIGSERIAL PRIMARY KEY,
  project_id BIGINT NOT NULL REFERENCES projects (id),
  run_id BYTEA NOT NULL,
  name BYTEA NOT NULL,
  experiment BYTEA NOT NULL,
  state BIGINT NOT NULL,
  created_us BIGINT NOT NULL,
  updated_us BIGINT NOT NULL,
  fork_parent_id BIGINT REFERENCES runs (id),
  fork_step BIGINT,
  UNIQUE (project_id, run_id)
);
CREATE INDEX runs_by_parent ON runs (fork_parent_id);
CREATE INDEX runs_by_run_id ON runs (run_id);
CREATE TABLE attributes (
  id BIGSERIAL PRIMARY KEY,
  run_id BIGINT NOT NULL REFERENCES runs (id),
  path BYTEA NOT NULL,
  type BIGINT NOT NULL,
  num DOUBLE PRECISION,
  int_value BIGINT,
  text_value BYTEA,
  last_step BIGINT,
  last_ts BIGINT,
  point_count BIGINT NOT NULL DEFAULT 0,
  UNIQUE (run_id, path)
);
CREATE TABLE chunks (
  id BIGSERIAL PRIMARY KEY,
  attr_id BIGINT NOT NULL REFERENCES attributes (id),
  level BIGINT NOT NULL,
  first_step BIGINT NOT NULL,
  last_step BIGINT NOT NULL,
  count BIGINT NOT NULL,
  min_value DOUBLE PRECISION,
  max_value DOUBLE PRECISION,
  sum_value DOUBLE PRECISION,
  min_ts BIGINT NOT NULL,
  max_ts BIGINT NOT NULL,
  idx BYTEA NOT NULL,
  data BYTEA NOT NULL
);
ALTER TABLE chunks ALTER COLUMN idx SET STORAGE EXTERNAL;
ALTER TABLE chunks ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE INDEX chunks_by_series ON chunks (attr_id, first_step);
CREATE INDEX chunks_unsealed ON chunks (attr_id) WHERE level = 0;
CREATE TABLE views (
  id BIGSERIAL PRIMARY KEY,
  project_id BIGINT NOT NULL REFERENCES projects (id),
  name BYTEA NOT NULL,
  state BYTEA NOT NULL,
  updated_us BIGINT NOT NULL,
  UNIQUE (project_id, name)
);
CREATE TABLE project_properties (
  project_id BIGINT NOT NULL REFERENCES projects (id),
  key BYTEA NOT NULL,
  value BYTEA NOT NULL,
  PRIMARY KEY (project_id, key)
);
CREATE INDEX project_properties_by_value ON project_properties (key, value);
CREATE TABLE files (
  id BIGSERIAL PRIMARY KEY,
  attr_id BIGINT NOT NULL REFERENCES attributes (id),
  step BIGINT NOT NULL,
  digest BYTEA NOT NULL,
  size BIGINT NOT NULL,
  filename BYTEA NOT NULL,
  created_us BIGINT NOT NULL,
  UNIQUE (attr_id, step)
);
CREATE INDEX files_by_digest ON files (digest);
)sql",
    // 2: accounts, tokens, memberships, sessions, the audit log and shared
    // keys (storage/access.h), so that every replica sees the same ones.
    // access_version counts changes to what a cached token caller depends
    // on (principals, tokens, memberships).
    R"sql(
CREATE TABLE principals (
  id BIGSERIAL PRIMARY KEY,
  name BYTEA NOT NULL UNIQUE,
  service BIGINT NOT NULL DEFAULT 0,
  owner BIGINT NOT NULL DEFAULT 0,
  disabled BIGINT NOT NULL DEFAULT 0,
  password_hash BYTEA NOT NULL,
  created_us BIGINT NOT NULL
);
CREATE TABLE tokens (
  id BIGSERIAL PRIMARY KEY,
  principal_id BIGINT NOT NULL REFERENCES principals (id),
  name BYTEA NOT NULL,
  hash BYTEA NOT NULL UNIQUE,
  created_us BIGINT NOT NULL,
  expires_us BIGINT,
  projects BYTEA NOT NULL,
  max_role BIGINT NOT NULL DEFAULT 0,
  last_used_us BIGINT,
  revoked_us BIGINT
);
CREATE INDEX tokens_by_principal ON tokens (principal_id);
CREATE TABLE token_addresses (
  token_id BIGINT NOT NULL,
  address BYTEA NOT NULL,
  PRIMARY KEY (token_id, address)
);
CREATE TABLE members (
  principal_id BIGINT NOT NULL REFERENCES principals (id),
  workspace BYTEA NOT NULL,
  project BYTEA NOT NULL,
  role BIGINT NOT NULL,
  PRIMARY KEY (principal_id, workspace, project)
);
CREATE INDEX members_by_project ON members (workspace, project);
CREATE TABLE sessions (
  hash BYTEA PRIMARY KEY,
  principal_id BIGINT NOT NULL,
  created_us BIGINT NOT NULL,
  expires_us BIGINT NOT NULL
);
CREATE TABLE audit (
  id BIGSERIAL PRIMARY KEY,
  time_us BIGINT NOT NULL,
  principal BYTEA NOT NULL,
  address BYTEA NOT NULL,
  action BYTEA NOT NULL,
  target BYTEA NOT NULL,
  detail BYTEA NOT NULL
);
CREATE INDEX audit_by_principal ON audit (principal, id);
CREATE INDEX audit_by_action ON audit (action, id);
CREATE TABLE access_keys (
  name BYTEA PRIMARY KEY,
  key BYTEA NOT NULL
);
CREATE TABLE access_version (
  one BOOLEAN PRIMARY KEY DEFAULT true CHECK (one),
  n BIGINT NOT NULL
);
INSERT INTO access_version (one, n) VALUES (true, 0);
)sql",
    // 3: upload records of files uploaded by storage path (Neptune's signed
    // URLs) and the attachments waiting for them (storage/upload_records.h),
    // so that an upload and its reference may reach different replicas.
    R"sql(
CREATE TABLE uploads (
  project BYTEA NOT NULL,
  path BYTEA NOT NULL,
  digest BYTEA NOT NULL,
  size BIGINT NOT NULL,
  filename BYTEA NOT NULL,
  PRIMARY KEY (project, path)
);
CREATE TABLE upload_waiters (
  id BIGSERIAL PRIMARY KEY,
  project BYTEA NOT NULL,
  path BYTEA NOT NULL,
  run_id BYTEA NOT NULL,
  attribute BYTEA NOT NULL,
  step BIGINT
);
CREATE INDEX upload_waiters_by_path ON upload_waiters (project, path);
)sql",
    // 4: the change feed's log (pg_feed.h): what each replica announced, in
    // sequence, so that a replica that missed a notification (a lost
    // connection, a restart of PostgreSQL) catches up. Kept for minutes.
    R"sql(
CREATE TABLE changes (
  seq BIGSERIAL PRIMARY KEY,
  at_us BIGINT NOT NULL,
  payload BYTEA NOT NULL
);
CREATE INDEX changes_by_time ON changes (at_us);
)sql",
    // 5: no per-row foreign-key checks on the two hottest tables (they were
    // 40 % of a config upsert's time). The write path keeps the invariant:
    // a write locks its run's row (FOR KEY SHARE) before adding attributes
    // or chunks, a purge deletes the run's row before its attributes and
    // chunks, and a compaction commits only if it deleted every chunk it
    // replaces (pg_log.cc, pg_compact.cc).
    R"sql(
ALTER TABLE attributes DROP CONSTRAINT IF EXISTS attributes_run_id_fkey;
ALTER TABLE chunks DROP CONSTRAINT IF EXISTS chunks_attr_id_fkey;
)sql",
};

// The first entry of a search_path setting, as PostgreSQL resolves it: a
// quoted name as written, an unquoted one folded to lower case.
std::string FirstSchema(const std::string& search_path) {
  size_t i = search_path.find_first_not_of(' ');
  if (i == std::string::npos) return "";
  std::string name;
  if (search_path[i] == '"') {
    for (++i; i < search_path.size(); ++i) {
      if (search_path[i] == '"') {
        if (i + 1 < search_path.size() && search_path[i + 1] == '"') {
          name += '"';
          ++i;
          continue;
        }
        break;
      }
      name += search_path[i];
    }
    return name;
  }
  for (; i < search_path.size() && search_path[i] != ',' && search_path[i] != ' '; ++i)
    name += static_cast<char>(std::tolower(static_cast<unsigned char>(search_path[i])));
  return name;
}

Status Migrate(Conn& conn) {
  RETURN_IF_ERROR(conn.Exec(
      "CREATE TABLE IF NOT EXISTS sextant_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"));
  ASSIGN_OR_RETURN(Rows v, conn.QueryOnce(
      "SELECT convert_to(value, 'UTF8') FROM sextant_meta WHERE key = 'schema_version'"));
  int version = v.size() ? std::stoi(v.Text(0, 0)) : 0;
  const int latest = static_cast<int>(kMigrations.size());
  if (version > latest)
    return Status::Internal("the database was written by a newer Sextant (schema " +
                            std::to_string(version) + ", this one knows " +
                            std::to_string(latest) + "); upgrade Sextant");
  for (int n = version + 1; n <= latest; ++n) {
    RETURN_IF_ERROR(conn.Exec("BEGIN"));
    Status st = conn.Exec(kMigrations[n - 1]);
    if (st.ok())
      st = conn.Exec("INSERT INTO sextant_meta (key, value) VALUES ('schema_version', '" +
                     std::to_string(n) + "') ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    if (st.ok()) st = conn.Exec("COMMIT");
    if (!st.ok()) {
      (void)conn.Exec("ROLLBACK");
      return st.WithContext("migrating the schema to version " + std::to_string(n));
    }
  }
  return Status::Ok();
}

}  // namespace

Status EnsureSchema(Conn& conn) {
  ASSIGN_OR_RETURN(Rows cur, conn.QueryOnce("SELECT current_schema() IS NULL"));
  if (cur.Bool(0, 0)) {
    // search_path names a schema that does not exist yet: create the first.
    ASSIGN_OR_RETURN(Rows path, conn.QueryOnce(
        "SELECT convert_to(current_setting('search_path'), 'UTF8')"));
    std::string name = FirstSchema(path.Text(0, 0));
    if (name.empty() || name == "$user")
      return Status::InvalidArgument("no schema to create tables in: set search_path");
    RETURN_IF_ERROR(conn.Exec("CREATE SCHEMA IF NOT EXISTS " + QuoteIdent(name)));
  }
  RETURN_IF_ERROR(conn.QueryOnce("SELECT pg_advisory_lock($1)", Params().Add(kMigrationLock)).status());
  Status st = Migrate(conn);
  (void)conn.QueryOnce("SELECT pg_advisory_unlock($1)", Params().Add(kMigrationLock));
  return st;
}

}  // namespace sextant::storage::postgres
