// Metric histories: metrics/get-history (paged), get-history-bulk and
// get-history-bulk-interval (sampled from chunk statistics: the cost grows
// with max_results, not with the points of the series).
#include <algorithm>

#include "api/mlflow/experiments.h"
#include "api/mlflow/module.h"
#include "api/json_writer.h"
#include "api/mlflow/respond.h"
#include "common/base64.h"
#include "model/limits.h"

namespace sextant::api::mlflow {

namespace {

using auth::Role;

void WritePoint(JsonWriter& w, const std::string& key, double value, int64_t ts_us,
                int64_t step_micro, const std::string* run_id) {
  w.BeginObject().Key("key").String(key).Key("value").Double(value);
  w.Key("timestamp").Int(ts_us / 1000).Key("step").Int(step_micro / model::kStepScale);
  if (run_id) w.Key("run_id").String(*run_id);
  w.EndObject();
}

Result<std::optional<int64_t>> AfterStep(const std::optional<std::string>& token) {
  if (!token || token->empty()) return std::optional<int64_t>();
  auto raw = DecodeBase64Url(*token);
  if (raw.ok()) {
    auto step = model::StepFromString(*raw);
    if (step.ok()) return std::optional<int64_t>(*step);
  }
  return Status::InvalidArgument("Invalid page token");
}

Result<std::vector<RunRef>> RunsArg(Experiments* e, Context& c, const Args& a) {
  ASSIGN_OR_RETURN(auto ids, a.StrList("run_ids"));
  if (ids.empty()) {
    ASSIGN_OR_RETURN(ids, a.StrList("run_id"));
  }
  if (ids.empty())
    return Status::InvalidArgument("GetMetricHistoryBulk request must specify at least one run_id.");
  if (ids.size() > model::kMlflowMaxBulkRuns)
    return Status::InvalidArgument("GetMetricHistoryBulk request cannot specify more than " +
                                   std::to_string(model::kMlflowMaxBulkRuns) + " run_ids. Received " +
                                   std::to_string(ids.size()) + " run_ids.");
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<RunRef> runs;
  for (const auto& id : ids) {
    ASSIGN_OR_RETURN(RunRef r, e->Run(c, id, Role::kViewer));
    runs.push_back(std::move(r));
  }
  return runs;
}

}  // namespace

void AddMetricRoutes(Router::Module& m, Experiments* e, const Options&) {
  core::Tracker* t = e->tracker();

  AddRoute(m, "GET", "metrics/get-history", Permission::kRead, 0, [e, t](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(std::string id, Experiments::RunIdArg(a));
    ASSIGN_OR_RETURN(std::string key, a.RequiredStr("metric_key"));
    ASSIGN_OR_RETURN(auto max, a.Int("max_results"));
    ASSIGN_OR_RETURN(auto token, a.Str("page_token"));
    ASSIGN_OR_RETURN(auto after, AfterStep(token));
    auto found = e->Run(c, id, Role::kViewer);
    if (!found.ok() && found.status().code() == Code::kNotFound)
      return Json("{\"metrics\": []}");  // as MLflow: an unknown run has no history
    ASSIGN_OR_RETURN(RunRef r, std::move(found));
    core::SeriesRequest req;
    req.run_ids = {r.run.run_id};
    req.path = key;
    req.limit = model::kMaxSeriesPointsLimit;
    if (max) {
      if (*max < 1)
        return Status::InvalidArgument("max_results must be a positive integer, got " +
                                       std::to_string(*max));
      req.limit = std::min<size_t>(static_cast<size_t>(*max), model::kMaxSeriesPointsLimit);
    }
    req.after_step = after;
    JsonWriter w;
    w.BeginObject();
    if (!model::ValidatePath(key).ok()) {  // no such metric can exist
      w.Key("metrics").BeginArray().EndArray().EndObject();
      return Json(w.Take());
    }
    ASSIGN_OR_RETURN(auto results, t->ReadSeries(r.experiment.project, req));
    w.Key("metrics").BeginArray();
    std::optional<int64_t> next;
    for (const auto& res : results) {
      if (res.type != model::AttrType::kFloatSeries) continue;
      const auto& p = res.points;
      for (size_t i = 0; i < p.size(); ++i) WritePoint(w, key, p.floats[i], p.ts[i], p.steps[i], nullptr);
      next = res.next_after_step;
    }
    w.EndArray();
    if (next) w.Key("next_page_token").String(EncodeBase64Url(model::StepToString(*next)));
    w.EndObject();
    return Json(w.Take());
  });

  AddRoute(m, "GET", "metrics/get-history-bulk", Permission::kRead, 0, [e, t](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(auto runs, RunsArg(e, c, a));
    ASSIGN_OR_RETURN(std::string key, a.RequiredStr("metric_key"));
    ASSIGN_OR_RETURN(auto max, a.Int("max_results"));
    size_t left = 25000;
    if (max) {
      if (*max < 1) return Status::InvalidArgument("max_results must be a positive integer");
      left = std::min<size_t>(static_cast<size_t>(*max), 25000);
    }
    JsonWriter w;
    w.BeginObject().Key("metrics").BeginArray();
    for (const auto& r : runs) {
      if (left == 0 || !model::ValidatePath(key).ok()) break;
      core::SeriesRequest req;
      req.run_ids = {r.run.run_id};
      req.path = key;
      req.limit = left;
      ASSIGN_OR_RETURN(auto results, t->ReadSeries(r.experiment.project, req));
      for (const auto& res : results) {
        if (res.type != model::AttrType::kFloatSeries) continue;
        const auto& p = res.points;
        for (size_t i = 0; i < p.size(); ++i)
          WritePoint(w, key, p.floats[i], p.ts[i], p.steps[i], &r.run.run_id);
        left -= std::min(left, p.size());
      }
    }
    w.EndArray().EndObject();
    return Json(w.Take());
  });

  AddRoute(m, "GET", "metrics/get-history-bulk-interval", Permission::kRead, 0, [e, t](Context& c) -> Result<http::Response> {
    ASSIGN_OR_RETURN(Args a, Args::From(c));
    ASSIGN_OR_RETURN(auto runs, RunsArg(e, c, a));
    ASSIGN_OR_RETURN(std::string key, a.RequiredStr("metric_key"));
    ASSIGN_OR_RETURN(auto max, a.Int("max_results"));
    ASSIGN_OR_RETURN(auto start, a.Int("start_step"));
    ASSIGN_OR_RETURN(auto end, a.Int("end_step"));
    int64_t n = max.value_or(static_cast<int64_t>(model::kMlflowMaxIntervalResults));
    if (n < 1 || n > static_cast<int64_t>(model::kMlflowMaxIntervalResults))
      return Status::InvalidArgument("max_results must be between 1 and " +
                                     std::to_string(model::kMlflowMaxIntervalResults) + ".");
    if (start.has_value() != end.has_value())
      return Status::InvalidArgument("If either start step or end step are specified, both must "
                                     "be specified.");
    if (start && *end < *start)
      return Status::InvalidArgument("end_step must be greater than start_step. Found "
                                     "start_step=" + std::to_string(*start) +
                                     " and end_step=" + std::to_string(*end) + ".");
    JsonWriter w;
    w.BeginObject().Key("metrics").BeginArray();
    for (const auto& r : runs) {
      if (!model::ValidatePath(key).ok()) break;
      core::SeriesRequest req;
      req.run_ids = {r.run.run_id};
      req.path = key;
      if (start) {
        ASSIGN_OR_RETURN(req.step_lo, model::StepFromInt(*start));
        ASSIGN_OR_RETURN(req.step_hi, model::StepFromInt(*end));
      }
      // n - 1 buckets: the first point of each, then the last point.
      req.buckets = static_cast<int>(std::max<int64_t>(1, n - 1));
      ASSIGN_OR_RETURN(auto results, t->ReadSeries(r.experiment.project, req));
      for (const auto& res : results) {
        if (res.type != model::AttrType::kFloatSeries || res.buckets.empty()) continue;
        std::vector<const query::Bucket*> bs;
        for (const auto& b : res.buckets) bs.push_back(&b);
        int64_t last_step = INT64_MIN;
        size_t written = 0;
        for (const auto* b : bs) {
          if (written + 1 >= static_cast<size_t>(n) && n > 1) break;
          WritePoint(w, key, b->first_value, b->first_ts, b->first_step, &r.run.run_id);
          last_step = b->first_step;
          ++written;
        }
        const query::Bucket* tail = bs.back();
        if (tail->last_step != last_step && written < static_cast<size_t>(n))
          WritePoint(w, key, tail->last_value, tail->last_ts, tail->last_step, &r.run.run_id);
      }
    }
    w.EndArray().EndObject();
    return Json(w.Take());
  });
}

}  // namespace sextant::api::mlflow
