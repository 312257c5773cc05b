// Series values (read_routes.cc): float series (series/float, fetch_metrics)
// and string, histogram and file series (series, fetch_series), newest
// first as neptune-query asks, from Tracker::ReadSeries.
//
// ReadSeries pages upwards (after_step, limit); Neptune's pages go down
// from the end. ReadTail finds the last n points of a step range without
// reading the whole series: one raw read of n points answers a series that
// has no more; otherwise a downsampled read (block summaries only) counts
// points per bucket from the end to find where the last n start, and the
// raw read starts there.
//
// series/float pages as the client does: a page holding exactly
// perSeriesPointsLimit points is followed by a request with afterStep = its
// smallest step (strictly below it next). series pages through searchAfter
// tokens "<points still allowed or ->:<step>".
#include <set>

#include "api/neptune/neptune.h"
#include "api/neptune/read_common.h"
#include "api/neptune/respond.h"

namespace sextant::api::neptune {
namespace {

constexpr int kTailBuckets = 1024;
constexpr size_t kScanPage = 100'000;

struct SeriesAsk {
  std::string request_id;
  RunRef run;
  std::string path;
  bool lineage = true;
  std::optional<double> after_step;   // series/float
  std::optional<std::string> token;   // series (searchAfter.token)
};

struct SeriesBody {
  std::vector<SeriesAsk> asks;
  std::optional<int64_t> per_series_limit;
  bool descending = true;
  int64_t lo = INT64_MIN, hi = INT64_MAX;  // stepRange, micro-steps
};

Result<SeriesBody> ParseSeriesBody(const nlohmann::json& body) {
  SeriesBody b;
  ASSIGN_OR_RETURN(const nlohmann::json* reqs, OptArray(body, "requests", "requests"));
  if (!reqs) return Status::InvalidArgument("requests: expected an array of series requests");
  if (reqs->size() > model::kNeptuneMaxSeriesRequests)
    return Status::InvalidArgument("requests: at most " + std::to_string(model::kNeptuneMaxSeriesRequests) +
                                   " series per request");
  std::set<std::string> ids;
  for (const auto& r : *reqs) {
    SeriesAsk a;
    ASSIGN_OR_RETURN(auto id, OptString(r, "requestId", "requests[].requestId"));
    if (!id) return Status::InvalidArgument("requests[]: each needs a requestId");
    if (!ids.insert(*id).second) return Status::InvalidArgument("requests[]: requestId '" + *id + "' is repeated");
    a.request_id = *id;
    ASSIGN_OR_RETURN(const nlohmann::json* s, OptObject(r, "series", "requests[].series"));
    if (!s) return Status::InvalidArgument("requests[" + *id + "]: series is required");
    ASSIGN_OR_RETURN(const nlohmann::json* holder, OptObject(*s, "holder", "series.holder"));
    if (!holder) return Status::InvalidArgument("requests[" + *id + "]: series.holder is required");
    ASSIGN_OR_RETURN(auto ident, OptString(*holder, "identifier", "series.holder.identifier"));
    if (!ident) return Status::InvalidArgument("requests[" + *id + "]: series.holder.identifier is required");
    ASSIGN_OR_RETURN(a.run, ParseRunIdentifier(*ident));
    ASSIGN_OR_RETURN(auto attr, OptString(*s, "attribute", "series.attribute"));
    if (!attr) return Status::InvalidArgument("requests[" + *id + "]: series.attribute is required");
    RETURN_IF_ERROR(model::ValidatePath(*attr).WithContext("requests[" + *id + "]: series.attribute"));
    a.path = *attr;
    ASSIGN_OR_RETURN(auto lineage, OptString(*s, "lineage", "series.lineage"));
    if (lineage && *lineage != "FULL" && *lineage != "NONE")
      return Status::InvalidArgument("series.lineage: expected FULL or NONE, got '" + *lineage + "'");
    a.lineage = !lineage || *lineage == "FULL";
    ASSIGN_OR_RETURN(a.after_step, OptDouble(r, "afterStep", "requests[].afterStep"));
    ASSIGN_OR_RETURN(const nlohmann::json* after, OptObject(r, "searchAfter", "requests[].searchAfter"));
    if (after) {
      ASSIGN_OR_RETURN(a.token, OptString(*after, "token", "searchAfter.token"));
      if (a.token && a.token->empty()) a.token.reset();
    }
    b.asks.push_back(std::move(a));
  }
  ASSIGN_OR_RETURN(b.per_series_limit, OptInt(body, "perSeriesPointsLimit", "perSeriesPointsLimit"));
  if (b.per_series_limit &&
      (*b.per_series_limit < 1 || static_cast<uint64_t>(*b.per_series_limit) > model::kMaxSeriesPointsLimit))
    return Status::InvalidArgument("perSeriesPointsLimit: expected an integer from 1 to " +
                                   std::to_string(model::kMaxSeriesPointsLimit));
  ASSIGN_OR_RETURN(auto order, OptString(body, "order", "order"));
  if (order && *order != "descending" && *order != "ascending")
    return Status::InvalidArgument("order: expected ascending or descending, got '" + *order + "'");
  b.descending = !order || *order == "descending";
  ASSIGN_OR_RETURN(const nlohmann::json* range, OptObject(body, "stepRange", "stepRange"));
  if (range) {
    ASSIGN_OR_RETURN(auto from, OptDouble(*range, "from", "stepRange.from"));
    ASSIGN_OR_RETURN(auto to, OptDouble(*range, "to", "stepRange.to"));
    if (from) {
      ASSIGN_OR_RETURN(b.lo, StepBound(*from, true));
    }
    if (to) {
      ASSIGN_OR_RETURN(b.hi, StepBound(*to, false));
    }
  }
  return b;
}

// The viewer role on every project the requests name.
Status RequireAll(const Context& c, const std::vector<SeriesAsk>& asks) {
  std::set<std::string> done;
  for (const auto& a : asks)
    if (done.insert(a.run.project.Full()).second) RETURN_IF_ERROR(Require(c, a.run.project, auth::Role::kViewer));
  return Status::Ok();
}

void Append(storage::Points& to, storage::Points&& from) {
  to.steps.insert(to.steps.end(), from.steps.begin(), from.steps.end());
  to.ts.insert(to.ts.end(), from.ts.begin(), from.ts.end());
  to.floats.insert(to.floats.end(), from.floats.begin(), from.floats.end());
  to.bytes.insert(to.bytes.end(), std::make_move_iterator(from.bytes.begin()),
                  std::make_move_iterator(from.bytes.end()));
}

// Keeps the last `n` points.
void KeepLast(storage::Points& p, size_t n) {
  if (p.size() <= n) return;
  size_t drop = p.size() - n;
  p.steps.erase(p.steps.begin(), p.steps.begin() + drop);
  p.ts.erase(p.ts.begin(), p.ts.begin() + drop);
  if (!p.floats.empty()) p.floats.erase(p.floats.begin(), p.floats.begin() + drop);
  if (!p.bytes.empty()) p.bytes.erase(p.bytes.begin(), p.bytes.begin() + drop);
}

// One series of one run; a run that does not exist has no series.
Result<core::SeriesResult> ReadOne(core::Tracker* t, const model::ProjectName& p, const core::SeriesRequest& req) {
  auto r = t->ReadSeries(p, req);
  if (!r.ok()) {
    if (r.status().code() == Code::kNotFound) return core::SeriesResult{};
    return r.status();
  }
  return std::move((*r)[0]);
}

// The last n points (ascending) with steps in [lo, hi]; `more`: points
// below them remain.
struct Tail {
  std::optional<model::AttrType> type;
  storage::Points points;
  bool more = false;
};

Result<Tail> ReadTail(core::Tracker* t, const RunRef& run, const std::string& path, bool lineage, int64_t lo,
                      int64_t hi, size_t n) {
  Tail out;
  if (lo > hi || n == 0) return out;
  core::SeriesRequest req;
  req.run_ids = {run.run_id};
  req.path = path;
  req.lineage = lineage;
  req.step_lo = lo;
  req.step_hi = hi;
  req.limit = std::min(n, model::kMaxSeriesPointsLimit);
  ASSIGN_OR_RETURN(core::SeriesResult first, ReadOne(t, run.project, req));
  out.type = first.type;
  if (!first.next_after_step) {
    out.points = std::move(first.points);
    return out;
  }
  out.more = true;  // more than n points in range
  int64_t start = lo;
  bool resume = false;  // out.points holds [lo, start]: read on after start
  if (first.type == model::AttrType::kFloatSeries) {
    core::SeriesRequest counts = req;
    counts.buckets = kTailBuckets;
    ASSIGN_OR_RETURN(core::SeriesResult b, ReadOne(t, run.project, counts));
    uint64_t acc = 0;
    for (auto it = b.buckets.rbegin(); it != b.buckets.rend(); ++it) {
      acc += it->count;
      if (acc >= n) {
        start = it->first_step;
        break;
      }
    }
  } else if (first.points.size() == n) {
    // Without statistics: scan on from the first page.
    out.points = std::move(first.points);
    start = *first.next_after_step;
    resume = true;
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    core::SeriesRequest scan = req;
    scan.step_lo = start;
    scan.limit = std::min(std::max(n, kScanPage), model::kMaxSeriesPointsLimit);
    if (resume) {
      scan.after_step = start;
    } else {
      out.points = {};
    }
    while (true) {
      ASSIGN_OR_RETURN(core::SeriesResult page, ReadOne(t, run.project, scan));
      Append(out.points, std::move(page.points));
      KeepLast(out.points, n);
      if (!page.next_after_step) break;
      scan.after_step = page.next_after_step;
    }
    // Bucket counts too small (should not happen): read the whole range.
    if (out.points.size() >= n || start == lo) break;
    start = lo;
    resume = false;
  }
  return out;
}

// Points of one request: descending (the tail below afterStep) or ascending.
Result<Tail> ReadAsk(core::Tracker* t, const SeriesAsk& a, const SeriesBody& b, int64_t upper_exclusive_or_max,
                     size_t n) {
  int64_t hi = b.hi, lo = b.lo;
  if (b.descending) {
    if (upper_exclusive_or_max != INT64_MAX) hi = std::min(hi, upper_exclusive_or_max - 1);
    return ReadTail(t, a.run, a.path, a.lineage, lo, hi, n);
  }
  if (upper_exclusive_or_max != INT64_MAX) lo = std::max(lo, upper_exclusive_or_max + 1);  // strictly above
  Tail out;
  if (lo > hi) return out;
  core::SeriesRequest req;
  req.run_ids = {a.run.run_id};
  req.path = a.path;
  req.lineage = a.lineage;
  req.step_lo = lo;
  req.step_hi = hi;
  req.limit = n;
  ASSIGN_OR_RETURN(core::SeriesResult r, ReadOne(t, a.run.project, req));
  out.type = r.type;
  out.points = std::move(r.points);
  out.more = r.next_after_step.has_value();
  return out;
}

size_t PerSeriesDefault(size_t requests) {
  return std::max<size_t>(1, model::kNeptuneMaxSeriesPoints / std::max<size_t>(1, requests));
}

}  // namespace

Result<http::Response> FloatSeriesValues(Context& c, Neptune* n) {
  ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonObject(c.req.body));
  ASSIGN_OR_RETURN(SeriesBody b, ParseSeriesBody(body));
  RETURN_IF_ERROR(RequireAll(c, b.asks));
  size_t limit = b.per_series_limit ? static_cast<size_t>(*b.per_series_limit) : PerSeriesDefault(b.asks.size());
  if (limit * b.asks.size() > model::kNeptuneMaxSeriesPoints && limit > 1)
    return Status::InvalidArgument("perSeriesPointsLimit × requests may be at most " +
                                   std::to_string(model::kNeptuneMaxSeriesPoints) + " points");
  pb::ProtoFloatSeriesValuesResponseDTO out;
  for (const auto& a : b.asks) {
    int64_t bound = INT64_MAX;
    // Descending: steps below afterStep (round up); ascending: above it (round down).
    if (a.after_step) {
      ASSIGN_OR_RETURN(bound, StepBound(*a.after_step, b.descending));
    }
    auto* s = out.add_series();
    s->set_requestid(a.request_id);
    auto* values = s->mutable_series();
    ASSIGN_OR_RETURN(Tail tail, ReadAsk(n->tracker(), a, b, bound, limit));
    if (tail.type && tail.type != model::AttrType::kFloatSeries) continue;  // not a float series: no points
    const auto& p = tail.points;
    values->set_total_item_count(static_cast<int64_t>(p.size()));
    for (size_t k = 0; k < p.size(); ++k) {
      size_t i = b.descending ? p.size() - 1 - k : k;
      auto* v = values->add_values();
      v->set_timestamp_millis(p.ts[i] / 1000);
      v->set_step(model::StepToDouble(p.steps[i]));
      v->set_value(p.floats[i]);
    }
  }
  return Proto(out);
}

namespace {

// searchAfter tokens: "<points still allowed, or ->:<step bound (exclusive)>".
struct Token {
  std::optional<size_t> remaining;
  int64_t bound = INT64_MAX;
};

Result<Token> ParseToken(const std::string& s) {
  size_t colon = s.find(':');
  Token t;
  auto bad = [&] { return Status::InvalidArgument("searchAfter.token '" + s.substr(0, 100) + "' was not issued by this server"); };
  if (colon == std::string::npos || colon == 0 || colon > 10) return bad();
  std::string rem = s.substr(0, colon);
  if (rem != "-") {
    char* end = nullptr;
    unsigned long long v = std::strtoull(rem.c_str(), &end, 10);
    if (*end) return bad();
    t.remaining = static_cast<size_t>(v);
  }
  auto step = model::StepFromString(s.substr(colon + 1));
  if (!step.ok()) return bad();
  t.bound = *step;
  return t;
}

std::string MakeToken(std::optional<size_t> remaining, int64_t bound) {
  return (remaining ? std::to_string(*remaining) : "-") + ":" + model::StepToString(bound);
}

// A file series: its points (newest `n`) from the core's file list.
Result<Tail> FileSeriesTail(core::Tracker* t, const SeriesAsk& a, int64_t lo, int64_t hi, size_t n) {
  Tail out;
  auto run = t->GetRun(a.run.project, a.run.run_id);
  if (!run.ok()) return run.status().code() == Code::kNotFound ? Result<Tail>(out) : Result<Tail>(run.status());
  ASSIGN_OR_RETURN(auto found, t->FindAttributes(*run, {a.path}));
  if (found.empty() || found[0].type != model::AttrType::kFileSeries) return out;
  out.type = model::AttrType::kFileSeries;
  ASSIGN_OR_RETURN(auto files, t->FileSeriesPoints(a.run.project, a.run.run_id, a.path, lo, hi, n + 1));
  out.more = files.size() > n;
  if (out.more) files.resize(n);
  for (auto it = files.rbegin(); it != files.rend(); ++it) {  // ascending, as series reads are
    out.points.steps.push_back(it->first);
    out.points.ts.push_back(it->second.created_us);
    out.points.bytes.emplace_back();
  }
  return out;
}

}  // namespace

Result<http::Response> SeriesValues(Context& c, Neptune* n) {
  ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonObject(c.req.body));
  ASSIGN_OR_RETURN(SeriesBody b, ParseSeriesBody(body));
  RETURN_IF_ERROR(RequireAll(c, b.asks));
  if (!b.descending) return Status::InvalidArgument("order: only descending is supported here");
  size_t page = PerSeriesDefault(b.asks.size());
  size_t byte_budget = std::max<size_t>(1, model::kNeptuneMaxSeriesPageBytes / std::max<size_t>(1, b.asks.size()));
  pb::ProtoSeriesValuesResponseDTO out;
  for (const auto& a : b.asks) {
    Token tok;
    if (a.token) {
      ASSIGN_OR_RETURN(tok, ParseToken(*a.token));
    } else if (b.per_series_limit) tok.remaining = static_cast<size_t>(*b.per_series_limit);
    auto* s = out.add_series();
    s->set_requestid(a.request_id);
    auto* values = s->mutable_seriesvalues();
    auto* after = s->mutable_searchafter();
    size_t want = tok.remaining ? std::min(*tok.remaining, page) : page;
    Tail tail;
    int64_t hi = tok.bound == INT64_MAX ? b.hi : std::min(b.hi, tok.bound - 1);
    if (want > 0) {
      ASSIGN_OR_RETURN(tail, ReadTail(n->tracker(), a.run, a.path, a.lineage, b.lo, hi, want));
      if (tail.type == model::AttrType::kFileSeries) {  // points carry no bytes: list the files
        ASSIGN_OR_RETURN(tail, FileSeriesTail(n->tracker(), a, b.lo, hi, want));
      }
    }
    bool ok_type = tail.type == model::AttrType::kStringSeries || tail.type == model::AttrType::kHistogramSeries ||
                   tail.type == model::AttrType::kFileSeries;
    auto& p = tail.points;
    if (!ok_type) p = {};
    // Newest first, within the byte budget (at least one point).
    size_t bytes = 0, emitted = 0;
    FileLookup files = RunFiles(n->tracker(), a.run.project, a.run.run_id);
    for (size_t k = 0; k < p.size(); ++k) {
      size_t i = p.size() - 1 - k;
      bytes += p.bytes[i].size() + 32;
      if (emitted > 0 && bytes > byte_budget) break;
      auto* v = values->add_values();
      v->set_timestamp_millis(p.ts[i] / 1000);
      v->set_step(model::StepToDouble(p.steps[i]));
      auto* obj = v->mutable_object();
      if (tail.type == model::AttrType::kStringSeries) {
        obj->set_stringvalue(p.bytes[i]);
      } else if (tail.type == model::AttrType::kHistogramSeries) {
        if (!HistogramFromJson(p.bytes[i], obj->mutable_histogram())) obj->mutable_histogram()->set_type("COUNTING");
      } else {
        FileDetails d = files(a.path, p.steps[i]);
        auto* ref = obj->mutable_fileref();
        ref->set_path(d.path);
        ref->set_sizebytes(d.size);
        ref->set_mimetype(d.mime_type);
      }
      ++emitted;
    }
    bool more = emitted < p.size() || tail.more;
    std::optional<size_t> remaining = tok.remaining;
    if (remaining) *remaining -= std::min(*remaining, emitted);
    bool finished = !more || emitted == 0 || (remaining && *remaining == 0);
    after->set_finished(finished);
    after->set_token(finished ? "end" : MakeToken(remaining, p.steps[p.size() - emitted]));
  }
  return Proto(out);
}

}  // namespace sextant::api::neptune
