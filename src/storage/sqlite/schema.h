#pragma once

#include "common/status.h"
#include "storage/sqlite/db.h"

namespace sextant::storage::sqlite {

constexpr int kSchemaVersion = 1;

// Creates or checks the schema (docs/format/schema.md). Refuses a database
// written by a newer version rather than guessing.
Status EnsureSchema(Db& db);

}  // namespace sextant::storage::sqlite
