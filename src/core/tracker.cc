#include "core/tracker.h"

#include <chrono>
#include <filesystem>

#include <re2/re2.h>

#include <nlohmann/json.hpp>

namespace sextant::core {

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<std::unique_ptr<Tracker>> Tracker::Open(const TrackerOptions& options) {
  auto t = std::unique_ptr<Tracker>(new Tracker(options));
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) return Status::Internal("creating data folder " + options.data_dir + ": " + ec.message());
  storage::BackendOptions bo;
  bo.path = (std::filesystem::path(options.data_dir) / "sextant.db").string();
  bo.fsync_commits = options.fsync_commits;
  ASSIGN_OR_RETURN(t->backend_, storage::OpenSqliteBackend(bo));
  ASSIGN_OR_RETURN(t->blobs_, blobs::OpenLocalBlobStore(
                                  (std::filesystem::path(options.data_dir) / "files").string()));
  t->catalog_ = std::make_unique<Catalog>(t->backend_.get(), options.stale_after_us);
  if (options.background_compaction) t->compactor_ = std::thread([p = t.get()] { p->CompactorLoop(); });
  // Load the runs tables in the background so the first query after a
  // restart does not pay for it (writes go on meanwhile; see Catalog::Load).
  t->warmer_ = std::thread([p = t.get()] {
    auto projects = p->backend_->ListProjects();
    if (!projects.ok()) return;
    for (const auto& pr : projects.value()) {
      Status st = p->catalog_->Load(pr.id);
      if (!st.ok() && st.code() != Code::kUnavailable)
        std::fprintf(stderr, "sextant: %s\n", st.ToString().c_str());
    }
  });
  return t;
}

Tracker::~Tracker() { (void)Close(); }

namespace {

std::string RunEvent(const char* type, const storage::RunInfo& r) {
  nlohmann::json j = {{"type", type},
                      {"run_id", r.run_id},
                      {"state", model::RunStateName(r.state)}};
  return j.dump();
}

}  // namespace

Status Tracker::Close() {
  events_.Close();
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (compactor_.joinable()) compactor_.join();
  if (catalog_) catalog_->Cancel();
  if (warmer_.joinable()) warmer_.join();
  return backend_ ? backend_->Close() : Status::Ok();
}

void Tracker::CompactorLoop() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stopping_) {
    l.unlock();
    auto r = backend_->CompactSome(/*max_series=*/64);
    bool more = r.ok() && r.value() > 0;
    if (!r.ok()) std::fprintf(stderr, "sextant: compaction: %s\n", r.status().ToString().c_str());
    l.lock();
    if (!more) cv_.wait_for(l, std::chrono::milliseconds(250), [&] { return stopping_; });
  }
}

Status Tracker::CompactAll() {
  // Bounded: under continuous writes there is always something new to seal.
  for (int round = 0; round < 100; ++round) {
    ASSIGN_OR_RETURN(int n, backend_->CompactSome(1 << 20, /*force=*/true));
    if (n == 0) return Status::Ok();
  }
  return Status::Ok();
}

Result<std::vector<storage::ProjectInfo>> Tracker::ListProjects() {
  return backend_->ListProjects();
}

Result<storage::ProjectInfo> Tracker::GetProject(const model::ProjectName& p) {
  return backend_->GetProject(p);
}

Result<std::pair<storage::RunInfo, bool>> Tracker::CreateRun(const model::ProjectName& p,
                                                             model::CreateRunOp op) {
  RETURN_IF_ERROR(model::ValidateProjectPart(p.workspace, "workspace"));
  RETURN_IF_ERROR(model::ValidateProjectPart(p.name, "project"));
  if (op.run_id) RETURN_IF_ERROR(model::ValidateRunId(*op.run_id));
  if (op.fork_run_id) RETURN_IF_ERROR(model::ValidateRunId(*op.fork_run_id));
  if (op.fork_run_id.has_value() != op.fork_step.has_value())
    return Status::InvalidArgument("fork_run_id and fork_step must be given together");
  if (op.fork_run_id && op.run_id && *op.fork_run_id == *op.run_id)
    return Status::InvalidArgument("a run cannot be forked from itself");
  for (const auto* s : {&op.name, &op.experiment_name})
    if (*s && (s->value().size() > 1024 || !model::IsValidUtf8(**s)))
      return Status::InvalidArgument("names must be at most 1024 bytes of UTF-8");
  ASSIGN_OR_RETURN(auto r, backend_->CreateOrResumeRun(p, op, NowMicros()));
  catalog_->ApplyRun(r.first);
  events_.Publish(r.first.project_id, RunEvent(r.second ? "run_created" : "run_resumed", r.first));
  return r;
}

Result<storage::RunInfo> Tracker::GetRun(const model::ProjectName& p, const std::string& run_id) {
  ASSIGN_OR_RETURN(storage::RunInfo run, backend_->GetRun(p, run_id));
  return WithStaleness(std::move(run), NowMicros(), options_.stale_after_us);
}

Result<std::vector<storage::RunInfo>> Tracker::Children(const storage::RunInfo& run) {
  return backend_->ListChildren(run.id);
}

Result<storage::LogOutcome> Tracker::Log(const model::ProjectName& p, const std::string& run_id,
                                         model::LogBatch batch) {
  ASSIGN_OR_RETURN(storage::RunInfo run, backend_->GetRun(p, run_id));
  RETURN_IF_ERROR(model::ValidateLogBatch(&batch, options_.limits, run.fork_step));
  std::vector<storage::EncodedSeries> encoded;
  encoded.reserve(batch.series.size());
  for (const auto& s : batch.series) {
    ASSIGN_OR_RETURN(auto e, storage::EncodeSeriesWrite(s));
    encoded.push_back(std::move(e));
  }
  int64_t now = NowMicros();
  ASSIGN_OR_RETURN(auto outcome, backend_->Log(run, batch, std::move(encoded), now, [&] {
    catalog_->ApplyLog(run, batch, now);
  }));
  nlohmann::json ev = {{"type", "log"}, {"run_id", run.run_id}};
  nlohmann::json series = nlohmann::json::array();
  for (const auto& s : batch.series)
    series.push_back({{"path", s.path}, {"last_step", model::StepToDouble(s.steps.back())}});
  ev["series"] = std::move(series);
  ev["configs"] = batch.configs.size();
  if (batch.state) ev["state"] = model::RunStateName(*batch.state);
  events_.Publish(run.project_id, ev.dump());
  return outcome;
}

Result<storage::RunInfo> Tracker::Finish(const model::ProjectName& p, const std::string& run_id,
                                         model::RunState state) {
  ASSIGN_OR_RETURN(storage::RunInfo run, backend_->GetRun(p, run_id));
  int64_t now = NowMicros();
  RETURN_IF_ERROR(backend_->SetState(run.id, state, now,
                                     [&] { catalog_->ApplyState(run, state, now); }));
  run.state = state;
  run.updated_us = now;
  events_.Publish(run.project_id, RunEvent("state", run));
  return run;
}

Result<std::vector<storage::AttributeInfo>> Tracker::Attributes(const model::ProjectName& p,
                                                                const std::string& run_id,
                                                                const std::string& pattern) {
  ASSIGN_OR_RETURN(storage::RunInfo run, backend_->GetRun(p, run_id));
  ASSIGN_OR_RETURN(auto attrs, backend_->ListAttributes(run.id));
  if (!pattern.empty()) {
    RE2::Options opts;
    opts.set_log_errors(false);
    RE2 re(pattern, opts);
    if (!re.ok()) return Status::InvalidArgument("pattern is not a valid regex: " + re.error());
    std::erase_if(attrs, [&](const storage::AttributeInfo& a) {
      return !RE2::PartialMatch(a.path, re);
    });
  }
  for (auto& a : attrs)
    if (model::IsSeries(a.type)) {
      ASSIGN_OR_RETURN(a.count, backend_->CountPoints(a.id));
    }
  return attrs;
}

Result<RunsPage> Tracker::QueryRuns(const model::ProjectName& p, const RunsQuery& q) {
  ASSIGN_OR_RETURN(storage::ProjectInfo project, backend_->GetProject(p));
  return catalog_->Query(project.id, q);
}

Result<std::vector<PathSummary>> Tracker::ProjectPaths(const model::ProjectName& p) {
  ASSIGN_OR_RETURN(storage::ProjectInfo project, backend_->GetProject(p));
  return catalog_->Paths(project.id);
}

namespace {

Status ValidateViewName(const std::string& name) {
  if (name.empty() || name.size() > 200 || !model::IsValidUtf8(name))
    return Status::InvalidArgument("view names must be 1-200 bytes of UTF-8");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f || c == '/')
      return Status::InvalidArgument("view names may not contain '/' or control characters");
  return Status::Ok();
}

}  // namespace

Status Tracker::PutView(const model::ProjectName& p, const std::string& name,
                        std::string state_json) {
  RETURN_IF_ERROR(ValidateViewName(name));
  if (state_json.size() > 64 * 1024) return Status::TooLarge("a view's state is limited to 64 KiB");
  ASSIGN_OR_RETURN(storage::ProjectInfo project, backend_->GetProject(p));
  return backend_->PutView(project.id, {name, std::move(state_json), NowMicros()});
}

Result<std::vector<storage::SavedView>> Tracker::ListViews(const model::ProjectName& p) {
  ASSIGN_OR_RETURN(storage::ProjectInfo project, backend_->GetProject(p));
  return backend_->ListViews(project.id);
}

Status Tracker::DeleteView(const model::ProjectName& p, const std::string& name) {
  RETURN_IF_ERROR(ValidateViewName(name));
  ASSIGN_OR_RETURN(storage::ProjectInfo project, backend_->GetProject(p));
  return backend_->DeleteView(project.id, name);
}

Result<std::unique_ptr<blobs::BlobWriter>> Tracker::NewUpload() { return blobs_->NewWriter(); }

Status Tracker::AttachFile(const model::ProjectName& p, const std::string& run_id,
                           const std::string& path, std::optional<int64_t> step,
                           const std::string& filename, const blobs::BlobInfo& blob) {
  RETURN_IF_ERROR(model::ValidatePath(path));
  ASSIGN_OR_RETURN(storage::RunInfo run, backend_->GetRun(p, run_id));
  storage::FileRef ref{blob.digest, static_cast<int64_t>(blob.size), filename, 0};
  RETURN_IF_ERROR(backend_->PutFile(run, path, step, ref, NowMicros(), [&] {
    catalog_->ApplyFile(run, path, step ? model::AttrType::kFileSeries : model::AttrType::kFile,
                        blob.digest, static_cast<int64_t>(blob.size));
  }));
  return Status::Ok();
}

Result<storage::FileRef> Tracker::FindFile(const model::ProjectName& p, const std::string& run_id,
                                           const std::string& path, std::optional<int64_t> step) {
  ASSIGN_OR_RETURN(storage::RunInfo run, backend_->GetRun(p, run_id));
  return backend_->GetFile(run.id, path, step);
}

Result<std::unique_ptr<blobs::BlobReader>> Tracker::OpenBlob(const std::string& digest) {
  return blobs_->Open(digest);
}

Result<std::vector<SeriesResult>> Tracker::ReadSeries(const model::ProjectName& p,
                                                      const SeriesRequest& req) {
  RETURN_IF_ERROR(model::ValidatePath(req.path));
  if (req.run_ids.empty()) return Status::InvalidArgument("runs: give at least one run id");
  if (req.run_ids.size() > 1000) return Status::TooLarge("runs: at most 1000 runs per request");
  if (req.step_lo > req.step_hi) return Status::InvalidArgument("step_range: start > end");
  if (req.buckets && (*req.buckets < 1 || *req.buckets > 100'000))
    return Status::InvalidArgument("buckets must be between 1 and 100000");
  if (req.limit < 1 || req.limit > 1'000'000)
    return Status::InvalidArgument("limit must be between 1 and 1000000");
  std::vector<SeriesResult> out;
  for (const auto& id : req.run_ids) {
    ASSIGN_OR_RETURN(storage::RunInfo run, backend_->GetRun(p, id));
    SeriesResult r;
    r.run_id = id;
    RETURN_IF_ERROR(ReadOne(run, req, &r).WithContext("run '" + id + "'"));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace sextant::core
