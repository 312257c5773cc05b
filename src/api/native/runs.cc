// Runs: create, get, log, finish, query, attributes, series.
#include "api/json_writer.h"
#include "api/native/decode.h"
#include "api/native/log_batch_binary.h"
#include "api/native/module.h"
#include "api/native/respond.h"
#include "api/native/write.h"
#include "http/header_values.h"

namespace sextant::api::native {

namespace {

constexpr char kRuns[] = "/api/v1/projects/{workspace}/{project}/runs";
constexpr char kRun[] = "/api/v1/projects/{workspace}/{project}/runs/{run_id}";

std::string P(std::string_view base, std::string_view suffix = "") {
  return std::string(base) + std::string(suffix);
}

Result<http::Response> RunsPageJson(core::Tracker* t, const model::ProjectName& p,
                                    const core::RunsQuery& q) {
  ASSIGN_OR_RETURN(auto page, t->QueryRuns(p, q));
  JsonWriter w;
  w.BeginObject().Key("total").Int(static_cast<int64_t>(page.total));
  w.Key("unfiltered_total").Int(static_cast<int64_t>(page.unfiltered_total));
  w.Key("runs").BeginArray();
  for (const auto& row : page.rows) {
    w.BeginObject();
    WriteRun(w, p, row.run);
    w.Key("attributes").BeginObject();
    for (const auto& [path, v] : row.attributes) w.Key(path).Value(v);
    w.EndObject().EndObject();
  }
  w.EndArray();
  // Named by the filter or sort but absent from the project: said, with the
  // closest path, rather than silently matching nothing.
  w.Key("unknown_paths").BeginArray();
  for (const auto& [path, hint] : page.unknown_paths) {
    w.BeginObject().Key("path").String(path).Key("did_you_mean");
    if (hint.empty()) w.Null(); else w.String(hint);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return Json(200, w.Take());
}

// GET …/runs?filter=&sort=&limit=&offset=&columns=&trashed=&archived=
Result<core::RunsQuery> RunsQueryFromParams(const http::QueryParams& qp) {
  core::RunsQuery q;
  // The runs table hides the trash and archived runs unless asked.
  q.trashed = q.archived = core::Visibility::kHide;
  if (qp.Has("trashed")) {
    ASSIGN_OR_RETURN(q.trashed, ParseVisibility(qp.Get("trashed"), "trashed"));
  }
  if (qp.Has("archived")) {
    ASSIGN_OR_RETURN(q.archived, ParseVisibility(qp.Get("archived"), "archived"));
  }
  if (qp.Has("filter")) {
    auto f = query::Filter::Parse(qp.Get("filter"));
    if (!f.ok()) return f.status().WithContext("filter");
    q.filter = std::move(f).value();
  }
  if (qp.Has("sort")) {
    ASSIGN_OR_RETURN(q.sort, ParseSortParam(qp.Get("sort")));
  }
  if (qp.Has("limit")) {
    ASSIGN_OR_RETURN(q.limit, CountParam(qp, "limit"));
  }
  if (qp.Has("offset")) {
    ASSIGN_OR_RETURN(q.offset, CountParam(qp, "offset"));
  }
  if (qp.Has("columns")) {
    std::vector<std::string> cols;
    std::string v = qp.Get("columns");
    size_t start = 0;
    while (start <= v.size()) {
      size_t c = v.find(',', start);
      std::string part = v.substr(start, c == std::string::npos ? std::string::npos : c - start);
      if (!part.empty()) cols.push_back(part);
      if (c == std::string::npos) break;
      start = c + 1;
    }
    q.columns = std::move(cols);
  }
  return q;
}

}  // namespace

void AddRunRoutes(Router::Module& m, core::Tracker* t, const Options& o) {
  uint64_t body = o.max_body_bytes;

  m.Add({"POST", kRuns, Permission::kWrite, body, [t](Context& c) -> Result<http::Response> {
           ASSIGN_OR_RETURN(auto doc, JsonBody(c));
           ASSIGN_OR_RETURN(auto op, DecodeCreateRun(doc.root));
           ASSIGN_OR_RETURN(auto r, t->CreateRun(*c.project, std::move(op)));
           return Json(r.second ? 201 : 200, RunJson(*c.project, r.first));
         }});

  m.Add({"GET", kRuns, Permission::kRead, 0, [t](Context& c) -> Result<http::Response> {
           ASSIGN_OR_RETURN(auto q, RunsQueryFromParams(c.query));
           return RunsPageJson(t, *c.project, q);
         }});

  m.Add({"POST", P(kRuns, "/query"), Permission::kRead, body,
         [t](Context& c) -> Result<http::Response> {
           ASSIGN_OR_RETURN(auto doc, JsonBody(c));
           ASSIGN_OR_RETURN(auto q, DecodeRunsQuery(doc.root));
           return RunsPageJson(t, *c.project, q);
         }});

  m.Add({"GET", kRun, Permission::kRead, 0, [t](Context& c) -> Result<http::Response> {
           ASSIGN_OR_RETURN(auto run, t->GetRun(*c.project, c.Param("run_id")));
           ASSIGN_OR_RETURN(auto children, t->Children(run));
           JsonWriter w;
           w.BeginObject();
           WriteRun(w, *c.project, run);
           w.Key("children").BeginArray();
           for (const auto& ch : children) {
             w.BeginObject().Key("run_id").String(ch.run_id);
             w.Key("fork_step").Step(ch.fork_step.value_or(0)).EndObject();
           }
           w.EndArray().EndObject();
           return Json(200, w.Take());
         }});

  // A log batch is JSON or, for float series, binary columns
  // (docs/format/log-batch.md): one decode, the same core operation.
  Route log{"POST", P(kRun, "/log"), Permission::kWrite, body,
            [t](Context& c) -> Result<http::Response> {
           model::LogBatch batch;
           if (http::MediaType(c.req.headers.GetOr("Content-Type")) == kLogBatchMediaType) {
             ASSIGN_OR_RETURN(batch, DecodeBinaryLogBatch(c.req.body, core::NowMicros()));
           } else {
             ASSIGN_OR_RETURN(auto doc, JsonBody(c));
             ASSIGN_OR_RETURN(batch, DecodeLogBatch(doc.root, core::NowMicros()));
           }
           ASSIGN_OR_RETURN(auto out, t->Log(*c.project, c.Param("run_id"), std::move(batch)));
           JsonWriter w;
           w.BeginObject().Key("points").Int(out.points).Key("configs").Int(out.configs);
           w.EndObject();
           return Json(200, w.Take());
         }};
  log.accepts = {"application/json", std::string(kLogBatchMediaType)};
  m.Add(std::move(log));

  m.Add({"POST", P(kRun, "/finish"), Permission::kWrite, body,
         [t](Context& c) -> Result<http::Response> {
           ASSIGN_OR_RETURN(auto doc, JsonBody(c));
           ASSIGN_OR_RETURN(auto req, DecodeFinish(doc.root));
           ASSIGN_OR_RETURN(auto run, t->Finish(*c.project, c.Param("run_id"),
                                                req.state.value_or(model::RunState::kFinished),
                                                req.ended_us));
           return Json(200, RunJson(*c.project, run));
         }});

  m.Add({"GET", P(kRun, "/attributes"), Permission::kRead, 0,
         [t](Context& c) -> Result<http::Response> {
           ASSIGN_OR_RETURN(auto page, PageFromQuery(c.query));
           ASSIGN_OR_RETURN(auto attrs, t->Attributes(*c.project, c.Param("run_id"),
                                                      c.query.Get("pattern"), page));
           JsonWriter w;
           w.BeginObject().Key("attributes").BeginArray();
           for (const auto& a : attrs.items) WriteAttribute(w, a);
           w.EndArray();
           WriteNextPageToken(w, attrs.next_page_token);
           w.EndObject();
           return Json(200, w.Take());
         }});

  m.Add({"POST", "/api/v1/projects/{workspace}/{project}/series", Permission::kRead, body,
         [t](Context& c) -> Result<http::Response> {
           ASSIGN_OR_RETURN(auto doc, JsonBody(c));
           ASSIGN_OR_RETURN(auto sr, DecodeSeriesRequest(doc.root));
           ASSIGN_OR_RETURN(auto out, t->ReadSeries(*c.project, sr.request));
           return Json(200, SeriesJson(out, sr.base64));
         }});
}

}  // namespace sextant::api::native
