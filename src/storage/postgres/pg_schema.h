// The PostgreSQL schema (docs/format/schema.md, the same logical schema as
// SQLite) and its versioned migrations, applied at open.
#pragma once

#include "common/status.h"
#include "storage/postgres/pg_conn.h"

namespace sextant::storage::postgres {

// Creates the schema named first in the connection's search_path when it is
// missing, then applies every migration newer than the stored version, under
// an advisory lock so that replicas starting together migrate once. Fails
// when the database was written by a newer Sextant.
Status EnsureSchema(Conn& conn);

}  // namespace sextant::storage::postgres
