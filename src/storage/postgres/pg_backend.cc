// Opening the PostgreSQL backend, its connections, projects and runs.
#include "storage/postgres/pg_backend.h"

#include <functional>
#include <limits>
#include <random>

#include "model/rules.h"
#include "storage/postgres/pg_schema.h"
#include "storage/postgres/postgres.h"

namespace sextant::storage::postgres {

const char* const kRunColumns =
    "r.id, r.project_id, r.run_id, r.name, r.experiment, r.state, r.created_us, r.updated_us, "
    "r.fork_parent_id, r.fork_step, p.run_id";

RunInfo ReadRun(const Rows& rows, int i) {
  RunInfo r;
  r.id = rows.Int(i, 0);
  r.project_id = rows.Int(i, 1);
  r.run_id = rows.Text(i, 2);
  r.name = rows.Text(i, 3);
  r.experiment = rows.Text(i, 4);
  r.state = static_cast<model::RunState>(rows.Int(i, 5));
  r.created_us = rows.Int(i, 6);
  r.updated_us = rows.Int(i, 7);
  if (!rows.IsNull(i, 8)) {
    r.fork_parent_id = rows.Int(i, 8);
    r.fork_step = rows.Int(i, 9);
    r.fork_run_id = rows.Text(i, 10);
  }
  return r;
}

namespace {

constexpr const char* kProjectColumns =
    "SELECT p.id, p.workspace, p.name, p.created_us, "
    "(SELECT COUNT(*) FROM runs WHERE project_id = p.id) FROM projects p ";

std::vector<ProjectInfo> ReadProjects(const Rows& rows) {
  std::vector<ProjectInfo> out;
  for (int i = 0; i < rows.size(); ++i)
    out.push_back({rows.Int(i, 0), rows.Text(i, 1), rows.Text(i, 2), rows.Int(i, 3), rows.Int(i, 4)});
  return out;
}

std::vector<RunInfo> ReadRuns(const Rows& rows) {
  std::vector<RunInfo> out;
  for (int i = 0; i < rows.size(); ++i) out.push_back(ReadRun(rows, i));
  return out;
}

const std::string kRunsFrom =
    std::string("SELECT ") + kRunColumns + " FROM runs r LEFT JOIN runs p ON p.id = r.fork_parent_id ";

Result<std::optional<RunInfo>> FindRun(Conn& c, int64_t project_id, const std::string& run_id) {
  ASSIGN_OR_RETURN(Rows rows, c.Query(kRunsFrom + "WHERE r.project_id = $1 AND r.run_id = $2",
                                      Params().Add(project_id).Add(run_id)));
  if (!rows.size()) return std::optional<RunInfo>();
  return std::optional<RunInfo>(ReadRun(rows, 0));
}

// For the writer's and the change feed's connections, whose statements are
// all keyed: they touch rows found through an index, never a whole table.
// Their prepared plans are cached for the session, and a plan made while a
// table was small (a new database, before autovacuum first analyzes it)
// would scan it whole for as long as the session lasts, so that a per-run
// statement grows with the table (measured: 0.7 ms -> 17 ms within a minute
// of a new database). Index paths only.
Status PlanKeyed(Conn& c) {
  return c.SetSession("SET enable_seqscan = off; SET enable_hashjoin = off; SET enable_mergejoin = off");
}

}  // namespace

Result<std::unique_ptr<Conn>> PgBackend::Connect() {
  ASSIGN_OR_RETURN(auto c, Conn::Open(url_));
  // Durable on acknowledgement unless asked otherwise (serve --no-fsync).
  RETURN_IF_ERROR(c->SetSession(sync_ ? "SET synchronous_commit = on" : "SET synchronous_commit = off"));
  return c;
}

Result<std::unique_ptr<PgBackend>> PgBackend::Open(const std::string& url, bool synchronous_commit) {
  auto b = std::unique_ptr<PgBackend>(new PgBackend(url, synchronous_commit));
  ASSIGN_OR_RETURN(auto c, b->Connect());
  RETURN_IF_ERROR(EnsureSchema(*c));
  {
    ASSIGN_OR_RETURN(Rows rows, c->Query(
        "SELECT attr_id, COUNT(*) FROM chunks WHERE level = 0 GROUP BY attr_id"));
    for (int i = 0; i < rows.size(); ++i)
      b->dirty_.Mark(rows.Int(i, 0), static_cast<int>(rows.Int(i, 1)));
  }
  // The feed's channel is the schema's, so that Sextant instances in other
  // schemas of the database do not hear each other.
  ASSIGN_OR_RETURN(Rows schema, c->QueryOnce("SELECT convert_to(current_schema(), 'UTF8')"));
  std::string channel = "sextant:" + schema.Text(0, 0);
  if (channel.size() > 63) channel = "sextant:" + std::to_string(std::hash<std::string>{}(channel));
  RETURN_IF_ERROR(PlanKeyed(*c));
  b->writer_ = std::make_unique<Writer>(std::move(c), "BEGIN");
  b->feed_ = std::make_unique<ChangeFeed>(
      [p = b.get()]() -> Result<std::unique_ptr<Conn>> {
        ASSIGN_OR_RETURN(auto c, p->Connect());
        RETURN_IF_ERROR(PlanKeyed(*c));
        return c;
      },
      channel, std::random_device{}() * 0x100000000ULL + std::random_device{}());
  return b;
}

PgBackend::~PgBackend() { (void)Close(); }

void PgBackend::Announce(Change change) {
  if (feed_) feed_->Announce(std::move(change));
}

void PgBackend::Follow(ChangeHandler handler) {
  if (feed_) feed_->Follow(std::move(handler));
}

Status PgBackend::Close() {
  if (closed_.exchange(true)) return Status::Ok();
  {
    std::lock_guard<std::mutex> l(pool_mu_);  // wakes readers waiting for a connection
  }
  pool_cv_.notify_all();
  if (feed_) feed_->Stop();  // first: its follower reads through this backend
  if (writer_) writer_->Stop();
  {
    std::lock_guard<std::mutex> l(pool_mu_);
    open_readers_ -= static_cast<int>(pool_.size());
    pool_.clear();
  }
  pool_cv_.notify_all();
  return Status::Ok();
}

PgBackend::Reader::~Reader() {
  {
    std::lock_guard<std::mutex> l(b_->pool_mu_);
    if (c_->Broken() || b_->closed_)
      --b_->open_readers_;
    else
      b_->pool_.push_back(std::move(c_));
  }
  b_->pool_cv_.notify_one();
}

Result<std::unique_ptr<PgBackend::Reader>> PgBackend::AcquireReader() {
  {
    std::unique_lock<std::mutex> l(pool_mu_);
    pool_cv_.wait(l, [&] { return closed_ || !pool_.empty() || open_readers_ < kMaxReaders; });
    if (closed_) return Status::Unavailable("the server is shutting down");
    if (!pool_.empty()) {
      auto c = std::move(pool_.back());
      pool_.pop_back();
      return std::make_unique<Reader>(this, std::move(c));
    }
    ++open_readers_;
  }
  auto c = Connect();
  if (!c.ok()) {
    {
      std::lock_guard<std::mutex> l(pool_mu_);
      --open_readers_;
    }
    pool_cv_.notify_one();
    return c.status();
  }
  return std::make_unique<Reader>(this, std::move(c).value());
}

Result<std::vector<ProjectInfo>> PgBackend::ListProjects() {
  return ListProjectsAfter(model::ProjectName{}, std::numeric_limits<int64_t>::max());
}

Result<std::vector<ProjectInfo>> PgBackend::ListProjectsAfter(const model::ProjectName& after,
                                                              size_t limit) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Rows rows, (*r)->Query(
      std::string(kProjectColumns) +
          "WHERE (p.workspace, p.name) > ($1, $2) ORDER BY p.workspace, p.name LIMIT $3",
      Params().Add(after.workspace).Add(after.name).Add(static_cast<int64_t>(
          std::min<size_t>(limit, std::numeric_limits<int64_t>::max())))));
  return ReadProjects(rows);
}

Result<ProjectInfo> PgBackend::GetProject(const model::ProjectName& p) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Rows rows, (*r)->Query(std::string(kProjectColumns) +
                                              "WHERE p.workspace = $1 AND p.name = $2",
                                          Params().Add(p.workspace).Add(p.name)));
  if (!rows.size()) return Status::NotFound("project '" + p.Full() + "' does not exist");
  return ReadProjects(rows)[0];
}

Result<ProjectInfo> PgBackend::GetProjectById(int64_t id) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Rows rows, (*r)->Query(std::string(kProjectColumns) + "WHERE p.id = $1",
                                          Params().Add(id)));
  if (!rows.size()) return Status::NotFound("project " + std::to_string(id) + " does not exist");
  return ReadProjects(rows)[0];
}

Result<ProjectInfo> PgBackend::CreateProject(const model::ProjectName& p, int64_t now_us) {
  ProjectInfo out;
  RETURN_IF_ERROR(writer_->Submit([&](Conn& c) -> Status {
    ASSIGN_OR_RETURN(Rows rows, c.Query(
        "INSERT INTO projects (workspace, name, created_us) VALUES ($1, $2, $3) "
        "ON CONFLICT (workspace, name) DO NOTHING RETURNING id",
        Params().Add(p.workspace).Add(p.name).Add(now_us)));
    if (!rows.size()) return Status::AlreadyExists("project '" + p.Full() + "' exists");
    out = {rows.Int(0, 0), p.workspace, p.name, now_us, 0};
    return Status::Ok();
  }));
  return out;
}

Result<std::pair<RunInfo, bool>> PgBackend::CreateOrResumeRun(const model::ProjectName& p,
                                                              const model::CreateRunOp& op,
                                                              int64_t now_us) {
  if (!op.run_id || op.run_id->empty())
    return Status::InvalidArgument("a new run needs a run id (the core generates one)");
  const std::string& run_id = *op.run_id;
  std::pair<RunInfo, bool> out;
  RETURN_IF_ERROR(writer_->Submit([&](Conn& c) -> Status {
    // The project, created if missing, in one round trip (the SELECT does
    // not see the CTE's row, hence the UNION).
    ASSIGN_OR_RETURN(Rows pr, c.Query(
        "WITH ins AS (INSERT INTO projects (workspace, name, created_us) VALUES ($1, $2, $3) "
        "ON CONFLICT (workspace, name) DO NOTHING RETURNING id) "
        "SELECT id FROM ins UNION ALL SELECT id FROM projects WHERE workspace = $1 AND name = $2 LIMIT 1",
        Params().Add(p.workspace).Add(p.name).Add(now_us)));
    if (!pr.size()) return Status::Internal("project vanished");
    int64_t project_id = pr.Int(0, 0);
    std::optional<RunInfo> parent;
    if (op.fork_run_id) {
      ASSIGN_OR_RETURN(parent, FindRun(c, project_id, *op.fork_run_id));
      if (!parent)
        return Status::NotFound("fork parent run '" + *op.fork_run_id + "' does not exist in '" +
                                p.Full() + "'");
    }
    Params params;
    // The name and experiment of a new run are the core's (Tracker::CreateRun).
    RunInfo made;
    made.project_id = project_id;
    made.run_id = run_id;
    made.name = op.name.value_or(run_id);
    made.experiment = op.experiment_name.value_or("");
    made.state = model::RunState::kRunning;
    made.created_us = op.created_us.value_or(now_us);
    made.updated_us = now_us;
    params.Add(project_id).Add(run_id).Add(made.name).Add(made.experiment)
        .Add(static_cast<int64_t>(made.state)).Add(made.created_us).Add(now_us);
    if (parent) {
      params.Add(parent->id).Add(*op.fork_step);
      made.fork_parent_id = parent->id;
      made.fork_run_id = parent->run_id;
      made.fork_step = op.fork_step;
    } else {
      params.AddNull().AddNull();
    }
    ASSIGN_OR_RETURN(Rows ins, c.Query("INSERT INTO runs (project_id, run_id, name, experiment, state, "
                                       "created_us, updated_us, fork_parent_id, fork_step) "
                                       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::bigint, $9::bigint) "
                                       "ON CONFLICT (project_id, run_id) DO NOTHING RETURNING id",
                                       params));
    if (ins.size()) {
      made.id = ins.Int(0, 0);
      out = {made, true};
      return Status::Ok();
    }
    // The run exists: resume it.
    ASSIGN_OR_RETURN(auto existing, FindRun(c, project_id, run_id));
    if (!existing) return Status::Internal("run '" + run_id + "' vanished");
    RETURN_IF_ERROR(model::CheckResumedFork(run_id, existing->fork_run_id, existing->fork_step, op));
    RETURN_IF_ERROR(c.Query("UPDATE runs SET state = $1, updated_us = $2, "
                            "name = COALESCE($3, name), experiment = COALESCE($4, experiment) "
                            "WHERE id = $5",
                            Params().Add(static_cast<int64_t>(model::RunState::kRunning))
                                .Add(now_us).Add(op.name).Add(op.experiment_name).Add(existing->id))
                        .status());
    ASSIGN_OR_RETURN(auto again, FindRun(c, project_id, run_id));
    out = {*again, false};
    return Status::Ok();
  }));
  return out;
}

Result<RunInfo> PgBackend::GetRun(const model::ProjectName& p, const std::string& run_id) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Rows rows, (*r)->Query(
      std::string("SELECT ") + kRunColumns +
          " FROM runs r JOIN projects pr ON pr.id = r.project_id"
          " LEFT JOIN runs p ON p.id = r.fork_parent_id"
          " WHERE pr.workspace = $1 AND pr.name = $2 AND r.run_id = $3",
      Params().Add(p.workspace).Add(p.name).Add(run_id)));
  if (!rows.size()) return Status::NotFound("run '" + run_id + "' does not exist in '" + p.Full() + "'");
  return ReadRun(rows, 0);
}

Result<RunInfo> PgBackend::GetRunById(int64_t id) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Rows rows, (*r)->Query(kRunsFrom + "WHERE r.id = $1", Params().Add(id)));
  if (!rows.size()) return Status::NotFound("run #" + std::to_string(id) + " does not exist");
  return ReadRun(rows, 0);
}

Result<std::vector<RunInfo>> PgBackend::FindRunsByRunId(const std::string& run_id, size_t limit) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Rows rows, (*r)->Query(kRunsFrom + "WHERE r.run_id = $1 ORDER BY r.id LIMIT $2",
                                          Params().Add(run_id).Add(static_cast<int64_t>(limit))));
  return ReadRuns(rows);
}

Result<std::vector<RunInfo>> PgBackend::ListChildren(int64_t run_id) {
  ASSIGN_OR_RETURN(auto r, AcquireReader());
  ASSIGN_OR_RETURN(Rows rows, (*r)->Query(
      kRunsFrom + "WHERE r.fork_parent_id = $1 ORDER BY r.fork_step, r.id", Params().Add(run_id)));
  return ReadRuns(rows);
}

}  // namespace sextant::storage::postgres

namespace sextant::storage {

Result<std::unique_ptr<Backend>> OpenPostgresBackend(const std::string& url, bool synchronous_commit) {
  ASSIGN_OR_RETURN(auto b, postgres::PgBackend::Open(url, synchronous_commit));
  return std::unique_ptr<Backend>(std::move(b));
}

}  // namespace sextant::storage
