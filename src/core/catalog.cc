#include "core/catalog.h"

#include <algorithm>
#include <cmath>

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

}  // namespace

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

uint32_t Catalog::Project::Intern(const std::string& path) {
  auto [it, inserted] = path_ids.try_emplace(path, static_cast<uint32_t>(paths.size()));
  if (inserted) paths.push_back(path);
  return it->second;
}

Catalog::Entry& Catalog::Project::Upsert(const storage::RunInfo& run) {
  auto it = by_run_id.find(run.id);
  if (it != by_run_id.end()) {
    Entry& e = runs[it->second];
    e.run = run;
    return e;
  }
  by_run_id[run.id] = runs.size();
  runs.push_back({run, {}});
  return runs.back();
}

class Catalog::Lookup : public query::AttributeLookup {
 public:
  Lookup(const Project* p, const Entry* e) : p_(p), e_(e) {}
  const Value* Find(std::string_view path) const override {
    if (BuiltIn(e_->run, path, &scratch_)) return &scratch_;
    auto id = p_->path_ids.find(std::string(path));
    if (id == p_->path_ids.end()) return nullptr;
    auto v = e_->attrs.find(id->second);
    return v == e_->attrs.end() ? nullptr : &v->second;
  }

 private:
  const Project* p_;
  const Entry* e_;
  mutable Value scratch_;
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

Status Catalog::EnsureLoaded(int64_t project_id, Project* p) {
  if (p->loaded) return Status::Ok();
  ASSIGN_OR_RETURN(auto runs, backend_->LoadProject(project_id));
  for (auto& r : runs) {
    Entry& e = p->Upsert(r.run);
    for (auto& a : r.attributes) {
      Value v = std::move(a.value);
      if (model::IsSeries(a.type) || a.type == AttrType::kFileSeries)
        v.i = a.last_step.value_or(INT64_MIN);
      e.attrs[p->Intern(a.path)] = std::move(v);
    }
  }
  p->loaded = true;
  return Status::Ok();
}

void Catalog::ApplyRun(const storage::RunInfo& run) {
  Project* p = Get(run.project_id);
  std::lock_guard<std::mutex> l(p->mu);
  if (p->loaded) p->Upsert(run);
}

void Catalog::ApplyState(const storage::RunInfo& run, model::RunState state, int64_t now_us) {
  Project* p = Get(run.project_id);
  std::lock_guard<std::mutex> l(p->mu);
  if (!p->loaded) return;
  Entry& e = p->Upsert(run);
  e.run.state = state;
  e.run.updated_us = now_us;
}

void Catalog::ApplyLog(const storage::RunInfo& run, const model::LogBatch& batch,
                       int64_t now_us) {
  Project* p = Get(run.project_id);
  std::lock_guard<std::mutex> l(p->mu);
  if (!p->loaded) return;
  Entry& e = p->Upsert(run);
  e.run.updated_us = now_us;
  if (batch.state) e.run.state = *batch.state;
  for (const auto& [path, value] : batch.configs) {
    e.attrs[p->Intern(path)] = value;
    if (path == "sys/name" && value.type == AttrType::kString) e.run.name = value.s;
  }
  if (!batch.add_tags.empty() || !batch.remove_tags.empty()) {
    Value& tags = e.attrs[p->Intern("sys/tags")];
    std::vector<std::string> set = tags.type == AttrType::kStringSet ? tags.set
                                                                     : std::vector<std::string>{};
    set.insert(set.end(), batch.add_tags.begin(), batch.add_tags.end());
    tags = Value::StringSet(std::move(set));
    std::erase_if(tags.set, [&](const std::string& t) {
      return std::find(batch.remove_tags.begin(), batch.remove_tags.end(), t) !=
             batch.remove_tags.end();
    });
  }
  for (const auto& s : batch.series) {
    auto [it, inserted] = e.attrs.try_emplace(p->Intern(s.path));
    Value& v = it->second;
    size_t last = s.size() - 1;
    if (!inserted && v.i > s.steps[last]) continue;
    v.type = s.type;
    v.i = s.steps[last];
    if (s.type == AttrType::kFloatSeries)
      v.f = s.floats[last];
    else
      v.s = s.bytes[last];
  }
}

void Catalog::ApplyFile(const storage::RunInfo& run, const std::string& path, AttrType type,
                        const std::string& digest, int64_t size) {
  Project* p = Get(run.project_id);
  std::lock_guard<std::mutex> l(p->mu);
  if (!p->loaded) return;
  Entry& e = p->Upsert(run);
  Value& v = e.attrs[p->Intern(path)];
  v.type = type;
  v.s = digest;
  v.f = static_cast<double>(size);
}

Result<RunsPage> Catalog::Query(int64_t project_id, const RunsQuery& q) {
  Project* p = Get(project_id);
  std::lock_guard<std::mutex> l(p->mu);
  RETURN_IF_ERROR(EnsureLoaded(project_id, p));

  std::vector<const Entry*> hits;
  hits.reserve(p->runs.size());
  for (const Entry& e : p->runs)
    if (q.filter.MatchesAll() || q.filter.Matches(Lookup(p, &e))) hits.push_back(&e);

  RunsPage page;
  page.total = hits.size();
  // Resolve sort keys once: a value pointer per hit and key, null when absent.
  size_t nk = q.sort.size();
  std::vector<Value> keyvals(hits.size() * nk);
  std::vector<char> present(hits.size() * nk, 0);
  for (size_t i = 0; i < hits.size(); ++i) {
    Lookup lk(p, hits[i]);
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
      if (pa != pb) return pa;  // runs without the attribute sort last
      if (!pa) continue;
      int c = CompareValues(keyvals[a * nk + k], keyvals[b * nk + k]);
      if (c != 0) return q.sort[k].descending ? c > 0 : c < 0;
    }
    // Tie-break: newest first, then internal id, so pages are stable.
    if (hits[a]->run.created_us != hits[b]->run.created_us)
      return hits[a]->run.created_us > hits[b]->run.created_us;
    return hits[a]->run.id > hits[b]->run.id;
  };
  size_t end = std::min(order.size(), q.offset + q.limit);
  if (q.offset < order.size()) {
    std::partial_sort(order.begin(), order.begin() + end, order.end(), less);
    for (size_t i = q.offset; i < end; ++i) {
      const Entry* e = hits[order[i]];
      RunRow row;
      row.run = e->run;
      if (q.columns) {
        Lookup lk(p, e);
        for (const auto& c : *q.columns)
          if (const Value* v = lk.Find(c)) row.attributes.push_back({c, *v});
      } else {
        for (const auto& [id, v] : e->attrs) row.attributes.push_back({p->paths[id], v});
      }
      std::sort(row.attributes.begin(), row.attributes.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      page.rows.push_back(std::move(row));
    }
  }
  return page;
}

}  // namespace sextant::core
