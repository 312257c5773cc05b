// Upload records in PostgreSQL (storage/upload_records.h), beside the runs.
// Put and GetOrWait on one storage path hold a transaction-scoped advisory
// lock on it, so that an upload reaching one replica and its reference
// reaching another never miss each other: whichever commits second sees the
// first.
#include "storage/postgres/pg_conn.h"
#include "storage/postgres/pg_schema.h"
#include "storage/postgres/postgres.h"

#include <mutex>

namespace sextant::storage {
namespace {

using postgres::Conn;
using postgres::Params;
using postgres::Rows;

// The advisory lock key of a storage path (hashtextextended: 64 bits).
constexpr char kLock[] =
    "SELECT pg_advisory_xact_lock(hashtextextended(encode($1, 'hex') || ':' || encode($2, 'hex'), 7))";

class PgUploadRecords final : public UploadRecords {
 public:
  explicit PgUploadRecords(std::unique_ptr<Conn> c) : conn_(std::move(c)) {}

  Result<std::vector<PendingAttachment>> Put(const model::ProjectName& project,
                                             const std::string& storage_path,
                                             const UploadRecord& r) override {
    std::vector<PendingAttachment> out;
    RETURN_IF_ERROR(InTransaction(project, storage_path, [&](Conn& c) -> Status {
      RETURN_IF_ERROR(c.Query("INSERT INTO uploads (project, path, digest, size, filename) "
                              "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (project, path) DO UPDATE "
                              "SET digest = excluded.digest, size = excluded.size, "
                              "filename = excluded.filename",
                              Params().Add(project.Full()).Add(storage_path).Add(r.blob.digest)
                                  .Add(static_cast<int64_t>(r.blob.size)).Add(r.filename))
                          .status());
      ASSIGN_OR_RETURN(Rows rows, c.Query("WITH taken AS (DELETE FROM upload_waiters WHERE project = $1 "
                                          "AND path = $2 RETURNING run_id, attribute, step, id) "
                                          "SELECT run_id, attribute, step FROM taken ORDER BY id",
                                          Params().Add(project.Full()).Add(storage_path)));
      out.clear();
      for (int i = 0; i < rows.size(); ++i) {
        PendingAttachment p{rows.Text(i, 0), rows.Text(i, 1), std::nullopt};
        if (!rows.IsNull(i, 2)) p.step = rows.Int(i, 2);
        out.push_back(std::move(p));
      }
      return Status::Ok();
    }));
    return out;
  }

  Result<std::optional<UploadRecord>> Get(const model::ProjectName& project,
                                          const std::string& storage_path) override {
    std::lock_guard l(mu_);
    return Find(*conn_, project, storage_path);
  }

  Result<std::optional<UploadRecord>> GetOrWait(const model::ProjectName& project,
                                                const std::string& storage_path,
                                                const PendingAttachment& wait) override {
    std::optional<UploadRecord> found;
    RETURN_IF_ERROR(InTransaction(project, storage_path, [&](Conn& c) -> Status {
      ASSIGN_OR_RETURN(found, Find(c, project, storage_path));
      if (found) return Status::Ok();
      return c.Query("INSERT INTO upload_waiters (project, path, run_id, attribute, step) "
                     "VALUES ($1, $2, $3, $4, $5)",
                     Params().Add(project.Full()).Add(storage_path).Add(wait.run_id).Add(wait.path)
                         .Add(wait.step))
          .status();
    }));
    return found;
  }

 private:
  static Result<std::optional<UploadRecord>> Find(Conn& c, const model::ProjectName& project,
                                                  const std::string& storage_path) {
    ASSIGN_OR_RETURN(Rows rows, c.Query("SELECT digest, size, filename FROM uploads "
                                        "WHERE project = $1 AND path = $2",
                                        Params().Add(project.Full()).Add(storage_path)));
    if (!rows.size()) return std::optional<UploadRecord>();
    UploadRecord r;
    r.blob.digest = rows.Text(0, 0);
    r.blob.size = static_cast<uint64_t>(rows.Int(0, 1));
    r.filename = rows.Text(0, 2);
    return std::optional<UploadRecord>(std::move(r));
  }

  // Runs `body` in a transaction holding the storage path's lock. Uploads
  // are rare (one per file): one connection behind a mutex serves them.
  template <typename Body>
  Status InTransaction(const model::ProjectName& project, const std::string& storage_path, Body body) {
    std::lock_guard l(mu_);
    Conn& c = *conn_;
    RETURN_IF_ERROR(c.Exec("BEGIN"));
    Status st = c.Query(kLock, Params().Add(project.Full()).Add(storage_path)).status();
    if (st.ok()) st = body(c);
    if (st.ok()) st = c.Exec("COMMIT");
    if (!st.ok()) (void)c.Exec("ROLLBACK");
    return st;
  }

  std::mutex mu_;
  std::unique_ptr<Conn> conn_;  // GUARDED_BY(mu_)
};

}  // namespace

Result<std::unique_ptr<UploadRecords>> OpenPostgresUploadRecords(const std::string& url) {
  ASSIGN_OR_RETURN(auto c, Conn::Open(url));
  RETURN_IF_ERROR(postgres::EnsureSchema(*c));
  return std::unique_ptr<UploadRecords>(new PgUploadRecords(std::move(c)));
}

}  // namespace sextant::storage
