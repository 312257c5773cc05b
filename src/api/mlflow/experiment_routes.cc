// Experiments: create, get, get-by-name, search, update, delete, restore, tags.
#include <algorithm>

#include "api/mlflow/experiments.h"
#include "api/mlflow/module.h"
#include "api/json_writer.h"
#include "api/mlflow/respond.h"
#include "api/mlflow/search.h"
#include "api/mlflow/search_paging.h"
#include "core/catalog.h"
#include "query/filter.h"

namespace sextant::api::mlflow {

namespace {

using auth::Role;

void WriteExperiment(JsonWriter& w, const Experiment& x) {
  w.BeginObject();
  w.Key("experiment_id").String(x.id).Key("name").String(x.name);
  w.Key("artifact_location").String("mlflow-artifacts:/" + x.id);
  w.Key("lifecycle_stage").String(x.deleted ? "deleted" : "active");
  w.Key("last_update_time").Int(x.updated_us / 1000);
  w.Key("creation_time").Int(x.created_us / 1000);
  w.Key("tags").BeginArray();
  for (const auto& [k, v] : x.tags)
    w.BeginObject().Key("key").String(k).Key("value").String(v).EndObject();
  w.EndArray().EndObject();
}

Result<http::Response> One(const Experiment& x) {
  JsonWriter w;
  w.BeginObject().Key("experiment");
  WriteExperiment(w, x);
  w.EndObject();
  return Json(w.Take());
}

// An experiment as the filter language sees it.
class ExperimentLookup : public query::AttributeLookup {
 public:
  explicit ExperimentLookup(const Experiment& x) : x_(x) {}
  const model::Value* Find(std::string_view path) const override {
    if (path == "sys/name") {
      v_ = model::Value::String(x_.name);
    } else if (path == "sys/created_at") {
      v_ = model::Value::Datetime(x_.created_us);
    } else if (path == "sys/updated_at") {
      v_ = model::Value::Datetime(x_.updated_us);
    } else if (path == "sys/id") {
      v_ = model::Value::String(x_.id);
    } else if (path.starts_with("tags/")) {
      for (const auto& [k, val] : x_.tags)
        if (k == path.substr(5)) {
          v_ = model::Value::String(val);
          return &v_;
        }
      return nullptr;
    } else {
      return nullptr;
    }
    return &v_;
  }

 private:
  const Experiment& x_;
  mutable model::Value v_;
};

Result<Experiment> ExperimentArg(Experiments* e, Context& c, const Args& a, Role role) {
  ASSIGN_OR_RETURN(std::string id, a.RequiredStr("experiment_id"));
  return e->ById(c, id, role);
}

}  // namespace

void AddExperimentRoutes(Router::Module& m, Experiments* e, const Options& o) {
  uint64_t body = o.max_body_bytes;

  AddRoute(m, "POST", "experiments/create", Permission::kWrite, body, [e](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(std::string name, a.RequiredStr("name"));
    std::vector<std::pair<std::string, std::string>> tags;
    simdjson::dom::array arr;
    if (a.Body() && a.Body()->at_key("tags").get(arr) == simdjson::SUCCESS)
      for (simdjson::dom::element t : arr) {
        simdjson::dom::element k, v;
        if (t.at_key("key").get(k) != simdjson::SUCCESS)
          return Status::InvalidArgument("Missing value for required parameter 'tags.key'");
        ASSIGN_OR_RETURN(std::string ks, JsonStr(k, "key"));
        std::string vs;
        if (t.at_key("value").get(v) == simdjson::SUCCESS && !v.is_null()) {
          ASSIGN_OR_RETURN(vs, JsonStr(v, "value"));
        }
        tags.emplace_back(std::move(ks), std::move(vs));
      }
    ASSIGN_OR_RETURN(Experiment x, e->Create(c, name, tags));
    JsonWriter w;
    w.BeginObject().Key("experiment_id").String(x.id).EndObject();
    return Json(w.Take());
  });

  AddRoute(m, "GET", "experiments/get", Permission::kRead, 0, [e](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(Experiment x, ExperimentArg(e, c, a, Role::kViewer));
    return One(x);
  });

  AddRoute(m, "GET", "experiments/get-by-name", Permission::kRead, 0, [e](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(std::string name, a.RequiredStr("experiment_name"));
    ASSIGN_OR_RETURN(Experiment x, e->ByName(c, name, Role::kViewer));
    return One(x);
  });

  Handler search = [e](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(auto filter_text, a.Str("filter"));
    ASSIGN_OR_RETURN(std::string translated,
                     TranslateFilter(filter_text.value_or(""), SearchTarget::kExperiments));
    ASSIGN_OR_RETURN(query::Filter filter, query::Filter::Parse(translated));
    ASSIGN_OR_RETURN(auto order_by, a.StrList("order_by"));
    ASSIGN_OR_RETURN(auto keys, TranslateOrderBy(order_by, SearchTarget::kExperiments));
    ASSIGN_OR_RETURN(ViewType view, ViewTypeArg(a, "view_type"));
    ASSIGN_OR_RETURN(Paging paging, PagingArgs(a, 1000));
    ASSIGN_OR_RETURN(auto all, e->List(c));
    std::vector<const Experiment*> hits;
    for (const auto& x : all) {
      if (view == ViewType::kActiveOnly && x.deleted) continue;
      if (view == ViewType::kDeletedOnly && !x.deleted) continue;
      if (!filter.Matches(ExperimentLookup(x))) continue;
      hits.push_back(&x);
    }
    if (keys.empty()) keys.push_back({"sys/created_at", true});
    std::stable_sort(hits.begin(), hits.end(), [&](const Experiment* l, const Experiment* r) {
      ExperimentLookup ll(*l), rl(*r);
      for (const auto& k : keys) {
        const model::Value* lv = ll.Find(k.path);
        model::Value lc = lv ? *lv : model::Value();
        bool lhas = lv != nullptr;
        const model::Value* rv = rl.Find(k.path);
        bool rhas = rv != nullptr;
        if (lhas != rhas) return lhas;  // missing values last
        if (!lhas) continue;
        int cmp = k.path == "sys/id"  // experiment ids are numbers in MLflow
                      ? (std::stoll(lc.s) < std::stoll(rv->s) ? -1 : std::stoll(lc.s) > std::stoll(rv->s))
                      : core::CompareValues(lc, *rv);
        if (cmp != 0) return k.descending ? cmp > 0 : cmp < 0;
      }
      return std::stoll(l->id) < std::stoll(r->id);
    });
    JsonWriter w;
    w.BeginObject().Key("experiments").BeginArray();
    size_t end = std::min(hits.size(), paging.offset + paging.max_results);
    for (size_t i = paging.offset; i < end; ++i) WriteExperiment(w, *hits[i]);
    w.EndArray();
    if (end < hits.size()) w.Key("next_page_token").String(NextPageToken(end));
    w.EndObject();
    return Json(w.Take());
  };
  AddRoute(m, "GET", "experiments/search", Permission::kRead, 0, search);
  AddRoute(m, "POST", "experiments/search", Permission::kRead, body, search);

  AddRoute(m, "POST", "experiments/update", Permission::kWrite, body, [e](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(Experiment x, ExperimentArg(e, c, a, Role::kWriter));
    ASSIGN_OR_RETURN(auto name, a.Str("new_name"));
    if (name) RETURN_IF_ERROR(e->Rename(x, *name));
    return Json("{}");
  });

  for (bool del : {true, false}) {
    AddRoute(m, "POST", del ? "experiments/delete" : "experiments/restore", Permission::kWrite, body,
             [e, del](Context& c) -> Result<http::Response> {
               ASSIGN_OR_RETURN(Args a, Args::From(c));
               ASSIGN_OR_RETURN(Experiment x, ExperimentArg(e, c, a, Role::kWriter));
               RETURN_IF_ERROR(e->SetLifecycle(x, del));
               return Json("{}");
             });
  }

  AddRoute(m, "POST", "experiments/set-experiment-tag", Permission::kWrite, body,
           [e](Context& c) -> Result<http::Response> {
             ASSIGN_OR_RETURN(Args a, Args::From(c));
             ASSIGN_OR_RETURN(Experiment x, ExperimentArg(e, c, a, Role::kWriter));
             ASSIGN_OR_RETURN(std::string key, a.RequiredStr("key"));
             ASSIGN_OR_RETURN(auto value, a.Str("value"));
             RETURN_IF_ERROR(e->SetTag(x, key, value.value_or("")));
             return Json("{}");
           });

  AddRoute(m, "POST", "experiments/delete-experiment-tag", Permission::kWrite, body,
           [e](Context& c) -> Result<http::Response> {
             ASSIGN_OR_RETURN(Args a, Args::From(c));
             ASSIGN_OR_RETURN(Experiment x, ExperimentArg(e, c, a, Role::kWriter));
             ASSIGN_OR_RETURN(std::string key, a.RequiredStr("key"));
             RETURN_IF_ERROR(e->DeleteTag(x, key));
             return Json("{}");
           });
}

}  // namespace sextant::api::mlflow
