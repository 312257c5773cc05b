// Metric buckets (read_routes.cc, fetch_metric_buckets): a float series cut
// into equal step ranges with the first and last point of each, from
// Sextant's downsampled reads (SeriesRequest.buckets: block summaries,
// not raw points).
//
// Neptune's layout for view {from F, to T, maxBuckets N}: bucket 0 is
// (-inf, F], buckets 1..N-1 split (F, T] into equal right-closed ranges.
// Sextant's N-1 buckets over the micro-steps [F+1, T] are the same ranges
// except that an edge falling between two micro-steps is rounded up rather
// than down (a point can move to the next bucket only when it lies within
// one micro-step of an edge). Without from/to, F and T are the series'
// first and last steps. Only x = steps is supported, and only formulas
// naming one attribute ("${path}").
#include <cmath>
#include <limits>
#include <set>

#include "api/neptune/neptune.h"
#include "api/neptune/read_common.h"
#include "api/neptune/respond.h"

namespace sextant::api::neptune {

// "${name}" with \\, \$, \{ and \} escaped → the attribute name.
Result<std::string> FormulaAttribute(std::string_view f) {
  if (!f.starts_with("${") || !f.ends_with("}") || f.size() < 4)
    return Status::InvalidArgument("customYFormula: only a single attribute, ${name}, is supported");
  std::string out;
  std::string_view body = f.substr(2, f.size() - 3);
  for (size_t i = 0; i < body.size(); ++i) {
    char ch = body[i];
    if (ch == '\\') {
      if (i + 1 >= body.size()) return Status::InvalidArgument("customYFormula: a lone backslash at the end");
      out += body[++i];
    } else if (ch == '$' || ch == '{' || ch == '}') {
      return Status::InvalidArgument("customYFormula: only a single attribute, ${name}, is supported");
    } else {
      out += ch;
    }
  }
  RETURN_IF_ERROR(model::ValidatePath(out).WithContext("customYFormula"));
  return out;
}

namespace {

void SetStats(const query::Bucket& q, pb::TimeseriesBucket* b) {
  if (q.count == 0) return;
  b->mutable_first()->set_x(model::StepToDouble(q.first_step));
  b->mutable_first()->set_y(q.first_value);
  b->mutable_last()->set_x(model::StepToDouble(q.last_step));
  b->mutable_last()->set_y(q.last_value);
  b->set_finitepointcount(static_cast<int64_t>(q.count - q.nan_count));
  b->set_nancount(static_cast<int64_t>(q.nan_count));
  if (q.count > q.nan_count) {
    b->set_localmin(q.min);
    b->set_localmax(q.max);
    b->set_localsum(q.sum);
  }
}

Result<core::SeriesResult> Downsampled(core::Tracker* t, const RunRef& run, const std::string& path, bool lineage,
                                       int64_t lo, int64_t hi, int n) {
  core::SeriesRequest req;
  req.run_ids = {run.run_id};
  req.path = path;
  req.lineage = lineage;
  req.step_lo = lo;
  req.step_hi = hi;
  req.buckets = n;
  req.exact_buckets = true;  // Neptune's buckets are equal-width by contract
  auto r = t->ReadSeries(run.project, req);
  if (!r.ok()) {
    if (r.status().code() == Code::kNotFound) return core::SeriesResult{};
    return r.status();
  }
  return std::move((*r)[0]);
}

}  // namespace

Result<http::Response> TimeseriesBuckets(Context& c, Neptune* n) {
  pb::ProtoGetTimeseriesBucketsRequest req;
  if (c.req.body.size() > static_cast<size_t>(INT32_MAX) ||
      !req.ParseFromArray(c.req.body.data(), static_cast<int>(c.req.body.size())))
    return Status::InvalidArgument("the body is not a ProtoGetTimeseriesBucketsRequest (protobuf)");
  if (static_cast<size_t>(req.expressions_size()) > model::kNeptuneMaxBucketExpressions)
    return Status::InvalidArgument("at most " + std::to_string(model::kNeptuneMaxBucketExpressions) +
                                   " expressions per request");
  const pb::ProtoView& view = req.view();
  int nb = view.maxbuckets();
  if (nb < 1 || nb > model::kNeptuneMaxBuckets)
    return Status::InvalidArgument("view.maxBuckets: expected an integer from 1 to " +
                                   std::to_string(model::kNeptuneMaxBuckets));
  if (view.has_xaxis() && view.xaxis().value_case() != pb::ProtoXAxis::kSteps &&
      view.xaxis().value_case() != pb::ProtoXAxis::VALUE_NOT_SET)
    return Status::InvalidArgument("view.xAxis: only steps are supported");
  if (view.has_from() && !std::isfinite(view.from())) return Status::InvalidArgument("view.from must be finite");
  if (view.has_to() && !std::isfinite(view.to())) return Status::InvalidArgument("view.to must be finite");
  if (view.has_from() && view.has_to() && view.from() > view.to())
    return Status::InvalidArgument("view.from is after view.to");
  struct Expr {
    std::string id;
    RunRef run;
    std::string path;
    bool lineage;
  };
  std::vector<Expr> exprs;
  std::set<std::string> ids, projects;
  for (const auto& e : req.expressions()) {
    if (!ids.insert(e.requestid()).second)
      return Status::InvalidArgument("requestId '" + e.requestid() + "' is repeated");
    Expr x{e.requestid(), {}, {}, e.lineage() == pb::FULL};
    ASSIGN_OR_RETURN(x.run, ParseRunIdentifier(e.runid()));
    ASSIGN_OR_RETURN(x.path, FormulaAttribute(e.customyformula()));
    if (projects.insert(x.run.project.Full()).second) RETURN_IF_ERROR(Require(c, x.run.project, auth::Role::kViewer));
    exprs.push_back(std::move(x));
  }
  constexpr double kInf = std::numeric_limits<double>::infinity();
  // The range: the view's, else from the first to the last step of all the
  // series of the request (one range for all, as the client expects).
  double from = view.from(), to = view.to();
  bool empty = false;
  if (!view.has_from() || !view.has_to()) {
    std::optional<int64_t> lo, hi;
    for (const auto& x : exprs) {
      ASSIGN_OR_RETURN(core::SeriesResult all, Downsampled(n->tracker(), x.run, x.path, x.lineage, INT64_MIN,
                                                           INT64_MAX, 1));
      if (all.type != model::AttrType::kFloatSeries || all.buckets.empty()) continue;
      lo = std::min(lo.value_or(INT64_MAX), all.buckets.front().first_step);
      hi = std::max(hi.value_or(INT64_MIN), all.buckets.back().last_step);
    }
    if (!lo) empty = true;  // no points anywhere: no buckets
    if (!view.has_from() && lo) from = model::StepToDouble(*lo);
    if (!view.has_to() && hi) to = model::StepToDouble(*hi);
  }
  if (from > to) empty = true;
  pb::ProtoTimeseriesBucketsDTO out;
  for (const auto& x : exprs) {
    auto* entry = out.add_entries();
    entry->set_requestid(x.id);
    if (empty) continue;
    ASSIGN_OR_RETURN(int64_t f, StepBound(from, false));
    ASSIGN_OR_RETURN(int64_t t, StepBound(to, false));
    // Bucket 0: (-inf, from].
    ASSIGN_OR_RETURN(core::SeriesResult head, Downsampled(n->tracker(), x.run, x.path, x.lineage, INT64_MIN, f, 1));
    if (head.type && head.type != model::AttrType::kFloatSeries) continue;
    auto* b0 = entry->add_bucket();
    b0->set_index(0);
    b0->set_fromx(-kInf);
    b0->set_tox(from);
    if (!head.buckets.empty()) SetStats(head.buckets.front(), b0);
    if (nb < 2 || t <= f) continue;
    int parts = nb - 1;
    ASSIGN_OR_RETURN(core::SeriesResult body, Downsampled(n->tracker(), x.run, x.path, x.lineage, f + 1, t, parts));
    std::vector<const query::Bucket*> by_index(parts, nullptr);
    for (const auto& q : body.buckets)
      if (q.index >= 0 && q.index < parts) by_index[q.index] = &q;
    for (int i = 1; i <= parts; ++i) {
      auto* b = entry->add_bucket();
      b->set_index(i);
      b->set_fromx(from + (to - from) * (i - 1) / parts);
      b->set_tox(i == parts ? to : from + (to - from) * i / parts);
      if (by_index[i - 1]) SetStats(*by_index[i - 1], b);
    }
  }
  return Proto(out);
}

}  // namespace sextant::api::neptune
