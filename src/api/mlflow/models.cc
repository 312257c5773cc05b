// MLflow 3 logged models. A logged model is a Sextant run in the
// experiment's project: run id = model id ("m-<32 hex>"), name = the model's
// name, sys/tags has "mlflow-model", status/source_run_id/model_type are
// string configs model/<field>, params and tags live where a run's do, and
// its files (artifacts/<path>) are the model's artifacts.
#include <random>

#include "api/mlflow/experiments.h"
#include "api/mlflow/log.h"
#include "api/mlflow/module.h"
#include "api/mlflow/respond.h"
#include "api/mlflow/run_json.h"
#include "api/mlflow/search.h"
#include "api/mlflow/search_paging.h"
#include "query/filter.h"

namespace sextant::api::mlflow {

namespace {

using auth::Role;

std::string NewModelId() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  static const char kHex[] = "0123456789abcdef";
  std::string id = "m-";
  for (int i = 0; i < 32; ++i) id += kHex[rng() % 16];
  return id;
}

Result<std::string> ParseModelStatus(const std::string& s) {
  if (s == "LOGGED_MODEL_PENDING" || s == "LOGGED_MODEL_READY" ||
      s == "LOGGED_MODEL_UPLOAD_FAILED")
    return s;
  if (s == "1") return std::string("LOGGED_MODEL_PENDING");
  if (s == "2") return std::string("LOGGED_MODEL_READY");
  if (s == "3") return std::string("LOGGED_MODEL_UPLOAD_FAILED");
  return Status::InvalidArgument("Invalid value \"" + s + "\" for parameter 'status' supplied");
}

void WriteModel(JsonWriter& w, const std::string& experiment_id, const storage::RunInfo& run,
                const RunData& d) {
  w.BeginObject().Key("info").BeginObject();
  w.Key("model_id").String(run.run_id).Key("experiment_id").String(experiment_id);
  w.Key("name").String(run.name);
  w.Key("creation_timestamp_ms").Int(run.created_us / 1000);
  w.Key("last_updated_timestamp_ms").Int(run.updated_us / 1000);
  w.Key("artifact_uri").String("mlflow-artifacts:/" + experiment_id + "/models/" + run.run_id +
                               "/artifacts");
  std::string status = d.ModelField("status");
  w.Key("status").String(status.empty() ? "LOGGED_MODEL_PENDING" : status);
  // Absent when unset, as MLflow's server answers (its client reads None).
  std::string type = d.ModelField("model_type");
  if (!type.empty()) w.Key("model_type").String(type);
  std::string source = d.ModelField("source_run_id");
  if (!source.empty()) w.Key("source_run_id").String(source);
  w.Key("tags").BeginArray();
  for (const auto& [k, v] : d.tags)
    w.BeginObject().Key("key").String(k).Key("value").String(v).EndObject();
  w.EndArray().EndObject();
  w.Key("data").BeginObject().Key("params").BeginArray();
  for (const auto& [k, v] : d.params)
    w.BeginObject().Key("key").String(k).Key("value").String(v).EndObject();
  w.EndArray().Key("metrics").BeginArray();
  for (const auto& m : d.metrics) {
    w.BeginObject().Key("key").String(m.key).Key("value").Double(m.value);
    w.Key("timestamp").Int(m.timestamp_ms).Key("step").Int(m.step);
    w.Key("model_id").String(run.run_id);
    if (!source.empty()) w.Key("run_id").String(source);
    w.EndObject();
  }
  w.EndArray().EndObject().EndObject();
}

// At most this many values of one model metric in an answer.
constexpr size_t kModelMetricValues = 10'000;

// MLflow's server lists every value logged to a model's metric (with the
// model id), not only the last: replaces each metric of `d` with its
// series, in step order.
Status AddMetricHistories(core::Tracker* t, const model::ProjectName& project,
                          const std::string& run_id, RunData* d) {
  std::vector<RunData::Metric> all;
  for (const auto& m : d->metrics) {
    core::SeriesRequest req;
    req.run_ids = {run_id};
    req.path = m.key;
    req.limit = kModelMetricValues;
    ASSIGN_OR_RETURN(auto results, t->ReadSeries(project, req));
    size_t before = all.size();
    for (const auto& res : results) {
      if (res.type != model::AttrType::kFloatSeries) continue;
      const auto& p = res.points;
      for (size_t i = 0; i < p.size(); ++i)
        all.push_back({m.key, p.floats[i], p.ts[i] / 1000, p.steps[i] / model::kStepScale});
    }
    if (all.size() == before) all.push_back(m);
  }
  d->metrics = std::move(all);
  return Status::Ok();
}

Result<RunRef> ModelRun(Experiments* e, Context& c, const std::string& id, Role role) {
  if (!id.starts_with("m-"))
    return Status::NotFound("Logged model with ID '" + id + "' not found.");
  auto r = e->Run(c, id, role);
  if (!r.ok() && r.status().code() == Code::kNotFound)
    return Status::NotFound("Logged model with ID '" + id + "' not found.");
  return r;
}

Result<http::Response> ModelResponse(Experiments* e, const RunRef& r) {
  ASSIGN_OR_RETURN(auto attrs, e->tracker()->LastValues(r.run));
  RunData d = FromAttributes(attrs);
  if (d.trashed) return Status::NotFound("Logged model with ID '" + r.run.run_id + "' not found.");
  RETURN_IF_ERROR(AddMetricHistories(e->tracker(), r.experiment.project, r.run.run_id, &d));
  JsonWriter w;
  w.BeginObject().Key("model");
  WriteModel(w, r.experiment.id, r.run, d);
  w.EndObject();
  return Json(w.Take());
}

Result<std::vector<KeyValue>> KeyValues(const Args& a, const char* field, bool tags) {
  std::vector<KeyValue> out;
  auto body = a.Body();
  simdjson::dom::array arr;
  if (!body || body->at_key(field).get(arr) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element el : arr) {
    ASSIGN_OR_RETURN(KeyValue kv, tags ? DecodeTag(el) : DecodeParam(el));
    out.push_back(std::move(kv));
  }
  return out;
}

}  // namespace

void AddModelRoutes(Router::Module& m, Experiments* e, const Options& o) {
  core::Tracker* t = e->tracker();
  uint64_t body = o.max_body_bytes;

  AddRoute(m, "POST", "logged-models", Permission::kWrite, body, [e, t](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(std::string exp_id, a.RequiredStr("experiment_id"));
    ASSIGN_OR_RETURN(Experiment x, e->ById(c, exp_id, Role::kWriter));
    ASSIGN_OR_RETURN(x, e->Materialize(std::move(x)));
    ASSIGN_OR_RETURN(auto name, a.Str("name"));
    ASSIGN_OR_RETURN(auto source, a.Str("source_run_id"));
    ASSIGN_OR_RETURN(auto type, a.Str("model_type"));
    BatchIn in;
    ASSIGN_OR_RETURN(in.params, KeyValues(a, "params", false));
    ASSIGN_OR_RETURN(in.tags, KeyValues(a, "tags", true));
    model::CreateRunOp op;
    op.run_id = NewModelId();
    op.name = name && !name->empty() ? *name : "model";
    ASSIGN_OR_RETURN(auto created, t->CreateRun(x.project, std::move(op)));
    ASSIGN_OR_RETURN(model::LogBatch b, ToLogBatch(in));
    std::erase_if(b.configs, [](const auto& kv) { return kv.first == "sys/name"; });
    b.add_tags.push_back(kModelTag);
    b.configs.emplace_back(std::string(kModelFieldPrefix) + "status",
                           model::Value::String("LOGGED_MODEL_PENDING"));
    if (source && !source->empty())
      b.configs.emplace_back(std::string(kModelFieldPrefix) + "source_run_id",
                             model::Value::String(*source));
    if (type && !type->empty())
      b.configs.emplace_back(std::string(kModelFieldPrefix) + "model_type",
                             model::Value::String(*type));
    RETURN_IF_ERROR(t->Log(x.project, created.first.run_id, std::move(b)).status());
    ASSIGN_OR_RETURN(auto run, t->GetRun(x.project, created.first.run_id));
    return ModelResponse(e, RunRef{x, run});
  });

  AddRoute(m, "GET", "logged-models/{model_id}", Permission::kRead, 0, [e](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(RunRef r, ModelRun(e, c, c.Param("model_id"), Role::kViewer));
    return ModelResponse(e, r);
  });

  AddRoute(m, "PATCH", "logged-models/{model_id}", Permission::kWrite, body, [e, t](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(RunRef r, ModelRun(e, c, c.Param("model_id"), Role::kWriter));
    ASSIGN_OR_RETURN(std::string s, a.RequiredStr("status"));
    ASSIGN_OR_RETURN(std::string status, ParseModelStatus(s));
    model::LogBatch b;
    b.configs.emplace_back(std::string(kModelFieldPrefix) + "status", model::Value::String(status));
    b.state = status == "LOGGED_MODEL_READY" ? model::RunState::kFinished
              : status == "LOGGED_MODEL_UPLOAD_FAILED" ? model::RunState::kFailed
                                                        : model::RunState::kRunning;
    RETURN_IF_ERROR(t->Log(r.experiment.project, r.run.run_id, std::move(b)).status());
    ASSIGN_OR_RETURN(r.run, t->GetRun(r.experiment.project, r.run.run_id));
    return ModelResponse(e, r);
  });

  AddRoute(m, "DELETE", "logged-models/{model_id}", Permission::kWrite, body, [e, t](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(RunRef r, ModelRun(e, c, c.Param("model_id"), Role::kWriter));
    RETURN_IF_ERROR(t->SetTrashed(r.experiment.project, r.run.run_id, true));
    return Json("{}");
  });

  AddRoute(m, "PATCH", "logged-models/{model_id}/tags", Permission::kWrite, body, [e, t](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(RunRef r, ModelRun(e, c, c.Param("model_id"), Role::kWriter));
    BatchIn in;
    ASSIGN_OR_RETURN(in.tags, KeyValues(a, "tags", true));
    ASSIGN_OR_RETURN(model::LogBatch b, ToLogBatch(in));
    if (!b.configs.empty()) RETURN_IF_ERROR(t->Log(r.experiment.project, r.run.run_id, std::move(b)).status());
    return Json("{}");
  });

  AddRoute(m, "DELETE", "logged-models/{model_id}/tags/{tag_key}", Permission::kWrite, body,
           [e, t](Context& c) -> Result<http::Response> {
             ASSIGN_OR_RETURN(RunRef r, ModelRun(e, c, c.Param("model_id"), Role::kWriter));
             model::LogBatch b;
             b.remove_configs.push_back(kTagsPrefix + c.Param("tag_key"));
             RETURN_IF_ERROR(t->Log(r.experiment.project, r.run.run_id, std::move(b)).status());
             return Json("{}");
           });

  AddRoute(m, "POST", "logged-models/{model_id}/params", Permission::kWrite, body, [e, t](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(RunRef r, ModelRun(e, c, c.Param("model_id"), Role::kWriter));
    BatchIn in;
    ASSIGN_OR_RETURN(in.params, KeyValues(a, "params", false));
    ASSIGN_OR_RETURN(model::LogBatch b, ToLogBatch(in));
    if (!b.configs.empty()) RETURN_IF_ERROR(t->Log(r.experiment.project, r.run.run_id, std::move(b)).status());
    return Json("{}");
  });

  AddRoute(m, "POST", "logged-models/search", Permission::kRead, body, [e, t](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(auto ids, a.StrList("experiment_ids"));
    ASSIGN_OR_RETURN(auto filter_text, a.Str("filter"));
    ASSIGN_OR_RETURN(std::string translated,
                     TranslateFilter(filter_text.value_or(""), SearchTarget::kLoggedModels));
    ASSIGN_OR_RETURN(Paging paging, PagingArgs(a, 100));
    std::vector<std::string> order;
    simdjson::dom::array arr;
    if (a.Body() && a.Body()->at_key("order_by").get(arr) == simdjson::SUCCESS)
      for (simdjson::dom::element el : arr) {
        simdjson::dom::element f, asc;
        if (el.at_key("field_name").get(f) != simdjson::SUCCESS)
          return Status::InvalidArgument("Missing value for required parameter 'order_by.field_name'");
        ASSIGN_OR_RETURN(std::string name, JsonStr(f, "field_name"));
        bool ascending = true;
        if (el.at_key("ascending").get(asc) == simdjson::SUCCESS && asc.get_bool().get(ascending) != simdjson::SUCCESS)
          return Status::InvalidArgument("order_by.ascending: expected true or false");
        order.push_back(name + (ascending ? " ASC" : " DESC"));
      }
    ASSIGN_OR_RETURN(auto keys, TranslateOrderBy(order, SearchTarget::kLoggedModels));
    std::string text = "sys/tags contains \"mlflow-model\" and not exists(sys/trashed)";
    if (!translated.empty()) text = "(" + translated + ") and " + text;
    auto filter = query::Filter::Parse(text);
    if (!filter.ok()) return filter.status().WithContext("filter");
    core::RunsQuery q;
    q.filter = std::move(filter).value();
    for (const auto& k : keys) q.sort.push_back({k.path, k.descending});
    q.sort.push_back({"sys/created_at", true});
    q.offset = paging.offset;
    q.limit = std::min(paging.max_results + 1, model::kMaxRunsLimit);
    JsonWriter w;
    w.BeginObject().Key("models").BeginArray();
    bool more = false;
    // One experiment at a time (logged-model searches name one in practice).
    for (const auto& id : ids) {
      auto x = e->ById(c, id, Role::kViewer);
      if (!x.ok()) {
        if (x.status().code() == Code::kNotFound) continue;
        return x.status();
      }
      if (x->project_id == 0) continue;
      ASSIGN_OR_RETURN(auto page, t->QueryRuns(x->project, q));
      for (size_t i = 0; i < page.rows.size(); ++i) {
        if (i >= paging.max_results) {
          more = true;
          break;
        }
        const auto& row = page.rows[i];
        RunData d = FromRow(row.attributes, row.run.updated_us);
        RETURN_IF_ERROR(AddMetricHistories(t, x->project, row.run.run_id, &d));
        WriteModel(w, x->id, row.run, d);
      }
    }
    w.EndArray();
    if (more) w.Key("next_page_token").String(NextPageToken(paging.offset + paging.max_results));
    w.EndObject();
    return Json(w.Take());
  });
}

}  // namespace sextant::api::mlflow
