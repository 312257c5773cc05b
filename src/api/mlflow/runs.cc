// Runs: create, get, update, delete, restore, and everything that logs to
// one run (metrics, params, tags, batches, inputs, outputs).
#include <map>
#include <random>

#include "api/mlflow/experiments.h"
#include "api/mlflow/log.h"
#include "api/mlflow/module.h"
#include "api/mlflow/respond.h"
#include "api/mlflow/run_json.h"

namespace sextant::api::mlflow {

namespace {

using auth::Role;

std::string NewRunId() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  static const char kHex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 32; ++i) id += kHex[rng() % 16];
  return id;
}

// MLflow names unnamed runs with two words and a number.
std::string NewRunName() {
  static const char* kAdjectives[] = {"bold", "calm", "clever", "eager", "gentle", "brave",
                                      "bright", "quiet", "swift", "wise", "lucky", "merry"};
  static const char* kNouns[] = {"otter", "falcon", "panda", "heron", "lynx", "whale",
                                 "fox", "owl", "hare", "wolf", "crane", "seal"};
  thread_local std::mt19937_64 rng(std::random_device{}());
  return std::string(kAdjectives[rng() % 12]) + "-" + kNouns[rng() % 12] + "-" +
         std::to_string(rng() % 1000);
}

Result<http::Response> Empty() { return Json("{}"); }

// MLflow params cannot change value once logged.
Status CheckParams(core::Tracker* t, const RunRef& r, const model::LogBatch& b) {
  std::vector<std::string> paths;
  for (const auto& [path, v] : b.configs)
    if (path.starts_with(kParamsPrefix)) paths.push_back(path);
  if (paths.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(auto existing, t->FindAttributes(r.run, paths));
  for (const auto& a : existing) {
    for (const auto& [path, v] : b.configs) {
      if (path != a.path) continue;
      if (a.value.type == model::AttrType::kString && a.value.s == v.s) continue;
      std::string key = path.substr(sizeof(kParamsPrefix) - 1);
      return Status::InvalidArgument(
          "Changing param values is not allowed. Param with key='" + key +
          "' was already logged with value='" + a.value.s + "' for run ID='" + r.run.run_id +
          "'. Attempted logging new value '" + v.s + "'.");
    }
  }
  return Status::Ok();
}

Status LogTo(core::Tracker* t, const RunRef& r, model::LogBatch b) {
  RETURN_IF_ERROR(CheckParams(t, r, b));
  return t->Log(r.experiment.project, r.run.run_id, std::move(b)).status();
}

// Metrics logged with a model_id (MLflow 3) also go to that logged model,
// which is a run of the same project (models.cc).
Status LogModelMetrics(core::Tracker* t, const RunRef& r, const BatchIn& in) {
  std::map<std::string, BatchIn> by_model;
  for (const auto& m : in.metrics)
    if (!m.model_id.empty() && m.model_id != r.run.run_id) by_model[m.model_id].metrics.push_back(m);
  for (auto& [id, batch] : by_model) {
    auto model = t->GetRun(r.experiment.project, id);
    if (!model.ok()) {
      if (model.status().code() == Code::kNotFound || model.status().code() == Code::kInvalidArgument)
        continue;  // a model of another experiment, or none: the run keeps the metric
      return model.status();
    }
    ASSIGN_OR_RETURN(auto b, ToLogBatch(batch));
    RETURN_IF_ERROR(t->Log(r.experiment.project, id, std::move(b)).status());
  }
  return Status::Ok();
}

// Checks the run is active before a write (MLflow refuses writes to deleted runs).
Result<RunRef> WritableRun(Experiments* e, Context& c, const Args& a) {
  ASSIGN_OR_RETURN(std::string id, Experiments::RunIdArg(a));
  ASSIGN_OR_RETURN(RunRef r, e->Run(c, id, Role::kWriter));
  ASSIGN_OR_RETURN(auto trashed, e->tracker()->FindAttributes(r.run, {"sys/trashed"}));
  if (!trashed.empty())
    return Status::InvalidArgument("The run " + id +
                                   " must be in the 'active' state. Current state is deleted.");
  return r;
}

Result<http::Response> RunResponse(Experiments* e, const RunRef& r) {
  ASSIGN_OR_RETURN(auto attrs, e->tracker()->LastValues(r.run));
  RunData d = FromAttributes(attrs);
  d.trashed = d.trashed || r.experiment.deleted;  // as MLflow: a deleted experiment's runs are
  JsonWriter w;
  w.BeginObject().Key("run");
  WriteRun(w, r.experiment.id, r.run, d);
  w.EndObject();
  return Json(w.Take());
}

// A dataset input as canonical JSON (what runs/get returns).
Result<std::pair<std::string, std::string>> DatasetInput(simdjson::dom::element e) {
  simdjson::dom::element ds;
  if (e.at_key("dataset").get(ds) != simdjson::SUCCESS)
    return Status::InvalidArgument("Missing value for required parameter 'datasets.dataset'");
  JsonWriter w;
  w.BeginObject().Key("tags").BeginArray();
  simdjson::dom::array tags;
  if (e.at_key("tags").get(tags) == simdjson::SUCCESS) {
    for (simdjson::dom::element t : tags) {
      ASSIGN_OR_RETURN(KeyValue kv, DecodeTag(t));
      w.BeginObject().Key("key").String(kv.key).Key("value").String(kv.value).EndObject();
    }
  }
  w.EndArray().Key("dataset").BeginObject();
  std::string name, digest;
  for (const char* f : {"name", "digest", "source_type", "source", "schema", "profile"}) {
    simdjson::dom::element v;
    if (ds.at_key(f).get(v) != simdjson::SUCCESS || v.is_null()) continue;
    ASSIGN_OR_RETURN(std::string s, JsonStr(v, f));
    if (std::string_view(f) == "name") name = s;
    if (std::string_view(f) == "digest") digest = s;
    w.Key(f).String(s);
  }
  w.EndObject().EndObject();
  if (name.empty() || digest.empty())
    return Status::InvalidArgument("Missing value for required parameter 'dataset.name' or "
                                   "'dataset.digest'");
  // One attribute per (name, digest), as MLflow keeps one input per dataset.
  uint64_t h = 1469598103934665603ull;
  for (char ch : name + '\0' + digest) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(h));
  return std::make_pair(std::string(kDatasetsPrefix) + hex, w.Take());
}

}  // namespace

void AddRunRoutes(Router::Module& m, Experiments* e, const Options& o) {
  core::Tracker* t = e->tracker();
  uint64_t body = o.max_body_bytes;

  AddRoute(m, "POST", "runs/create", Permission::kWrite, body, [e, t](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(auto exp_id, a.Str("experiment_id"));
    ASSIGN_OR_RETURN(Experiment x, e->ById(c, exp_id.value_or("0"), Role::kWriter));
    if (x.deleted)
      return Status::InvalidArgument("The experiment " + x.id +
                                     " must be in the 'active' state. Current state is deleted.");
    ASSIGN_OR_RETURN(x, e->Materialize(std::move(x)));
    BatchIn tags;
    if (auto b = a.Body()) {
      simdjson::dom::array arr;
      if (b->at_key("tags").get(arr) == simdjson::SUCCESS)
        for (simdjson::dom::element el : arr) {
          ASSIGN_OR_RETURN(KeyValue kv, DecodeTag(el));
          tags.tags.push_back(std::move(kv));
        }
    }
    ASSIGN_OR_RETURN(auto user, a.Str("user_id"));
    ASSIGN_OR_RETURN(auto run_name, a.Str("run_name"));
    ASSIGN_OR_RETURN(auto start, a.Int("start_time"));
    std::string name = run_name.value_or("");
    for (const auto& kv : tags.tags)
      if (kv.key == kRunNameTag && name.empty()) name = kv.value;
    if (name.empty()) name = NewRunName();
    bool has_user = false;
    for (auto& kv : tags.tags) {
      if (kv.key == kRunNameTag) kv.value = name;  // run_name wins, as in MLflow
      has_user = has_user || kv.key == "mlflow.user";
    }
    if (user && !user->empty() && !has_user) tags.tags.push_back({"mlflow.user", *user});
    model::CreateRunOp op;
    op.run_id = NewRunId();
    op.name = name;
    if (start && *start > 0) op.created_us = *start * 1000;
    ASSIGN_OR_RETURN(auto created, t->CreateRun(x.project, std::move(op)));
    ASSIGN_OR_RETURN(model::LogBatch batch, ToLogBatch(tags));
    std::erase_if(batch.configs, [](const auto& kv) { return kv.first == "sys/name"; });
    if (!batch.configs.empty()) RETURN_IF_ERROR(t->Log(x.project, created.first.run_id, std::move(batch)).status());
    return RunResponse(e, RunRef{x, created.first});
  });

  AddRoute(m, "GET", "runs/get", Permission::kRead, 0, [e](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(std::string id, Experiments::RunIdArg(a));
    ASSIGN_OR_RETURN(RunRef r, e->Run(c, id, Role::kViewer));
    return RunResponse(e, r);
  });

  AddRoute(m, "POST", "runs/update", Permission::kWrite, body, [e, t](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(std::string id, Experiments::RunIdArg(a));
    ASSIGN_OR_RETURN(RunRef r, e->Run(c, id, Role::kWriter));
    ASSIGN_OR_RETURN(auto status, a.Str("status"));
    ASSIGN_OR_RETURN(auto run_name, a.Str("run_name"));
    ASSIGN_OR_RETURN(auto end_time, a.Int("end_time"));
    model::LogBatch b;
    if (run_name && !run_name->empty()) b.configs.emplace_back("sys/name", model::Value::String(*run_name));
    std::optional<model::RunState> state;
    bool killed = false;
    if (status && !status->empty()) {
      ASSIGN_OR_RETURN(state, ParseStatus(*status, &killed));
      if (killed)
        b.configs.emplace_back(kKilledTag, model::Value::String("true"));
      else
        b.remove_configs.push_back(kKilledTag);
    }
    if (!b.configs.empty() || !b.remove_configs.empty())
      RETURN_IF_ERROR(t->Log(r.experiment.project, r.run.run_id, std::move(b)).status());
    if (state) {
      std::optional<int64_t> at;
      if (end_time && *state != model::RunState::kRunning && *end_time >= 0 &&
          *end_time <= model::kMaxTimestampUs / 1000)
        at = *end_time * 1000;
      ASSIGN_OR_RETURN(r.run, t->Finish(r.experiment.project, r.run.run_id, *state, at));
    } else {
      ASSIGN_OR_RETURN(r.run, t->GetRun(r.experiment.project, r.run.run_id));
    }
    ASSIGN_OR_RETURN(auto attrs, t->FindAttributes(r.run, {"sys/trashed", kKilledTag, "tags/mlflow.user"}));
    RunData d = FromAttributes(attrs);
    d.trashed = d.trashed || r.experiment.deleted;
    JsonWriter w;
    w.BeginObject().Key("run_info");
    WriteRunInfo(w, r.experiment.id, r.run, d);
    w.EndObject();
    return Json(w.Take());
  });

  for (bool trash : {true, false}) {
    AddRoute(m, "POST", trash ? "runs/delete" : "runs/restore", Permission::kWrite, body,
             [e, t, trash](Context& c) -> Result<http::Response> {
               ASSIGN_OR_RETURN(Args a, Args::From(c));
               ASSIGN_OR_RETURN(std::string id, Experiments::RunIdArg(a));
               ASSIGN_OR_RETURN(RunRef r, e->Run(c, id, Role::kWriter));
               RETURN_IF_ERROR(t->SetTrashed(r.experiment.project, r.run.run_id, trash));
               return Empty();
             });
  }

  AddRoute(m, "POST", "runs/log-metric", Permission::kWrite, body, [e, t](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(RunRef r, WritableRun(e, c, a));
    ASSIGN_OR_RETURN(MetricIn mi, DecodeMetric(*a.Body()));
    BatchIn in;
    in.metrics.push_back(std::move(mi));
    ASSIGN_OR_RETURN(auto b, ToLogBatch(in));
    RETURN_IF_ERROR(LogTo(t, r, std::move(b)));
    RETURN_IF_ERROR(LogModelMetrics(t, r, in));
    return Empty();
  });

  AddRoute(m, "POST", "runs/log-parameter", Permission::kWrite, body, [e, t](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(RunRef r, WritableRun(e, c, a));
    ASSIGN_OR_RETURN(KeyValue kv, DecodeParam(*a.Body()));
    BatchIn in;
    in.params.push_back(std::move(kv));
    ASSIGN_OR_RETURN(auto b, ToLogBatch(in));
    RETURN_IF_ERROR(LogTo(t, r, std::move(b)));
    return Empty();
  });

  AddRoute(m, "POST", "runs/set-tag", Permission::kWrite, body, [e, t](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(RunRef r, WritableRun(e, c, a));
    ASSIGN_OR_RETURN(KeyValue kv, DecodeTag(*a.Body()));
    BatchIn in;
    in.tags.push_back(std::move(kv));
    ASSIGN_OR_RETURN(auto b, ToLogBatch(in));
    RETURN_IF_ERROR(LogTo(t, r, std::move(b)));
    return Empty();
  });

  AddRoute(m, "POST", "runs/delete-tag", Permission::kWrite, body, [e, t](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(RunRef r, WritableRun(e, c, a));
    ASSIGN_OR_RETURN(std::string key, a.RequiredStr("key"));
    std::string path = kTagsPrefix + key;
    ASSIGN_OR_RETURN(auto existing, t->FindAttributes(r.run, {path}));
    if (existing.empty())
      return Status::NotFound("No tag with name: " + key + " in run with id " + r.run.run_id);
    model::LogBatch b;
    b.remove_configs.push_back(path);
    RETURN_IF_ERROR(t->Log(r.experiment.project, r.run.run_id, std::move(b)).status());
    return Empty();
  });

  AddRoute(m, "POST", "runs/log-batch", Permission::kWrite, body, [e, t](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(BatchIn in, DecodeBatch(*a.Body(), c.req.body.size()));
    ASSIGN_OR_RETURN(RunRef r, WritableRun(e, c, a));
    ASSIGN_OR_RETURN(auto b, ToLogBatch(in));
    if (b.configs.empty() && b.series.empty()) return Empty();
    RETURN_IF_ERROR(LogTo(t, r, std::move(b)));
    RETURN_IF_ERROR(LogModelMetrics(t, r, in));
    return Empty();
  });

  AddRoute(m, "POST", "runs/log-inputs", Permission::kWrite, body, [e, t](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(RunRef r, WritableRun(e, c, a));
    model::LogBatch b;
    simdjson::dom::array arr;
    if (a.Body()->at_key("datasets").get(arr) == simdjson::SUCCESS)
      for (simdjson::dom::element el : arr) {
        ASSIGN_OR_RETURN(auto kv, DatasetInput(el));
        b.configs.emplace_back(kv.first, model::Value::String(std::move(kv.second)));
      }
    if (a.Body()->at_key("models").get(arr) == simdjson::SUCCESS)
      for (simdjson::dom::element el : arr) {
        simdjson::dom::element id;
        if (el.at_key("model_id").get(id) != simdjson::SUCCESS)
          return Status::InvalidArgument("Missing value for required parameter 'models.model_id'");
        ASSIGN_OR_RETURN(std::string s, JsonStr(id, "model_id"));
        b.configs.emplace_back(kModelInputsPrefix + s, model::Value::Bool(true));
      }
    std::sort(b.configs.begin(), b.configs.end(), [](auto& x, auto& y) { return x.first < y.first; });
    b.configs.erase(std::unique(b.configs.begin(), b.configs.end(),
                                [](auto& x, auto& y) { return x.first == y.first; }),
                    b.configs.end());
    if (!b.configs.empty()) RETURN_IF_ERROR(t->Log(r.experiment.project, r.run.run_id, std::move(b)).status());
    return Empty();
  });

  AddRoute(m, "POST", "runs/outputs", Permission::kWrite, body, [e, t](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(RunRef r, WritableRun(e, c, a));
    model::LogBatch b;
    simdjson::dom::array arr;
    if (a.Body()->at_key("models").get(arr) == simdjson::SUCCESS)
      for (simdjson::dom::element el : arr) {
        simdjson::dom::element id, step;
        if (el.at_key("model_id").get(id) != simdjson::SUCCESS)
          return Status::InvalidArgument("Missing value for required parameter 'models.model_id'");
        ASSIGN_OR_RETURN(std::string s, JsonStr(id, "model_id"));
        int64_t st = 0;
        if (el.at_key("step").get(step) == simdjson::SUCCESS) {
          ASSIGN_OR_RETURN(st, JsonInt(step, "step"));
        }
        b.configs.emplace_back(kModelOutputsPrefix + s, model::Value::Int(st));
      }
    if (!b.configs.empty()) RETURN_IF_ERROR(t->Log(r.experiment.project, r.run.run_id, std::move(b)).status());
    return Empty();
  });
}

}  // namespace sextant::api::mlflow
