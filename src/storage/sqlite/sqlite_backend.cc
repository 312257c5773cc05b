#include "storage/sqlite/sqlite_backend.h"

#include <limits>

#include "model/rules.h"
#include "storage/sqlite/schema.h"

namespace sextant::storage::sqlite {

const char* const kRunColumns =
    "r.id, r.project_id, r.run_id, r.name, r.experiment, r.state, r.created_us, r.updated_us, "
    "r.fork_parent_id, r.fork_step, p.run_id";

Result<RunInfo> ReadRunRow(Stmt* s) {
  RunInfo r;
  r.id = s->Int(0);
  r.project_id = s->Int(1);
  r.run_id = s->Text(2);
  r.name = s->Text(3);
  r.experiment = s->Text(4);
  r.state = static_cast<model::RunState>(s->Int(5));
  r.created_us = s->Int(6);
  r.updated_us = s->Int(7);
  if (!s->IsNull(8)) {
    r.fork_parent_id = s->Int(8);
    r.fork_step = s->Int(9);
    r.fork_run_id = s->Text(10);
  }
  return r;
}

namespace {

Status Configure(Db& db, bool fsync) {
  RETURN_IF_ERROR(db.Exec("PRAGMA journal_mode=WAL"));
  RETURN_IF_ERROR(db.Exec(fsync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
  RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys=OFF"));
  RETURN_IF_ERROR(db.Exec("PRAGMA cache_size=-32768"));  // 32 MiB for the writer
  RETURN_IF_ERROR(db.Exec("PRAGMA temp_store=MEMORY"));
  // Checkpoint every 256 pages (4 MiB at 16 KiB pages; SQLite's default of
  // 1,000 is 16 MiB) and cut the log back to 4 MiB when it restarts, so the
  // write-ahead log does not sit at tens of MB beside the database.
  RETURN_IF_ERROR(db.Exec("PRAGMA wal_autocheckpoint=256"));
  RETURN_IF_ERROR(db.Exec("PRAGMA journal_size_limit=4194304"));
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<SqliteBackend>> SqliteBackend::Open(const BackendOptions& options) {
  auto b = std::unique_ptr<SqliteBackend>(new SqliteBackend(options));
  ASSIGN_OR_RETURN(auto db, Db::Open(options.path, /*readonly=*/false));
  // 16 KiB pages: chunk blobs of a few KiB need fewer overflow pages (DESIGN.md).
  RETURN_IF_ERROR(db->Exec("PRAGMA page_size=16384"));
  RETURN_IF_ERROR(Configure(*db, options.fsync_commits).WithContext("configuring " + options.path));
  RETURN_IF_ERROR(EnsureSchema(*db));
  {
    ASSIGN_OR_RETURN(Stmt * s, db->Prepare(
        "SELECT attr_id, COUNT(*) FROM chunks WHERE level = 0 GROUP BY attr_id"));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      b->dirty_.Mark(s->Int(0), static_cast<int>(s->Int(1)));
    }
    s->Reset();
  }
  {
    ASSIGN_OR_RETURN(Stmt * s, db->Prepare("SELECT COALESCE(MAX(id), 0) + 1 FROM chunks"));
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) b->next_chunk_id_ = s->Int(0);
    s->Reset();
  }
  b->writer_ = std::make_unique<Writer>(std::move(db));
  return b;
}

SqliteBackend::~SqliteBackend() { (void)Close(); }

Status SqliteBackend::Close() {
  if (closed_.exchange(true)) return Status::Ok();
  if (writer_) writer_->Stop();
  std::lock_guard<std::mutex> l(pool_mu_);
  pool_.clear();
  return Status::Ok();
}

SqliteBackend::Reader::~Reader() {
  std::lock_guard<std::mutex> l(b_->pool_mu_);
  b_->pool_.push_back(std::move(db_));
}

Result<std::unique_ptr<SqliteBackend::Reader>> SqliteBackend::AcquireReader() {
  if (closed_) return Status::Unavailable("the server is shutting down");
  {
    std::lock_guard<std::mutex> l(pool_mu_);
    if (!pool_.empty()) {
      auto db = std::move(pool_.back());
      pool_.pop_back();
      return std::make_unique<Reader>(this, std::move(db));
    }
  }
  ASSIGN_OR_RETURN(auto db, Db::Open(options_.path, /*readonly=*/false));
  RETURN_IF_ERROR(db->Exec("PRAGMA query_only=ON"));
  RETURN_IF_ERROR(db->Exec("PRAGMA cache_size=-16384"));  // 16 MiB per reader
  return std::make_unique<Reader>(this, std::move(db));
}

Result<std::vector<ProjectInfo>> SqliteBackend::ListProjects() {
  // Every key sorts after the empty one: the whole list is the page after it.
  return ListProjectsAfter(model::ProjectName{}, std::numeric_limits<int64_t>::max());
}

Result<std::vector<ProjectInfo>> SqliteBackend::ListProjectsAfter(const model::ProjectName& after,
                                                                  size_t limit) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  // A row-value comparison seeks the UNIQUE (workspace, name) index.
  ASSIGN_OR_RETURN(Stmt * s, (*r)->Prepare(
      "SELECT p.id, p.workspace, p.name, p.created_us, "
      "(SELECT COUNT(*) FROM runs WHERE project_id = p.id) FROM projects p "
      "WHERE (p.workspace, p.name) > (?, ?) ORDER BY p.workspace, p.name LIMIT ?"));
  s->Bind(1, after.workspace).Bind(2, after.name).Bind(3, static_cast<int64_t>(limit));
  std::vector<ProjectInfo> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back({s->Int(0), s->Text(1), s->Text(2), s->Int(3), s->Int(4)});
  }
  s->Reset();
  return out;
}

Result<ProjectInfo> SqliteBackend::GetProject(const model::ProjectName& p) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Stmt * s, (*r)->Prepare(
      "SELECT p.id, p.workspace, p.name, p.created_us, "
      "(SELECT COUNT(*) FROM runs WHERE project_id = p.id) FROM projects p "
      "WHERE workspace = ? AND name = ?"));
  s->Bind(1, p.workspace).Bind(2, p.name);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return Status::NotFound("project '" + p.Full() + "' does not exist");
  ProjectInfo out{s->Int(0), s->Text(1), s->Text(2), s->Int(3), s->Int(4)};
  s->Reset();
  return out;
}

namespace {

Result<std::optional<RunInfo>> FindRun(Db& db, int64_t project_id, const std::string& run_id) {
  ASSIGN_OR_RETURN(Stmt * s, db.Prepare(std::string("SELECT ") + kRunColumns +
                                        " FROM runs r LEFT JOIN runs p ON p.id = r.fork_parent_id"
                                        " WHERE r.project_id = ? AND r.run_id = ?"));
  s->Bind(1, project_id).Bind(2, run_id);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<RunInfo>();
  ASSIGN_OR_RETURN(RunInfo info, ReadRunRow(s));
  s->Reset();
  return std::optional<RunInfo>(std::move(info));
}

}  // namespace

Result<std::pair<RunInfo, bool>> SqliteBackend::CreateOrResumeRun(const model::ProjectName& p,
                                                                  const model::CreateRunOp& op,
                                                                  int64_t now_us) {
  std::pair<RunInfo, bool> out;
  Status st = writer_->Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(Stmt * ins, db.Prepare(
        "INSERT INTO projects (workspace, name, created_us) VALUES (?, ?, ?) "
        "ON CONFLICT (workspace, name) DO NOTHING"));
    RETURN_IF_ERROR(ins->Bind(1, p.workspace).Bind(2, p.name).Bind(3, now_us).Exec());
    ASSIGN_OR_RETURN(Stmt * q, db.Prepare("SELECT id FROM projects WHERE workspace = ? AND name = ?"));
    q->Bind(1, p.workspace).Bind(2, p.name);
    ASSIGN_OR_RETURN(bool found, q->Step());
    if (!found) return Status::Internal("project vanished");
    int64_t project_id = q->Int(0);
    q->Reset();

    std::optional<RunInfo> parent;
    if (op.fork_run_id) {
      ASSIGN_OR_RETURN(parent, FindRun(db, project_id, *op.fork_run_id));
      if (!parent)
        return Status::NotFound("fork parent run '" + *op.fork_run_id + "' does not exist in '" +
                                p.Full() + "'");
    }
    std::string run_id = op.run_id.value_or("");
    if (!run_id.empty()) {
      ASSIGN_OR_RETURN(auto existing, FindRun(db, project_id, run_id));
      if (existing) {
        RETURN_IF_ERROR(model::CheckResumedFork(run_id, existing->fork_run_id, existing->fork_step, op));
        ASSIGN_OR_RETURN(Stmt * u, db.Prepare(
            "UPDATE runs SET state = ?, updated_us = ?, name = COALESCE(?, name), "
            "experiment = COALESCE(?, experiment) WHERE id = ?"));
        RETURN_IF_ERROR(u->Bind(1, static_cast<int64_t>(model::RunState::kRunning)).Bind(2, now_us)
                            .Bind(3, op.name).Bind(4, op.experiment_name)
                            .Bind(5, existing->id).Exec());
        ASSIGN_OR_RETURN(auto again, FindRun(db, project_id, run_id));
        out = {*again, false};
        return Status::Ok();
      }
    } else {
      return Status::InvalidArgument("a new run needs a run id (the core generates one)");
    }
    ASSIGN_OR_RETURN(Stmt * r, db.Prepare(
        "INSERT INTO runs (project_id, run_id, name, experiment, state, created_us, updated_us, "
        "fork_parent_id, fork_step) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    // The name and experiment of a new run are the core's (Tracker::CreateRun).
    r->Bind(1, project_id).Bind(2, run_id).Bind(3, op.name.value_or(run_id))
        .Bind(4, op.experiment_name.value_or("")).Bind(5, static_cast<int64_t>(model::RunState::kRunning))
        .Bind(6, op.created_us.value_or(now_us)).Bind(7, now_us);
    if (parent) {
      r->Bind(8, parent->id).Bind(9, *op.fork_step);
    } else {
      r->BindNull(8).BindNull(9);
    }
    RETURN_IF_ERROR(r->Exec());
    ASSIGN_OR_RETURN(auto created, FindRun(db, project_id, run_id));
    out = {*created, true};
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

Result<RunInfo> SqliteBackend::GetRun(const model::ProjectName& p, const std::string& run_id) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Stmt * s, (*r)->Prepare(
      std::string("SELECT ") + kRunColumns +
      " FROM runs r JOIN projects pr ON pr.id = r.project_id"
      " LEFT JOIN runs p ON p.id = r.fork_parent_id"
      " WHERE pr.workspace = ? AND pr.name = ? AND r.run_id = ?"));
  s->Bind(1, p.workspace).Bind(2, p.name).Bind(3, run_id);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return Status::NotFound("run '" + run_id + "' does not exist in '" + p.Full() + "'");
  ASSIGN_OR_RETURN(RunInfo info, ReadRunRow(s));
  s->Reset();
  return info;
}

Result<RunInfo> SqliteBackend::GetRunById(int64_t id) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Stmt * s, (*r)->Prepare(std::string("SELECT ") + kRunColumns +
                                           " FROM runs r LEFT JOIN runs p ON p.id = r.fork_parent_id"
                                           " WHERE r.id = ?"));
  s->Bind(1, id);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return Status::NotFound("run #" + std::to_string(id) + " does not exist");
  ASSIGN_OR_RETURN(RunInfo info, ReadRunRow(s));
  s->Reset();
  return info;
}

Result<std::vector<RunInfo>> SqliteBackend::ListChildren(int64_t run_id) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Stmt * s, (*r)->Prepare(std::string("SELECT ") + kRunColumns +
                                           " FROM runs r LEFT JOIN runs p ON p.id = r.fork_parent_id"
                                           " WHERE r.fork_parent_id = ? ORDER BY r.fork_step, r.id"));
  s->Bind(1, run_id);
  std::vector<RunInfo> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    ASSIGN_OR_RETURN(RunInfo info, ReadRunRow(s));
    out.push_back(std::move(info));
  }
  s->Reset();
  return out;
}

}  // namespace sextant::storage::sqlite

namespace sextant::storage {

Result<std::unique_ptr<Backend>> OpenSqliteBackend(const BackendOptions& options) {
  ASSIGN_OR_RETURN(auto b, sqlite::SqliteBackend::Open(options));
  return std::unique_ptr<Backend>(std::move(b));
}

}  // namespace sextant::storage
