// Chooses a backend by URL (docs/deploy.md):
//   sqlite:///abs/path/sextant.db   the embedded default (also a bare path)
//   postgresql://user@host:port/db  PostgreSQL (also postgres://; any libpq
//                                   connection URI; credentials may come from
//                                   PGPASSWORD or ~/.pgpass)
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "storage/access.h"
#include "storage/backend.h"
#include "storage/upload_records.h"

namespace sextant::storage {

struct StoreOptions {
  // Empty: SQLite at `default_sqlite_path`.
  std::string url;
  std::string default_sqlite_path;
  bool fsync_commits = true;  // SQLite: synchronous=FULL; PostgreSQL: synchronous_commit=on
};

Result<std::unique_ptr<Backend>> OpenBackend(const StoreOptions& options);

// The access store beside the runs: with SQLite its own file, `sqlite_path`
// (access.db in the data folder); with PostgreSQL the same database and
// schema as the runs, so that every replica shares accounts and sessions.
Result<std::unique_ptr<AccessStore>> OpenAccessStore(const std::string& url,
                                                     const std::string& sqlite_path);

// Upload records beside the runs: with SQLite files under `disk_dir`; with
// PostgreSQL tables in the runs' schema, shared by every replica.
Result<std::unique_ptr<UploadRecords>> OpenUploadRecords(const std::string& url,
                                                         const std::string& disk_dir);

// Whether `url` names a PostgreSQL store (shared by replicas).
bool IsPostgresUrl(const std::string& url);

// A URL with its password, if any, replaced by "***" (for messages and logs).
std::string RedactStoreUrl(const std::string& url);

}  // namespace sextant::storage
