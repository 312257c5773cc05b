#include "core/catalog.h"

#include "core/tracker.h"  // NowMicros
#include "model/rules.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <tuple>

namespace sextant::core {

using model::AttrType;
using model::Value;

namespace {

bool IsNumeric(AttrType t) {
  return t == AttrType::kFloat || t == AttrType::kInt || t == AttrType::kBool ||
         t == AttrType::kDatetime || t == AttrType::kFloatSeries;
}

double AsNumber(const Value& v) {
  return (v.type == AttrType::kFloat || v.type == AttrType::kFloatSeries)
             ? v.f
             : static_cast<double>(v.i);
}

int Rank(const Value& v) {
  if (IsNumeric(v.type)) return 0;
  if (v.type == AttrType::kStringSet) return 2;
  return 1;
}

// Fills `out` with a built-in run property; false if `path` is not one.
bool BuiltIn(const storage::RunInfo& r, std::string_view path, Value* out) {
  if (path.size() < 5 || path.substr(0, 4) != "sys/") return false;
  std::string_view p = path.substr(4);
  auto str = [&](const std::string& s) {
    out->type = AttrType::kString;
    out->s = s;
    return true;
  };
  auto dt = [&](int64_t us) {
    out->type = AttrType::kDatetime;
    out->i = us;
    return true;
  };
  if (p == "id") return str(r.run_id);
  if (p == "name") return str(r.name);
  if (p == "experiment") return str(r.experiment);
  if (p == "state") return str(std::string(model::RunStateName(r.state)));
  if (p == "created_at") return dt(r.created_us);
  if (p == "updated_at") return dt(r.updated_us);
  if (p == "fork_run_id" && r.fork_run_id) return str(*r.fork_run_id);
  if (p == "fork_step" && r.fork_step) {
    out->type = AttrType::kFloat;
    out->f = model::StepToDouble(*r.fork_step);
    return true;
  }
  return false;
}

// Edit distance, or `limit + 1` once it is certainly over `limit`.
size_t Distance(std::string_view a, std::string_view b, size_t limit) {
  if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > limit) return limit + 1;
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0], best = row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
      best = std::min(best, row[j]);
    }
    if (best > limit) return limit + 1;
  }
  return row[b.size()];
}

std::string_view Leaf(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

storage::RunInfo WithStaleness(storage::RunInfo run, int64_t now_us, int64_t stale_after_us) {
  if (run.state == model::RunState::kRunning && stale_after_us > 0 &&
      now_us - run.updated_us > stale_after_us)
    run.state = model::RunState::kStale;
  return run;
}

int CompareValues(const Value& a, const Value& b) {
  int ra = Rank(a), rb = Rank(b);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (ra == 0) {
    double x = AsNumber(a), y = AsNumber(b);
    bool nx = std::isnan(x), ny = std::isnan(y);
    if (nx || ny) return nx == ny ? 0 : (nx ? 1 : -1);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (ra == 1) return a.s.compare(b.s) < 0 ? -1 : (a.s == b.s ? 0 : 1);
  return a.set < b.set ? -1 : (a.set == b.set ? 0 : 1);
}

namespace {

int64_t Bits(double d) {
  int64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
}
double FromBits(int64_t b) {
  double d;
  std::memcpy(&d, &b, sizeof d);
  return d;
}

}  // namespace

void Catalog::Column::Set(size_t run, const Value& v, std::optional<int64_t> last_step) {
  if (type.size() <= run) {
    type.resize(run + 1, 0);
    num.resize(run + 1, 0);
  }
  type[run] = static_cast<uint8_t>(v.type);
  bool is_float = v.type == AttrType::kFloat || v.type == AttrType::kFloatSeries;
  num[run] = is_float ? Bits(v.f) : v.i;
  if (last_step) {
    if (step.size() <= run) step.resize(run + 1, INT64_MIN);
    step[run] = *last_step;
  }
  bool textual = v.type == AttrType::kString || v.type == AttrType::kStringSeries ||
                 v.type == AttrType::kHistogramSeries || v.type == AttrType::kFile ||
                 v.type == AttrType::kFileSeries || v.type == AttrType::kStringSet;
  if (textual) {
    if (str.size() <= run) str.resize(run + 1);
    if (v.type == AttrType::kStringSet) {
      std::string joined;
      for (size_t k = 0; k < v.set.size(); ++k) {
        if (k) joined += '\x1f';
        joined += v.set[k];
      }
      str[run] = std::move(joined);
    } else {
      str[run] = v.s;
    }
  } else if (run < str.size()) {
    str[run].clear();
  }
}

Value Catalog::Column::Get(size_t run) const {
  Value v;
  v.type = static_cast<AttrType>(type[run]);
  if (v.type == AttrType::kFloat || v.type == AttrType::kFloatSeries)
    v.f = FromBits(num[run]);
  else
    v.i = num[run];
  if (v.type == AttrType::kFile || v.type == AttrType::kFileSeries) v.f = static_cast<double>(v.i);
  if (model::IsSeries(v.type) && run < step.size()) v.i = step[run];  // the last step
  if (run < str.size()) {
    if (v.type == AttrType::kStringSet) {
      const std::string& j = str[run];
      size_t start = 0;
      while (!j.empty() && start <= j.size()) {
        size_t sep = j.find('\x1f', start);
        v.set.push_back(j.substr(start, sep == std::string::npos ? std::string::npos : sep - start));
        if (sep == std::string::npos) break;
        start = sep + 1;
      }
    } else {
      v.s = str[run];
    }
  }
  return v;
}

Catalog::Column& Catalog::Project::ColumnFor(const std::string& path) {
  auto [it, inserted] = path_ids.try_emplace(path, static_cast<uint32_t>(paths.size()));
  if (inserted) {
    paths.push_back(path);
    columns.emplace_back();
  }
  return columns[it->second];
}

void Catalog::Project::SortPaths() {
  size_t old = sorted_ids.size();
  if (old == paths.size()) return;
  for (size_t id = old; id < paths.size(); ++id) sorted_ids.push_back(static_cast<uint32_t>(id));
  auto less = [&](uint32_t a, uint32_t b) { return paths[a] < paths[b]; };
  std::sort(sorted_ids.begin() + static_cast<ptrdiff_t>(old), sorted_ids.end(), less);
  std::inplace_merge(sorted_ids.begin(), sorted_ids.begin() + static_cast<ptrdiff_t>(old),
                     sorted_ids.end(), less);
}

std::optional<PathSummary> Catalog::Project::Summary(uint32_t path_id) const {
  size_t counts[256] = {};
  for (uint8_t t : columns[path_id].type) ++counts[t];
  PathSummary s{paths[path_id], {}};
  for (int t = 1; t < 256; ++t)
    if (counts[t]) s.types.push_back({static_cast<AttrType>(t), counts[t]});
  if (s.types.empty()) return std::nullopt;
  return s;
}

size_t Catalog::Project::Upsert(const storage::RunInfo& run) {
  auto it = by_run_id.find(run.id);
  if (it != by_run_id.end()) {
    runs[it->second] = run;
    return it->second;
  }
  by_run_id[run.id] = runs.size();
  runs.push_back(run);
  return runs.size() - 1;
}

class Catalog::Lookup : public query::AttributeLookup {
 public:
  Lookup(const Project* p, size_t run, const ExtraValues* extra = nullptr)
      : p_(p), run_(run), extra_(extra) {}
  void Reset(size_t run) { run_ = run; }
  const Value* Find(std::string_view path) const override {
    if (BuiltIn(p_->runs[run_], path, &scratch_)) return &scratch_;
    const Column* c = ColumnOf(path);
    if (c && c->Has(run_)) {
      scratch_ = c->Get(run_);
      return &scratch_;
    }
    if (!extra_) return nullptr;
    auto it = extra_->find(p_->runs[run_].id);
    if (it == extra_->end()) return nullptr;
    for (const auto& [p, v] : it->second)
      if (p == path) return &v;
    return nullptr;
  }

 private:
  // Filters pass the same few path strings for every run: remember their columns.
  const Column* ColumnOf(std::string_view path) const {
    for (const auto& [data, size, col] : cache_)
      if (data == path.data() && size == path.size()) return col;
    auto it = p_->path_ids.find(std::string(path));
    const Column* col = it == p_->path_ids.end() ? nullptr : &p_->columns[it->second];
    if (cache_.size() < 16) cache_.push_back({path.data(), path.size(), col});
    return col;
  }

  const Project* p_;
  size_t run_;
  const ExtraValues* extra_;
  mutable Value scratch_;
  mutable std::vector<std::tuple<const char*, size_t, const Column*>> cache_;
};

Catalog::Project* Catalog::Get(int64_t project_id) {
  std::lock_guard<std::mutex> l(mu_);
  auto& p = projects_[project_id];
  if (!p) p = std::make_unique<Project>();
  return p.get();
}

size_t Catalog::ProjectsLoaded() {
  std::lock_guard<std::mutex> l(mu_);
  return projects_.size();
}

Status Catalog::Load(int64_t project_id) {
  Project* p = Get(project_id);
  std::unique_lock<std::mutex> l(p->mu);
  p->cv.wait(l, [&] { return !p->loading; });
  if (p->loaded) return Status::Ok();
  p->loading = true;
  l.unlock();

  // Read into a private Project without the lock: this can take seconds for
  // 100 k runs, and writes must not wait for it.
  Project fresh;
  struct Loader : storage::ProjectScanner {
    Project* p;
    const std::atomic<bool>* cancelled;
    std::string last_path;
    Column* last_column = nullptr;
    bool Run(const storage::RunInfo& run) override {
      p->Upsert(run);
      return !*cancelled;
    }
    bool Attribute(int64_t run_id, const storage::AttributeInfo& a) override {
      auto it = p->by_run_id.find(run_id);
      if (it == p->by_run_id.end()) return true;
      std::optional<int64_t> step;
      if (model::IsSeries(a.type) || a.type == AttrType::kFileSeries)
        step = a.last_step.value_or(INT64_MIN);
      if (!last_column || a.path != last_path) {  // rows of one path often come together
        last_column = &p->ColumnFor(a.path);
        last_path = a.path;
      }
      last_column->Set(it->second, a.value, step);
      return (it->second & 1023) || !*cancelled;
    }
  } loader;
  loader.p = &fresh;
  loader.cancelled = &cancelled_;
  Status st = backend_->ScanProject(project_id, &loader).WithContext("loading the runs table");

  l.lock();
  p->loading = false;
  if (st.ok()) {
    p->runs = std::move(fresh.runs);
    p->by_run_id = std::move(fresh.by_run_id);
    p->paths = std::move(fresh.paths);
    p->sorted_ids.clear();  // ids were renumbered
    p->path_ids = std::move(fresh.path_ids);
    p->columns = std::move(fresh.columns);
    for (auto& apply : p->pending) apply(p);  // idempotent on what the scan saw
    p->loaded = true;
  }
  p->pending.clear();
  p->cv.notify_all();
  return st;
}

void Catalog::Apply(int64_t project_id, std::function<void(Project*)> apply) {
  Project* p = Get(project_id);
  std::lock_guard<std::mutex> l(p->mu);
  if (p->loaded)
    apply(p);
  else if (p->loading)
    p->pending.push_back(std::move(apply));
}

void Catalog::ApplyRun(const storage::RunInfo& run) {
  Apply(run.project_id, [run](Project* p) { p->Upsert(run); });
}

void Catalog::ApplyState(const storage::RunInfo& run, model::RunState state, int64_t now_us) {
  Apply(run.project_id, [run, state, now_us](Project* p) {
    size_t idx = p->Upsert(run);
    p->runs[idx].state = state;
    p->runs[idx].updated_us = now_us;
  });
}

void Catalog::ApplyLog(const storage::RunInfo& run, const model::LogBatch& batch,
                       int64_t now_us) {
  Project* p = Get(run.project_id);
  std::lock_guard<std::mutex> l(p->mu);
  if (p->loaded) return DoApplyLog(p, run, batch, now_us);
  if (!p->loading) return;
  // Keep only what the catalogue needs: each series' last point.
  model::LogBatch reduced;
  reduced.configs = batch.configs;
  reduced.remove_configs = batch.remove_configs;
  reduced.add_tags = batch.add_tags;
  reduced.remove_tags = batch.remove_tags;
  reduced.state = batch.state;
  for (const auto& s : batch.series) {
    model::SeriesWrite last;
    last.path = s.path;
    last.type = s.type;
    size_t i = s.size() - 1;
    last.steps = {s.steps[i]};
    last.ts = {s.ts[i]};
    if (s.type == AttrType::kFloatSeries) last.floats = {s.floats[i]}; else last.bytes = {s.bytes[i]};
    reduced.series.push_back(std::move(last));
  }
  p->pending.push_back([run, reduced = std::move(reduced), now_us](Project* q) {
    DoApplyLog(q, run, reduced, now_us);
  });
}

void Catalog::DoApplyLog(Project* p, const storage::RunInfo& run, const model::LogBatch& batch,
                         int64_t now_us) {
  size_t idx = p->Upsert(run);
  storage::RunInfo& info = p->runs[idx];
  info.updated_us = now_us;
  if (batch.state) info.state = *batch.state;
  for (const auto& [path, value] : batch.configs) p->ColumnFor(path).Set(idx, value, std::nullopt);
  if (auto name = model::RenameOf(batch)) info.name = *name;
  for (const auto& path : batch.remove_configs) {
    auto it = p->path_ids.find(path);
    if (it == p->path_ids.end()) continue;
    Column& col = p->columns[it->second];
    if (col.Has(idx) && model::IsConfig(static_cast<AttrType>(col.type[idx]))) col.type[idx] = 0;
  }
  if (!batch.add_tags.empty() || !batch.remove_tags.empty()) {
    Column& col = p->ColumnFor("sys/tags");
    std::vector<std::string> set;
    if (col.Has(idx) && col.type[idx] == static_cast<uint8_t>(AttrType::kStringSet))
      set = col.Get(idx).set;
    col.Set(idx, model::EditTags(std::move(set), batch.add_tags, batch.remove_tags), std::nullopt);
  }
  for (const auto& s : batch.series) {
    Column& col = p->ColumnFor(s.path);
    size_t last = s.size() - 1;
    if (col.Has(idx) && idx < col.step.size() &&
        !model::ReplacesLastValue(col.step[idx], s.steps[last]))
      continue;
    Value v;
    v.type = s.type;
    if (s.type == AttrType::kFloatSeries)
      v.f = s.floats[last];
    else
      v.s = s.bytes[last];
    col.Set(idx, v, s.steps[last]);
  }
}

void Catalog::ApplyFile(const storage::RunInfo& run, const std::string& path, AttrType type,
                        const std::string& digest, int64_t size) {
  Apply(run.project_id, [=](Project* p) {
    size_t idx = p->Upsert(run);
    Value v;
    v.type = type;
    v.s = digest;
    v.i = size;
    p->ColumnFor(path).Set(idx, v, std::nullopt);
  });
}

void Catalog::ApplyPurge(const storage::RunInfo& run) {
  Apply(run.project_id, [run](Project* p) {
    auto it = p->by_run_id.find(run.id);
    if (it == p->by_run_id.end()) return;
    size_t idx = it->second;
    p->runs.erase(p->runs.begin() + static_cast<std::ptrdiff_t>(idx));
    auto drop = [idx](auto& v) {
      if (idx < v.size()) v.erase(v.begin() + static_cast<std::ptrdiff_t>(idx));
    };
    for (auto& c : p->columns) {
      drop(c.type);
      drop(c.num);
      drop(c.step);
      drop(c.str);
    }
    p->by_run_id.clear();
    for (size_t i = 0; i < p->runs.size(); ++i) p->by_run_id[p->runs[i].id] = i;
  });
}

void Catalog::ApplyStored(const storage::RunInfo& run,
                          const std::vector<storage::AttributeInfo>& attrs) {
  Apply(run.project_id, [run, attrs](Project* p) {
    size_t idx = p->Upsert(run);
    for (auto& c : p->columns)
      if (c.Has(idx)) c.type[idx] = 0;
    for (const auto& a : attrs) {
      std::optional<int64_t> step;
      if (model::IsSeries(a.type) || a.type == AttrType::kFileSeries) step = a.last_step.value_or(INT64_MIN);
      p->ColumnFor(a.path).Set(idx, a.value, step);
    }
  });
}

void Catalog::ApplyRemove(const storage::RunInfo& run, const std::vector<std::string>& paths) {
  Apply(run.project_id, [run, paths](Project* p) {
    size_t idx = p->Upsert(run);
    for (const auto& path : paths) {
      auto it = p->path_ids.find(path);
      if (it == p->path_ids.end()) continue;
      Column& col = p->columns[it->second];
      if (!col.Has(idx)) continue;
      auto type = static_cast<AttrType>(col.type[idx]);
      if (type == AttrType::kFile || type == AttrType::kFileSeries) col.type[idx] = 0;
    }
  });
}

// The closest path of the project to an unknown one: the same last segment
// (config/lr → lr), else within two edits; "" when none.
std::string Catalog::Suggest(const Project* p, std::string_view unknown) {
  std::string_view leaf = Leaf(unknown);
  std::string best;
  size_t best_d = 3;
  for (const auto& path : p->paths) {
    if (Leaf(path) == leaf) return path;
    size_t d = Distance(unknown, path, best_d - 1);
    if (d < best_d) {
      best_d = d;
      best = path;
    }
  }
  return best;
}

void Catalog::FindUnknown(const Project* p, const RunsQuery& q, RunsPage* page) {
  static constexpr std::string_view kKnownSys[] = {"sys/id", "sys/name", "sys/experiment", "sys/state",
                                                   "sys/created_at", "sys/updated_at", "sys/fork_run_id",
                                                   "sys/fork_step", "sys/tags", "sys/group_tags",
                                                   "sys/description", "sys/trashed", "sys/archived"};
  auto known = [&](std::string_view path) {
    // `agg` outlives every use of `path`, which may point into it.
    std::optional<query::AggregateRef> agg = query::ParseAggregate(path);
    if (agg) path = agg->path;
    for (auto k : kKnownSys)
      if (path == k) return true;
    return p->path_ids.count(std::string(path)) > 0;
  };
  std::vector<std::string> paths = q.filter.ReferencedPaths();
  for (const auto& key : q.sort) paths.push_back(key.path);
  for (const auto& path : paths) {
    if (known(path)) continue;
    bool seen = false;
    for (const auto& [u, s] : page->unknown_paths) seen = seen || u == path;
    if (seen) continue;
    auto agg = query::ParseAggregate(path);
    std::string hint = Suggest(p, agg ? std::string_view(agg->path) : std::string_view(path));
    if (agg && !hint.empty()) hint = std::string(query::AggregateName(agg->fn)) + "(" + hint + ")";
    page->unknown_paths.emplace_back(path, std::move(hint));
  }
}

Result<std::vector<storage::RunInfo>> Catalog::RunsWithFloatSeries(int64_t project_id,
                                                                   const std::string& path) {
  RETURN_IF_ERROR(Load(project_id));
  Project* p = Get(project_id);
  std::lock_guard<std::mutex> l(p->mu);
  std::vector<storage::RunInfo> out;
  auto it = p->path_ids.find(path);
  if (it == p->path_ids.end()) return out;
  const Column& col = p->columns[it->second];
  for (size_t i = 0; i < p->runs.size(); ++i)
    if (col.Has(i) && static_cast<AttrType>(col.type[i]) == AttrType::kFloatSeries) out.push_back(p->runs[i]);
  return out;
}

Result<RunsPage> Catalog::Query(int64_t project_id, const RunsQuery& q, const ExtraValues* extra) {
  RETURN_IF_ERROR(Load(project_id));
  Project* p = Get(project_id);
  std::lock_guard<std::mutex> l(p->mu);

  // Staleness depends on the clock, so it is applied per query.
  int64_t now = NowMicros();
  for (auto& r : p->runs)
    if (r.state == model::RunState::kRunning || r.state == model::RunState::kStale) {
      r.state = model::RunState::kRunning;
      r.state = WithStaleness(r, now, stale_after_us_).state;
    }

  // Trashed and archived runs carry the config flag (true) only while so.
  auto flagged = [](const Lookup& lk, std::string_view path) {
    const Value* v = lk.Find(path);
    return v && v->type == AttrType::kBool && v->i != 0;
  };
  auto keeps = [&](const Lookup& lk, Visibility vis, std::string_view path) {
    if (vis == Visibility::kInclude) return true;
    return flagged(lk, path) == (vis == Visibility::kOnly);
  };
  std::vector<uint32_t> hits;
  hits.reserve(p->runs.size());
  size_t visible = 0;
  Lookup lk(p, 0, extra);
  for (uint32_t i = 0; i < p->runs.size(); ++i) {
    lk.Reset(i);
    if (!keeps(lk, q.trashed, "sys/trashed") || !keeps(lk, q.archived, "sys/archived")) continue;
    ++visible;
    if (q.filter.MatchesAll() || q.filter.Matches(lk)) hits.push_back(i);
  }

  RunsPage page;
  page.unfiltered_total = visible;
  FindUnknown(p, q, &page);
  page.total = hits.size();
  // Resolve sort keys once per hit and key; absent keys sort last.
  size_t nk = q.sort.size();
  std::vector<Value> keyvals(hits.size() * nk);
  std::vector<char> present(hits.size() * nk, 0);
  for (size_t i = 0; i < hits.size(); ++i) {
    lk.Reset(hits[i]);
    for (size_t k = 0; k < nk; ++k)
      if (const Value* v = lk.Find(q.sort[k].path)) {
        keyvals[i * nk + k] = *v;
        present[i * nk + k] = 1;
      }
  }
  std::vector<uint32_t> order(hits.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  auto less = [&](uint32_t a, uint32_t b) {
    for (size_t k = 0; k < nk; ++k) {
      bool pa = present[a * nk + k], pb = present[b * nk + k];
      if (pa != pb) return pa;
      if (!pa) continue;
      int c = CompareValues(keyvals[a * nk + k], keyvals[b * nk + k]);
      if (c != 0) return q.sort[k].descending ? c > 0 : c < 0;
    }
    // Tie-break: newest first, then internal id, so pages are stable.
    const auto& ra = p->runs[hits[a]];
    const auto& rb = p->runs[hits[b]];
    if (ra.created_us != rb.created_us) return ra.created_us > rb.created_us;
    return ra.id > rb.id;
  };
  size_t end = std::min(order.size(), q.offset + q.limit);
  if (q.offset < order.size()) {
    std::partial_sort(order.begin(), order.begin() + end, order.end(), less);
    for (size_t i = q.offset; i < end; ++i) {
      uint32_t idx = hits[order[i]];
      RunRow row;
      row.run = p->runs[idx];
      if (q.columns) {
        lk.Reset(idx);
        for (const auto& c : *q.columns)
          if (const Value* v = lk.Find(c)) row.attributes.push_back({c, *v});
      } else {
        for (uint32_t c = 0; c < p->columns.size(); ++c)
          if (p->columns[c].Has(idx)) row.attributes.push_back({p->paths[c], p->columns[c].Get(idx)});
      }
      std::sort(row.attributes.begin(), row.attributes.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      page.rows.push_back(std::move(row));
    }
  }
  return page;
}

Result<std::vector<PathSummary>> Catalog::Paths(int64_t project_id) {
  return PathsAfter(project_id, "", SIZE_MAX);
}

Result<std::vector<PathSummary>> Catalog::PathsAfter(int64_t project_id, const std::string& after,
                                                     size_t limit) {
  RETURN_IF_ERROR(Load(project_id));
  Project* p = Get(project_id);
  std::lock_guard<std::mutex> l(p->mu);
  p->SortPaths();
  auto it = std::upper_bound(p->sorted_ids.begin(), p->sorted_ids.end(), after,
                             [&](const std::string& key, uint32_t id) { return key < p->paths[id]; });
  std::vector<PathSummary> out;
  for (; it != p->sorted_ids.end() && out.size() < limit; ++it)
    if (auto s = p->Summary(*it)) out.push_back(std::move(*s));
  return out;
}

Status ValidateRunsQuery(const RunsQuery& q) {
  if (q.limit > model::kMaxRunsLimit)
    return Status::InvalidArgument("limit: expected an integer from 0 to " +
                                   std::to_string(model::kMaxRunsLimit));
  if (q.offset > model::kMaxRunsOffset)
    return Status::InvalidArgument("offset: expected an integer from 0 to " +
                                   std::to_string(model::kMaxRunsOffset));
  for (size_t i = 0; i < q.sort.size(); ++i)
    RETURN_IF_ERROR(model::ValidatePath(q.sort[i].path).WithContext("sort"));
  if (q.columns)
    for (size_t i = 0; i < q.columns->size(); ++i)
      RETURN_IF_ERROR(model::ValidatePath((*q.columns)[i])
                          .WithContext("columns[" + std::to_string(i) + "]"));
  return Status::Ok();
}

}  // namespace sextant::core
