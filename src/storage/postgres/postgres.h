// The PostgreSQL backend's public entry point (storage/open_backend.h
// chooses it by URL). See README.md beside this file.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "storage/access.h"
#include "storage/backend.h"
#include "storage/upload_records.h"

namespace sextant::storage {

// `url`: a libpq connection URI. The schema is created or migrated at open.
Result<std::unique_ptr<Backend>> OpenPostgresBackend(const std::string& url, bool synchronous_commit);

// Accounts, tokens, sessions, the audit log and shared keys in the same
// database and schema as the runs (pg_access.cc).
Result<std::unique_ptr<AccessStore>> OpenPostgresAccessStore(const std::string& url);

// Upload records (Neptune's uploads by storage path) in the same schema
// (pg_uploads.cc).
Result<std::unique_ptr<UploadRecords>> OpenPostgresUploadRecords(const std::string& url);

}  // namespace sextant::storage
