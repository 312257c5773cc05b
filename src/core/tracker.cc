#include "core/tracker.h"

#include "model/rules.h"
#include "storage/blobs/open_blob_store.h"
#include "storage/open_backend.h"

#include <chrono>
#include <algorithm>
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
  storage::StoreOptions so;
  so.url = options.store;
  so.default_sqlite_path = (std::filesystem::path(options.data_dir) / "sextant.db").string();
  so.fsync_commits = options.fsync_commits;
  ASSIGN_OR_RETURN(t->backend_, storage::OpenBackend(so));
  {
    Result<std::unique_ptr<blobs::BlobStore>> files = blobs::OpenBlobStore(
        options.files, (std::filesystem::path(options.data_dir) / "files").string());
    if (!files.ok()) return files.status().WithContext("opening the file store");
    t->blobs_ = std::move(files).value();
  }
  ASSIGN_OR_RETURN(t->uploads_, storage::OpenUploadRecords(
                                    options.store,
                                    (std::filesystem::path(options.data_dir) / "neptune-uploads").string()));
  t->catalog_ = std::make_unique<Catalog>(t->backend_.get(), options.stale_after_us);
  // Other replicas' writes (the change feed): catalogue and live events.
  t->backend_->Follow([p = t.get()](const std::vector<storage::Change>& changes) {
    p->ApplyRemoteChanges(changes);
  });
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

void Tracker::Publish(const storage::RunInfo& run, const char* kind, std::string event) {
  events_.Publish(run.project_id, event);
  backend_->Announce({run.project_id, run.id, kind, std::move(event)});
}

void Tracker::ApplyRemoteChanges(const std::vector<storage::Change>& changes) {
  // A run is read back once per delivery, however many changes it had.
  std::set<int64_t> reloaded;
  for (const auto& c : changes) {
    if (c.kind == "purge") {
      storage::RunInfo gone;
      gone.id = c.run_id;
      gone.project_id = c.project_id;
      catalog_->ApplyPurge(gone);
    } else if (reloaded.insert(c.run_id).second) {
      auto run = backend_->GetRunById(c.run_id);
      if (!run.ok()) continue;  // purged since
      auto attrs = backend_->ListAttributes(c.run_id);
      if (!attrs.ok()) continue;
      catalog_->ApplyStored(*run, *attrs);
    }
    if (!c.event.empty()) events_.Publish(c.project_id, c.event);
  }
}

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
  const int64_t retention = options_.trash_retention_us;
  const int64_t sweep_every = std::clamp<int64_t>(retention / 4, 250'000, 3'600'000'000LL);
  int64_t next_sweep = NowMicros() + std::min<int64_t>(sweep_every, 5'000'000);
  std::unique_lock<std::mutex> l(mu_);
  while (!stopping_) {
    l.unlock();
    if (retention > 0 && NowMicros() >= next_sweep) {
      PurgeExpiredTrash();
      next_sweep = NowMicros() + sweep_every;
    }
    auto r = backend_->CompactSome(/*max_series=*/64);
    bool more = r.ok() && r.value() > 0;
    if (!r.ok()) std::fprintf(stderr, "sextant: compaction: %s\n", r.status().ToString().c_str());
    l.lock();
    if (!more) cv_.wait_for(l, std::chrono::milliseconds(250), [&] { return stopping_; });
  }
}

void Tracker::PurgeExpiredTrash() {
  auto projects = backend_->ListProjects();
  if (!projects.ok()) return;
  const int64_t cutoff = NowMicros() - options_.trash_retention_us;
  for (const auto& pr : projects.value()) {
    RunsQuery q;
    q.trashed = Visibility::kOnly;
    q.archived = Visibility::kInclude;
    q.limit = model::kMaxRunsLimit;
    q.columns = std::vector<std::string>{};
    auto page = catalog_->Query(pr.id, q);
    if (!page.ok()) continue;
    model::ProjectName name{pr.workspace, pr.name};
    for (const auto& row : page->rows) {
      auto flag = backend_->FindAttribute(row.run.id, "sys/trashed");
      if (!flag.ok() || !*flag || (*flag)->last_ts == 0 || (*flag)->last_ts > cutoff) continue;
      Status st = PurgeRun(name, row.run.run_id);
      if (!st.ok() && warned_purge_.insert(row.run.id).second)
        std::fprintf(stderr, "sextant: trash: run %s/%s is past its retention but stays: %s\n",
                     name.Full().c_str(), row.run.run_id.c_str(), st.message().c_str());
    }
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

Result<Page<storage::ProjectInfo>> Tracker::ListProjects(
    const PageRequest& page, const std::function<bool(const model::ProjectName&)>& visible) {
  ASSIGN_OR_RETURN(std::string after, DecodePageRequest(PageKind::kProjects, page));
  model::ProjectName from;  // ("", ""): before every project
  if (!after.empty()) {
    size_t slash = after.find('/');
    if (slash == std::string::npos) return Status::InvalidArgument("page_token: malformed");
    from = {after.substr(0, slash), after.substr(slash + 1)};
  }
  std::vector<storage::ProjectInfo> items;
  if (!visible) {
    ASSIGN_OR_RETURN(items, backend_->ListProjectsAfter(from, page.limit + 1));
  } else {
    // Read on in batches until the page is full of projects the caller may
    // see, or the list ends.
    while (items.size() < page.limit + 1) {
      ASSIGN_OR_RETURN(auto batch, backend_->ListProjectsAfter(from, page.limit + 1));
      for (auto& p : batch)
        if (items.size() < page.limit + 1 && visible(model::ProjectName{p.workspace, p.name}))
          items.push_back(std::move(p));
      if (batch.size() < page.limit + 1) break;
      from = {batch.back().workspace, batch.back().name};
    }
  }
  return MakePage(std::move(items), page.limit, PageKind::kProjects,
                  [](const storage::ProjectInfo& p) { return p.workspace + "/" + p.name; });
}

Result<storage::ProjectInfo> Tracker::GetProject(const model::ProjectName& p) {
  return backend_->GetProject(p);
}

Result<std::pair<storage::RunInfo, bool>> Tracker::CreateRun(const model::ProjectName& p,
                                                             model::CreateRunOp op) {
  RETURN_IF_ERROR(model::ValidateProjectName(p));
  RETURN_IF_ERROR(model::ValidateCreateRun(op));
  if (!op.run_id || op.run_id->empty()) op.run_id = model::GenerateRunId();
  // What a new run gets by default: its id as its name and, as an
  // experiment is the head of a lineage, a fork its parent's experiment. A
  // resumed run keeps its own unless new ones are given.
  if (!backend_->GetRun(p, *op.run_id).ok()) {
    if (!op.name) op.name = *op.run_id;
    if (op.fork_run_id && !op.experiment_name) {
      auto parent = backend_->GetRun(p, *op.fork_run_id);
      if (parent.ok()) op.experiment_name = parent->experiment;
    }
  }
  ASSIGN_OR_RETURN(auto r, backend_->CreateOrResumeRun(p, op, NowMicros()));
  catalog_->ApplyRun(r.first);
  Publish(r.first, "run", RunEvent(r.second ? "run_created" : "run_resumed", r.first));
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
  // A notice, not the data: its size does not grow with the batch, since
  // every open stream of the project sends it (a list of 10,000 series paths
  // sent to 2,000 tabs would be the server's main work).
  nlohmann::json ev = {{"type", "log"}, {"run_id", run.run_id}};
  std::optional<int64_t> last_step;
  for (const auto& s : batch.series)
    if (!s.steps.empty() && (!last_step || s.steps.back() > *last_step)) last_step = s.steps.back();
  ev["points"] = batch.num_points();
  ev["series_count"] = batch.series.size();
  ev["last_step"] = last_step ? nlohmann::json(model::StepToDouble(*last_step)) : nlohmann::json();
  ev["configs"] = batch.configs.size();
  if (batch.state) ev["state"] = model::RunStateName(*batch.state);
  Publish(run, "log", ev.dump());
  return outcome;
}

Result<storage::RunInfo> Tracker::Finish(const model::ProjectName& p, const std::string& run_id,
                                         model::RunState state, std::optional<int64_t> at_us) {
  ASSIGN_OR_RETURN(storage::RunInfo run, backend_->GetRun(p, run_id));
  if (at_us) RETURN_IF_ERROR(model::ValidateTimestamp(*at_us).WithContext("end time"));
  int64_t now = at_us.value_or(NowMicros());
  RETURN_IF_ERROR(backend_->SetState(run.id, state, now,
                                     [&] { catalog_->ApplyState(run, state, now); }));
  run.state = state;
  run.updated_us = now;
  Publish(run, "state", RunEvent("state", run));
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

Result<Page<storage::AttributeInfo>> Tracker::Attributes(const model::ProjectName& p,
                                                         const std::string& run_id,
                                                         const std::string& pattern,
                                                         const PageRequest& page) {
  ASSIGN_OR_RETURN(std::string after, DecodePageRequest(PageKind::kAttributes, page));
  std::optional<RE2> re;
  if (!pattern.empty()) {
    RE2::Options opts;
    opts.set_log_errors(false);
    re.emplace(pattern, opts);
    if (!re->ok()) return Status::InvalidArgument("pattern is not a valid regex: " + re->error());
  }
  ASSIGN_OR_RETURN(storage::RunInfo run, backend_->GetRun(p, run_id));
  // Fetch limit + 1 matches to learn whether another page follows. Without a
  // pattern that is one storage page; with one, read on in storage pages,
  // examining at most kMaxPageScanRows rows.
  size_t want = page.limit + 1;
  std::vector<storage::AttributeInfo> items;
  size_t scanned = 0;
  bool exhausted = false;
  while (items.size() < want && scanned < model::kMaxPageScanRows) {
    size_t n = re ? std::min(std::max(want - items.size(), size_t{1024}),
                             model::kMaxPageScanRows - scanned)
                  : want - items.size();
    ASSIGN_OR_RETURN(auto rows, backend_->ListAttributesAfter(run.id, after, n));
    scanned += rows.size();
    exhausted = rows.size() < n;
    for (auto& a : rows) {
      after = a.path;
      if (re && !RE2::PartialMatch(a.path, *re)) continue;
      items.push_back(std::move(a));
      if (items.size() == want) break;
    }
    if (exhausted) break;
  }
  Page<storage::AttributeInfo> out;
  if (items.size() == want) {
    out = MakePage(std::move(items), page.limit, PageKind::kAttributes,
                   [](const storage::AttributeInfo& a) { return a.path; });
  } else {
    out.items = std::move(items);
    // The scan budget ran out before the end: go on after the last row examined.
    if (!exhausted) out.next_page_token = EncodePageToken(PageKind::kAttributes, after);
  }
  for (auto& a : out.items)
    if (model::IsSeries(a.type)) {
      ASSIGN_OR_RETURN(a.count, backend_->CountPoints(a.id));
    }
  return out;
}

Result<RunsPage> Tracker::QueryRuns(const model::ProjectName& p, const RunsQuery& q) {
  RETURN_IF_ERROR(ValidateRunsQuery(q));
  ASSIGN_OR_RETURN(storage::ProjectInfo project, backend_->GetProject(p));
  // Aggregates named by the filter, the sort or the columns are computed
  // first (outside the catalogue's lock), then looked up like attributes.
  std::vector<std::string> texts;
  auto want = [&](const std::string& path) {
    if (query::ParseAggregate(path) && std::find(texts.begin(), texts.end(), path) == texts.end())
      texts.push_back(path);
  };
  for (const auto& path : q.filter.ReferencedPaths()) want(path);
  for (const auto& key : q.sort) want(key.path);
  if (q.columns)
    for (const auto& c : *q.columns) want(c);
  if (texts.empty()) return catalog_->Query(project.id, q);
  ExtraValues extra;
  for (const auto& text : texts)
    RETURN_IF_ERROR(ComputeAggregate(p, project.id, text, *query::ParseAggregate(text), &extra));
  return catalog_->Query(project.id, q, &extra);
}

Status Tracker::ComputeAggregate(const model::ProjectName& p, int64_t project_id, const std::string& text,
                                 const query::AggregateRef& agg, ExtraValues* extra) {
  ASSIGN_OR_RETURN(auto runs, catalog_->RunsWithFloatSeries(project_id, agg.path));
  auto add = [&](const storage::RunInfo& run, const std::optional<query::Bucket>& b) {
    if (!b) return;
    if (auto v = AggregateValue(agg.fn, *b)) (*extra)[run.id].emplace_back(text, std::move(*v));
  };
  std::vector<const storage::RunInfo*> missing;
  for (const auto& run : runs) {
    if (auto cached = aggregates_.Get(run, agg.path))
      add(run, *cached);
    else
      missing.push_back(&run);
  }
  // One downsampled read (a single bucket) per batch of runs.
  for (size_t at = 0; at < missing.size(); at += model::kMaxRunsPerSeriesRead) {
    SeriesRequest req;
    req.path = agg.path;
    req.buckets = 1;
    std::unordered_map<std::string, const storage::RunInfo*> by_id;
    for (size_t i = at; i < std::min(missing.size(), at + model::kMaxRunsPerSeriesRead); ++i) {
      req.run_ids.push_back(missing[i]->run_id);
      by_id[missing[i]->run_id] = missing[i];
    }
    ASSIGN_OR_RETURN(auto results, ReadSeries(p, req));
    for (const auto& r : results) {
      auto it = by_id.find(r.run_id);
      if (it == by_id.end() || r.type != model::AttrType::kFloatSeries) continue;
      // A float series read with buckets is always downsampled: one bucket,
      // or none when the series has no points.
      std::optional<query::Bucket> b;
      if (r.downsampled && !r.buckets.empty()) b = r.buckets.front();
      aggregates_.Put(*it->second, agg.path, b);
      add(*it->second, b);
    }
  }
  return Status::Ok();
}

Result<std::vector<PathSummary>> Tracker::ProjectPaths(const model::ProjectName& p) {
  ASSIGN_OR_RETURN(storage::ProjectInfo project, backend_->GetProject(p));
  return catalog_->Paths(project.id);
}

Result<Page<PathSummary>> Tracker::ProjectPaths(const model::ProjectName& p,
                                                const PageRequest& page) {
  ASSIGN_OR_RETURN(std::string after, DecodePageRequest(PageKind::kPaths, page));
  ASSIGN_OR_RETURN(storage::ProjectInfo project, backend_->GetProject(p));
  ASSIGN_OR_RETURN(auto items, catalog_->PathsAfter(project.id, after, page.limit + 1));
  return MakePage(std::move(items), page.limit, PageKind::kPaths,
                  [](const PathSummary& s) { return s.path; });
}

Status Tracker::PutView(const model::ProjectName& p, const std::string& name,
                        std::string state_json) {
  RETURN_IF_ERROR(model::ValidateViewName(name));
  if (state_json.size() > model::kMaxViewStateBytes)
    return Status::TooLarge("a view's state is limited to " +
                            std::to_string(model::kMaxViewStateBytes / 1024) + " KiB");
  ASSIGN_OR_RETURN(storage::ProjectInfo project, backend_->GetProject(p));
  return backend_->PutView(project.id, {name, std::move(state_json), NowMicros()});
}

Result<Page<storage::SavedView>> Tracker::ListViews(const model::ProjectName& p,
                                                    const PageRequest& page) {
  ASSIGN_OR_RETURN(std::string after, DecodePageRequest(PageKind::kViews, page));
  ASSIGN_OR_RETURN(storage::ProjectInfo project, backend_->GetProject(p));
  ASSIGN_OR_RETURN(auto items, backend_->ListViewsAfter(project.id, after, page.limit + 1));
  return MakePage(std::move(items), page.limit, PageKind::kViews,
                  [](const storage::SavedView& v) { return v.name; });
}

Result<std::vector<storage::SavedView>> Tracker::ListViews(const model::ProjectName& p) {
  ASSIGN_OR_RETURN(storage::ProjectInfo project, backend_->GetProject(p));
  return backend_->ListViews(project.id);
}

Status Tracker::DeleteView(const model::ProjectName& p, const std::string& name) {
  RETURN_IF_ERROR(model::ValidateViewName(name));
  ASSIGN_OR_RETURN(storage::ProjectInfo project, backend_->GetProject(p));
  return backend_->DeleteView(project.id, name);
}

Result<std::unique_ptr<blobs::BlobWriter>> Tracker::NewUpload(std::string_view expected_sha256) {
  return blobs_->NewWriter(expected_sha256);
}

Status Tracker::AttachFile(const model::ProjectName& p, const std::string& run_id,
                           const std::string& path, std::optional<int64_t> step,
                           const std::string& filename, const blobs::BlobInfo& blob,
                           std::optional<int64_t> time_us) {
  RETURN_IF_ERROR(model::ValidatePath(path));
  if (time_us) RETURN_IF_ERROR(model::ValidateTimestamp(*time_us).WithContext("timestamp"));
  ASSIGN_OR_RETURN(storage::RunInfo run, backend_->GetRun(p, run_id));
  storage::FileRef ref{blob.digest, static_cast<int64_t>(blob.size), filename, 0};
  int64_t kept_us = model::KeptTimestamp(time_us.value_or(NowMicros()), options_.limits);
  RETURN_IF_ERROR(backend_->PutFile(run, path, step, ref, kept_us, [&] {
    catalog_->ApplyFile(run, path, step ? model::AttrType::kFileSeries : model::AttrType::kFile,
                        blob.digest, static_cast<int64_t>(blob.size));
  }));
  backend_->Announce({run.project_id, run.id, "files", ""});
  return Status::Ok();
}

Result<storage::FileRef> Tracker::FindFile(const model::ProjectName& p, const std::string& run_id,
                                           const std::string& path, std::optional<int64_t> step) {
  ASSIGN_OR_RETURN(storage::RunInfo run, backend_->GetRun(p, run_id));
  return backend_->GetFile(run.id, path, step);
}

Result<std::vector<std::pair<int64_t, storage::FileRef>>> Tracker::FileSeriesPoints(
    const model::ProjectName& p, const std::string& run_id, const std::string& path, int64_t lo, int64_t hi,
    size_t limit) {
  ASSIGN_OR_RETURN(storage::RunInfo run, backend_->GetRun(p, run_id));
  return backend_->ListFiles(run.id, path, lo, hi, limit);
}

Result<std::unique_ptr<blobs::BlobReader>> Tracker::OpenBlob(const std::string& digest) {
  return blobs_->Open(digest);
}

// A file series is read as raw points (steps ascending, timestamps = when
// each file was attached) whatever `buckets` asks: there is nothing to
// aggregate. The run's own points only; a fork does not inherit files.
Status Tracker::ReadFileSeries(const storage::RunInfo& run, const SeriesRequest& req,
                               SeriesResult* out) {
  out->type = model::AttrType::kFileSeries;
  int64_t lo = req.step_lo, hi = req.step_hi;
  if (req.after_step) {
    if (*req.after_step == INT64_MAX) return Status::Ok();
    lo = std::max(lo, *req.after_step + 1);
  }
  if (lo > hi) return Status::Ok();
  // The backend lists newest first: walk down from `hi` in pages and keep
  // the lowest steps, so that a page is the first `limit` points above `lo`.
  const size_t cap = 100'000;
  std::vector<std::pair<int64_t, storage::FileRef>> kept;
  for (int64_t top = hi;;) {
    ASSIGN_OR_RETURN(auto page, backend_->ListFiles(run.id, req.path, lo, top, cap));
    for (auto& f : page) {
      if (req.time_range && (f.second.created_us < req.time_range->first ||
                             f.second.created_us > req.time_range->second))
        continue;
      kept.push_back(std::move(f));
    }
    if (kept.size() > req.limit + 1) kept.erase(kept.begin(), kept.end() - (req.limit + 1));
    if (page.size() < cap || page.back().first == lo) break;
    top = page.back().first - 1;
  }
  std::reverse(kept.begin(), kept.end());
  if (kept.size() > req.limit) {
    kept.resize(req.limit);
    out->next_after_step = kept.back().first;
  }
  // points.bytes keeps one (empty) entry per point, as every byte series
  // does, so that a reader indexing it by point stays in bounds.
  for (auto& [step, ref] : kept) {
    out->points.steps.push_back(step);
    out->points.ts.push_back(ref.created_us);
    out->points.bytes.emplace_back();
    out->files.push_back(std::move(ref));
  }
  return Status::Ok();
}

Result<std::vector<SeriesResult>> Tracker::ReadSeries(const model::ProjectName& p,
                                                      const SeriesRequest& req) {
  RETURN_IF_ERROR(model::ValidatePath(req.path).WithContext("path"));
  if (req.run_ids.empty()) return Status::InvalidArgument("runs: give at least one run id");
  if (req.run_ids.size() > model::kMaxRunsPerSeriesRead)
    return Status::TooLarge("runs: at most " + std::to_string(model::kMaxRunsPerSeriesRead) +
                            " runs per request");
  if (req.step_lo > req.step_hi) return Status::InvalidArgument("step_range: start is after end");
  if (req.time_range && req.time_range->first > req.time_range->second)
    return Status::InvalidArgument("time_range: start is after end");
  if (req.buckets && (*req.buckets < 1 || *req.buckets > model::kMaxSeriesBuckets))
    return Status::InvalidArgument("buckets: expected an integer from 1 to " +
                                   std::to_string(model::kMaxSeriesBuckets));
  if (req.limit < 1 || req.limit > model::kMaxSeriesPointsLimit)
    return Status::InvalidArgument("limit: expected an integer from 1 to " +
                                   std::to_string(model::kMaxSeriesPointsLimit));
  std::vector<SeriesResult> out;
  for (const auto& id : req.run_ids) {
    ASSIGN_OR_RETURN(storage::RunInfo run, backend_->GetRun(p, id));
    SeriesResult r;
    r.run_id = id;
    ASSIGN_OR_RETURN(auto attr, backend_->FindAttribute(run.id, req.path));
    if (attr && attr->type == model::AttrType::kFileSeries) {
      RETURN_IF_ERROR(ReadFileSeries(run, req, &r).WithContext("run '" + id + "'"));
    } else {
      RETURN_IF_ERROR(ReadOne(run, req, &r).WithContext("run '" + id + "'"));
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace sextant::core
