// runs/search: MLflow's search grammar is translated into Sextant's filter
// language (search.h) and answered by the runs catalogue, the same engine
// as the native runs table.
#include <algorithm>

#include "api/mlflow/experiments.h"
#include "api/mlflow/module.h"
#include "api/mlflow/respond.h"
#include "api/mlflow/run_json.h"
#include "api/mlflow/search.h"
#include "api/mlflow/search_paging.h"
#include "core/catalog.h"
#include "query/filter.h"

namespace sextant::api::mlflow {

namespace {

using auth::Role;

struct Hit {
  const Experiment* experiment;
  core::RunRow row;
};

// Every matching row of one project, up to `want` of them, in order.
Status Collect(core::Tracker* t, const Experiment& x, const core::RunsQuery& base, size_t want,
               std::vector<Hit>* out) {
  core::RunsQuery q = base;
  q.offset = 0;
  while (want > 0) {
    q.limit = std::min(want, model::kMaxRunsLimit);
    ASSIGN_OR_RETURN(auto page, t->QueryRuns(x.project, q));
    for (auto& row : page.rows) out->push_back({&x, std::move(row)});
    if (page.rows.size() < q.limit) break;
    want -= q.limit;
    q.offset += q.limit;
  }
  return Status::Ok();
}

const model::Value* FindIn(const core::RunRow& r, const std::string& path, model::Value* tmp) {
  if (path == "sys/created_at") {
    *tmp = model::Value::Datetime(r.run.created_us);
    return tmp;
  }
  if (path == "sys/updated_at") {
    *tmp = model::Value::Datetime(r.run.updated_us);
    return tmp;
  }
  if (path == "sys/name") {
    *tmp = model::Value::String(r.run.name);
    return tmp;
  }
  if (path == "sys/id") {
    *tmp = model::Value::String(r.run.run_id);
    return tmp;
  }
  auto it = std::lower_bound(r.attributes.begin(), r.attributes.end(), path,
                             [](const auto& kv, const std::string& p) { return kv.first < p; });
  if (it == r.attributes.end() || it->first != path) return nullptr;
  return &it->second;
}

}  // namespace

void AddSearchRoutes(Router::Module& m, Experiments* e, const Options& o) {
  core::Tracker* t = e->tracker();
  Handler search = [e, t](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(auto ids, a.StrList("experiment_ids"));
    ASSIGN_OR_RETURN(auto filter_text, a.Str("filter"));
    ASSIGN_OR_RETURN(std::string translated,
                     TranslateFilter(filter_text.value_or(""), SearchTarget::kRuns));
    ASSIGN_OR_RETURN(ViewType view, ViewTypeArg(a, "run_view_type"));
    ASSIGN_OR_RETURN(Paging paging, PagingArgs(a, 1000));
    ASSIGN_OR_RETURN(auto order_by, a.StrList("order_by"));
    ASSIGN_OR_RETURN(auto keys, TranslateOrderBy(order_by, SearchTarget::kRuns));

    // The runs of a deleted experiment are deleted too (as in MLflow).
    auto make_query = [&](bool experiment_deleted) -> Result<core::RunsQuery> {
      std::string text = "not sys/tags contains \"mlflow-model\"";
      if (view == ViewType::kActiveOnly) text += " and not exists(sys/trashed)";
      if (view == ViewType::kDeletedOnly && !experiment_deleted) text += " and exists(sys/trashed)";
      if (!translated.empty()) text = "(" + translated + ") and " + text;
      auto filter = query::Filter::Parse(text);
      if (!filter.ok()) return filter.status().WithContext("filter");
      core::RunsQuery q;
      q.filter = std::move(filter).value();
      for (const auto& k : keys) q.sort.push_back({k.path, k.descending});
      q.sort.push_back({"sys/created_at", true});
      q.sort.push_back({"sys/id", false});
      return q;
    };

    std::vector<Experiment> experiments;
    for (const auto& id : ids) {
      auto x = e->ById(c, id, Role::kViewer);
      if (!x.ok()) {
        if (x.status().code() == Code::kNotFound) continue;  // as MLflow: no runs
        return x.status();
      }
      if (x->project_id == 0) continue;  // the default experiment, still empty
      experiments.push_back(std::move(*x));
    }
    size_t want = paging.offset + paging.max_results + 1;
    std::vector<Hit> hits;
    std::vector<core::SortKey> sort;
    for (const auto& x : experiments) {
      if (x.deleted && view == ViewType::kActiveOnly) continue;
      ASSIGN_OR_RETURN(core::RunsQuery q, make_query(x.deleted));
      sort = q.sort;
      RETURN_IF_ERROR(Collect(t, x, q, want, &hits));
    }
    if (experiments.size() > 1) {
      std::stable_sort(hits.begin(), hits.end(), [&](const Hit& l, const Hit& r) {
        model::Value lt, rt;
        for (const auto& k : sort) {
          const model::Value* lv = FindIn(l.row, k.path, &lt);
          const model::Value* rv = FindIn(r.row, k.path, &rt);
          if (!lv || !rv) {
            if (!lv && !rv) continue;
            return lv != nullptr;  // missing values last
          }
          int cmp = core::CompareValues(*lv, *rv);
          if (cmp != 0) return k.descending ? cmp > 0 : cmp < 0;
        }
        return false;
      });
    }
    JsonWriter w;
    w.BeginObject().Key("runs").BeginArray();
    size_t end = std::min(hits.size(), paging.offset + paging.max_results);
    for (size_t i = paging.offset; i < end; ++i) {
      const Hit& h = hits[i];
      RunData d = FromRow(h.row.attributes, h.row.run.updated_us);
      d.trashed = d.trashed || h.experiment->deleted;
      WriteRun(w, h.experiment->id, h.row.run, d);
    }
    w.EndArray();
    if (end < hits.size()) w.Key("next_page_token").String(NextPageToken(end));
    w.EndObject();
    return Json(w.Take());
  };
  AddRoute(m, "POST", "runs/search", Permission::kRead, o.max_body_bytes, search);
  AddRoute(m, "GET", "runs/search", Permission::kRead, 0, search);
}

}  // namespace sextant::api::mlflow
