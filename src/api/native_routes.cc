// The native API v1 routes (docs/api/native.md).
#include <httplib.h>

#include <algorithm>
#include <bit>

#include "api/json_writer.h"
#include "api/native_decode.h"
#include "api/server.h"
#include "common/base64.h"
#include "query/filter_datetime.h"

namespace sextant::api {

namespace {

using httplib::ContentReader;
using httplib::Request;
using httplib::Response;

constexpr char kProject[] = R"(/api/v1/projects/([^/]+)/([^/]+))";

void SendError(Response& res, const Status& s) {
  res.status = HttpStatusFor(s);
  res.set_content(ErrorBody(CodeName(s.code()), s.message()), "application/json");
}

void SendJson(Response& res, int status, std::string body) {
  res.status = status;
  res.set_content(std::move(body), "application/json");
}

Result<model::ProjectName> ProjectOf(const Request& req) {
  model::ProjectName p{req.matches[1], req.matches[2]};
  RETURN_IF_ERROR(model::ValidateProjectPart(p.workspace, "workspace"));
  RETURN_IF_ERROR(model::ValidateProjectPart(p.name, "project"));
  return p;
}

// Reads a JSON request body under the size limit. On a body over the limit
// the connection is closed after the 413, since the rest is left unread.
Result<std::string> ReadBody(const Request& req, Response& res, const ContentReader& reader,
                             size_t limit) {
  // JSON, or what common clients send by default for a body (curl -d,
  // urllib): anything else is refused rather than guessed at.
  std::string ct = req.get_header_value("Content-Type");
  std::string base = ct.substr(0, ct.find(';'));
  while (!base.empty() && base.back() == ' ') base.pop_back();
  for (auto& c : base) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool json_like = base.empty() || base == "application/json" || base == "text/plain" ||
                   base == "application/x-www-form-urlencoded" ||
                   (base.size() > 5 && base.compare(base.size() - 5, 5, "+json") == 0);
  if (!json_like)
    return Status::UnsupportedMedia("unsupported content type '" + ct +
                                    "'; send application/json");
  auto too_large = [&] {
    res.set_header("Connection", "close");
    return Status::TooLarge("request body exceeds the limit of " + std::to_string(limit) +
                            " bytes (" + std::to_string(limit >> 20) + " MiB, --max-body-mb)");
  };
  if (req.has_header("Content-Length") &&
      std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) > limit)
    return too_large();
  std::string body;
  if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding"))
    return body;  // no body at all: an empty object
  if (req.has_header("Content-Length"))  // one allocation, with the parser's padding
    ReserveForJson(&body, std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10));
  bool over = false;
  bool ok = reader([&](const char* data, size_t n) {
    if (body.size() + n > limit) {
      over = true;
      return false;
    }
    body.append(data, n);
    return true;
  });
  if (over) return too_large();
  if (!ok) {
    std::string enc = req.get_header_value("Content-Encoding");
    if (!enc.empty())
      return Status::InvalidArgument("could not decode the request body (Content-Encoding: " +
                                     enc + ")");
    return Status::InvalidArgument("could not read the request body");
  }
  return body;
}

// Parses `body` into `*root` with this thread's parser.
// Each worker thread keeps a parser; one that grew for a large body is freed
// afterwards so 256 threads do not each hold their largest document's tape.
simdjson::dom::parser& ThreadParser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}
constexpr size_t kKeepParserBelow = 1 << 20;

Result<simdjson::dom::element> ParseBody(std::string* body) {
  if (body->empty()) *body = "{}";
  if (body->capacity() < body->size() + simdjson::SIMDJSON_PADDING)
    ReserveForJson(body, body->size());
  return ParseJsonObject(ThreadParser(), *body);
}

// A POST route with a JSON body: validates the project, reads the body under
// the limit and parses it, then calls `fn` (or answers the error).
template <typename Fn>
auto JsonRoute(size_t limit, Fn fn) {
  return [limit, fn](const Request& req, Response& res, const ContentReader& reader) {
    auto p = ProjectOf(req);
    if (!p.ok()) return SendError(res, p.status());
    auto body = ReadBody(req, res, reader, limit);
    if (!body.ok()) return SendError(res, body.status());
    auto root = ParseBody(&body.value());
    if (!root.ok()) return SendError(res, root.status());
    fn(req, res, p.value(), root.value());
    if (body->size() >= kKeepParserBelow) ThreadParser() = simdjson::dom::parser();
  };
}

void WriteRun(JsonWriter& w, const model::ProjectName& p, const storage::RunInfo& r) {
  w.Key("project").String(p.Full());
  w.Key("run_id").String(r.run_id);
  w.Key("name").String(r.name);
  w.Key("experiment_name").String(r.experiment);
  w.Key("state").String(model::RunStateName(r.state));
  w.Key("created_at").Seconds(r.created_us);
  w.Key("updated_at").Seconds(r.updated_us);
  w.Key("fork_run_id");
  if (r.fork_run_id) w.String(*r.fork_run_id); else w.Null();
  w.Key("fork_step");
  if (r.fork_step) w.Step(*r.fork_step); else w.Null();
}

std::string RunJson(const model::ProjectName& p, const storage::RunInfo& r) {
  JsonWriter w;
  w.BeginObject();
  WriteRun(w, p, r);
  w.EndObject();
  return w.Take();
}

void WriteAttribute(JsonWriter& w, const storage::AttributeInfo& a) {
  w.BeginObject();
  w.Key("path").String(a.path);
  w.Key("type").String(model::AttrTypeName(a.type));
  if (model::IsSeries(a.type)) {
    w.Key("last_step");
    if (a.last_step) w.Step(*a.last_step); else w.Null();
    w.Key("last_value").Value(a.value);
    w.Key("last_timestamp").Seconds(a.last_ts);
    w.Key("count").Int(a.count);
  } else if (a.type == model::AttrType::kFile || a.type == model::AttrType::kFileSeries) {
    w.Key("digest").String(a.value.s);
    w.Key("size").Int(a.value.i);
    if (a.type == model::AttrType::kFileSeries) {
      w.Key("last_step");
      if (a.last_step) w.Step(*a.last_step); else w.Null();
      w.Key("count").Int(a.count);
    }
  } else {
    w.Key("value").Value(a.value);
  }
  w.EndObject();
}

bool IsFloatOrUntyped(const core::SeriesResult& r) {
  return r.type == model::AttrType::kFloatSeries || !r.type;
}

// The "values" array of a string (JSON strings) or histogram series (objects).
void WriteTextValues(JsonWriter& w, const core::SeriesResult& r) {
  w.Key("values").BeginArray();
  for (const auto& v : r.points.bytes) {
    if (r.type == model::AttrType::kHistogramSeries) w.Raw(v); else w.String(v);
  }
  w.EndArray();
}

void WriteJsonPoints(JsonWriter& w, const core::SeriesResult& r) {
  w.Key("steps").BeginArray();
  for (int64_t s : r.points.steps) w.Step(s);
  w.EndArray();
  if (IsFloatOrUntyped(r)) {
    w.Key("values").BeginArray();
    for (double v : r.points.floats) w.Double(v);
    w.EndArray();
  } else {
    WriteTextValues(w, r);
  }
  w.Key("timestamps").BeginArray();
  for (int64_t t : r.points.ts) w.Seconds(t);
  w.EndArray();
}

// Raw points as base64 columns: steps as int64 (whole steps when every step
// of the page is whole, else millionths: "step_scale"), float values and
// timestamps (Unix seconds) as float64, all little-endian.
void WriteBinaryPoints(JsonWriter& w, const core::SeriesResult& r) {
  static_assert(std::endian::native == std::endian::little, "columns are little-endian");
  const auto& p = r.points;
  bool whole = std::all_of(p.steps.begin(), p.steps.end(),
                           [](int64_t s) { return s % model::kStepScale == 0; });
  std::vector<int64_t> steps(p.steps);
  if (whole)
    for (auto& s : steps) s /= model::kStepScale;
  auto column = [&](const void* data, size_t bytes) {
    std::string b64 = "\"";
    AppendBase64(std::string_view(static_cast<const char*>(data), bytes), &b64);
    b64 += '"';
    w.Raw(b64);
  };
  w.Key("step_scale").Int(whole ? 1 : model::kStepScale);
  w.Key("steps_b64");
  column(steps.data(), steps.size() * 8);
  if (IsFloatOrUntyped(r)) {
    w.Key("values_b64");
    column(p.floats.data(), p.floats.size() * 8);
  } else {
    WriteTextValues(w, r);
  }
  std::vector<double> ts(p.ts.size());
  for (size_t i = 0; i < ts.size(); ++i) ts[i] = static_cast<double>(p.ts[i]) / 1e6;
  w.Key("timestamps_b64");
  column(ts.data(), ts.size() * 8);
}

std::string SeriesJson(const std::vector<core::SeriesResult>& results, bool base64) {
  JsonWriter w;
  w.BeginObject().Key("series").BeginArray();
  for (const auto& r : results) {
    w.BeginObject();
    w.Key("run_id").String(r.run_id);
    w.Key("type");
    if (r.type) w.String(model::AttrTypeName(*r.type)); else w.Null();
    if (!r.downsampled) {
      if (base64) WriteBinaryPoints(w, r); else WriteJsonPoints(w, r);
      w.Key("next_after_step");
      if (r.next_after_step) w.Step(*r.next_after_step); else w.Null();
    }
    if (r.downsampled) {
      w.Key("buckets").BeginObject();
      w.Key("index").BeginArray();
      for (const auto& b : r.buckets) w.Int(b.index);
      w.EndArray().Key("first_step").BeginArray();
      for (const auto& b : r.buckets) w.Step(b.first_step);
      w.EndArray().Key("last_step").BeginArray();
      for (const auto& b : r.buckets) w.Step(b.last_step);
      w.EndArray().Key("min").BeginArray();
      for (const auto& b : r.buckets) w.Double(b.min);
      w.EndArray().Key("max").BeginArray();
      for (const auto& b : r.buckets) w.Double(b.max);
      w.EndArray().Key("mean").BeginArray();
      for (const auto& b : r.buckets) w.Double(b.mean());
      w.EndArray().Key("count").BeginArray();
      for (const auto& b : r.buckets) w.Int(static_cast<int64_t>(b.count));
      w.EndArray().Key("nan_count").BeginArray();
      for (const auto& b : r.buckets) w.Int(static_cast<int64_t>(b.nan_count));
      w.EndArray().Key("last").BeginArray();
      for (const auto& b : r.buckets) w.Double(b.last_value);
      w.EndArray().EndObject();
    }
    w.EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

}  // namespace

void Server::Routes() {
  auto& h = *http_;
  core::Tracker* t = tracker_;
  size_t body_limit = options_.max_body_bytes;

  h.Get("/api/v1/health", [](const Request&, Response& res) {
    SendJson(res, 200, R"({"status":"ok","version":"0.1.0"})");
  });


  h.Get("/api/v1/projects", [t](const Request&, Response& res) {
    auto r = t->ListProjects();
    if (!r.ok()) return SendError(res, r.status());
    JsonWriter w;
    w.BeginObject().Key("projects").BeginArray();
    for (const auto& p : r.value()) {
      w.BeginObject();
      w.Key("project").String(p.workspace + "/" + p.name);
      w.Key("workspace").String(p.workspace).Key("name").String(p.name);
      w.Key("runs").Int(p.num_runs).Key("created_at").Seconds(p.created_us);
      w.EndObject();
    }
    w.EndArray().EndObject();
    SendJson(res, 200, w.Take());
  });

  h.Post(std::string(kProject) + "/runs",
         JsonRoute(body_limit, [t](const Request& req, Response& res,
                                   const model::ProjectName& project, simdjson::dom::element body) {
           auto op = DecodeCreateRun(body);
           if (!op.ok()) return SendError(res, op.status());
           auto r = t->CreateRun(project, std::move(op).value());
           if (!r.ok()) return SendError(res, r.status());
           SendJson(res, r->second ? 201 : 200, RunJson(project, r->first));
         }));

  auto query_runs = [t](const Request& req, Response& res, core::RunsQuery q) {
    auto p = ProjectOf(req);
    if (!p.ok()) return SendError(res, p.status());
    auto page = t->QueryRuns(p.value(), q);
    if (!page.ok()) return SendError(res, page.status());
    JsonWriter w;
    w.BeginObject().Key("total").Int(static_cast<int64_t>(page->total));
    w.Key("unfiltered_total").Int(static_cast<int64_t>(page->unfiltered_total));
    w.Key("runs").BeginArray();
    for (const auto& row : page->rows) {
      w.BeginObject();
      WriteRun(w, p.value(), row.run);
      w.Key("attributes").BeginObject();
      for (const auto& [path, v] : row.attributes) w.Key(path).Value(v);
      w.EndObject().EndObject();
    }
    w.EndArray().EndObject();
    SendJson(res, 200, w.Take());
  };

  h.Get(std::string(kProject) + "/runs", [query_runs](const Request& req, Response& res) {
    core::RunsQuery q;
    if (req.has_param("filter")) {
      auto f = query::Filter::Parse(req.get_param_value("filter"));
      if (!f.ok()) return SendError(res, f.status().WithContext("filter"));
      q.filter = std::move(f).value();
    }
    if (req.has_param("sort")) {
      auto s = ParseSortParam(req.get_param_value("sort"));
      if (!s.ok()) return SendError(res, s.status());
      q.sort = std::move(s).value();
    }
    for (auto [key, max, out] : {std::tuple{"limit", size_t(10'000), &q.limit},
                                 std::tuple{"offset", size_t(100'000'000), &q.offset}}) {
      if (!req.has_param(key)) continue;
      std::string v = req.get_param_value(key);
      char* end = nullptr;
      unsigned long long n = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end || n > max || v[0] == '-')
        return SendError(res, Status::InvalidArgument(std::string(key) +
                                                      ": expected an integer from 0 to " +
                                                      std::to_string(max)));
      *out = n;
    }
    if (req.has_param("columns")) {
      std::vector<std::string> cols;
      std::string v = req.get_param_value("columns");
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
    query_runs(req, res, std::move(q));
  });

  h.Post(std::string(kProject) + "/runs/query",
         JsonRoute(body_limit, [query_runs](const Request& req, Response& res,
                                            const model::ProjectName&, simdjson::dom::element body) {
           auto q = DecodeRunsQuery(body);
           if (!q.ok()) return SendError(res, q.status());
           query_runs(req, res, std::move(q).value());
         }));

  h.Get(std::string(kProject) + "/runs/([^/]+)", [t](const Request& req, Response& res) {
    auto p = ProjectOf(req);
    if (!p.ok()) return SendError(res, p.status());
    auto r = t->GetRun(p.value(), req.matches[3]);
    if (!r.ok()) return SendError(res, r.status());
    auto children = t->Children(r.value());
    if (!children.ok()) return SendError(res, children.status());
    JsonWriter w;
    w.BeginObject();
    WriteRun(w, p.value(), r.value());
    w.Key("children").BeginArray();
    for (const auto& c : children.value()) {
      w.BeginObject().Key("run_id").String(c.run_id).Key("fork_step").Step(c.fork_step.value_or(0));
      w.EndObject();
    }
    w.EndArray().EndObject();
    SendJson(res, 200, w.Take());
  });

  h.Post(std::string(kProject) + "/runs/([^/]+)/log",
         JsonRoute(body_limit, [t](const Request& req, Response& res,
                                   const model::ProjectName& project, simdjson::dom::element body) {
           auto batch = DecodeLogBatch(body, core::NowMicros());
           if (!batch.ok()) return SendError(res, batch.status());
           auto out = t->Log(project, req.matches[3], std::move(batch).value());
           if (!out.ok()) return SendError(res, out.status());
           JsonWriter w;
           w.BeginObject().Key("points").Int(out->points).Key("configs").Int(out->configs);
           w.EndObject();
           SendJson(res, 200, w.Take());
         }));

  h.Post(std::string(kProject) + "/runs/([^/]+)/finish",
         JsonRoute(body_limit, [t](const Request& req, Response& res,
                                   const model::ProjectName& project, simdjson::dom::element body) {
           auto state = DecodeFinish(body);
           if (!state.ok()) return SendError(res, state.status());
           auto r = t->Finish(project, req.matches[3],
                              state->value_or(model::RunState::kFinished));
           if (!r.ok()) return SendError(res, r.status());
           SendJson(res, 200, RunJson(project, r.value()));
         }));

  h.Get(std::string(kProject) + "/runs/([^/]+)/attributes", [t](const Request& req, Response& res) {
    auto p = ProjectOf(req);
    if (!p.ok()) return SendError(res, p.status());
    auto attrs = t->Attributes(p.value(), req.matches[3], req.get_param_value("pattern"));
    if (!attrs.ok()) return SendError(res, attrs.status());
    JsonWriter w;
    w.BeginObject().Key("attributes").BeginArray();
    for (const auto& a : attrs.value()) WriteAttribute(w, a);
    w.EndArray().EndObject();
    SendJson(res, 200, w.Take());
  });

  h.Post(std::string(kProject) + "/series",
         JsonRoute(body_limit, [t](const Request& req, Response& res,
                                   const model::ProjectName& project, simdjson::dom::element body) {
           auto sr = DecodeSeriesRequest(body);
           if (!sr.ok()) return SendError(res, sr.status());
           auto out = t->ReadSeries(project, sr->request);
           if (!out.ok()) return SendError(res, out.status());
           SendJson(res, 200, SeriesJson(out.value(), sr->base64));
         }));

  // Saved views of the UI.
  h.Get(std::string(kProject) + "/views", [t](const Request& req, Response& res) {
    auto p = ProjectOf(req);
    if (!p.ok()) return SendError(res, p.status());
    auto views = t->ListViews(p.value());
    if (!views.ok()) return SendError(res, views.status());
    JsonWriter w;
    w.BeginObject().Key("views").BeginArray();
    for (const auto& v : views.value()) {
      w.BeginObject().Key("name").String(v.name).Key("state").Raw(v.state_json);
      w.Key("updated_at").Seconds(v.updated_us).EndObject();
    }
    w.EndArray().EndObject();
    SendJson(res, 200, w.Take());
  });
  h.Put(std::string(kProject) + "/views/([^/]+)",
        JsonRoute(body_limit, [t](const Request& req, Response& res,
                                  const model::ProjectName& project, simdjson::dom::element body) {
          simdjson::dom::element state;
          if (body["state"].get(state) || state.type() != simdjson::dom::element_type::OBJECT)
            return SendError(res, Status::InvalidArgument("state: expected a JSON object"));
          Status st = t->PutView(project, req.matches[3], simdjson::minify(state));
          if (!st.ok()) return SendError(res, st);
          SendJson(res, 200, R"({"status":"ok"})");
        }));
  h.Delete(std::string(kProject) + "/views/([^/]+)", [t](const Request& req, Response& res) {
    auto p = ProjectOf(req);
    if (!p.ok()) return SendError(res, p.status());
    Status st = t->DeleteView(p.value(), req.matches[3]);
    if (!st.ok()) return SendError(res, st);
    SendJson(res, 200, R"({"status":"ok"})");
  });

  // Every attribute path in the project with the types it has and how many
  // runs have it: for column pickers and filter autocompletion.
  h.Get(std::string(kProject) + "/attributes", [t](const Request& req, Response& res) {
    auto p = ProjectOf(req);
    if (!p.ok()) return SendError(res, p.status());
    auto paths = t->ProjectPaths(p.value());
    if (!paths.ok()) return SendError(res, paths.status());
    JsonWriter w;
    w.BeginObject().Key("attributes").BeginArray();
    for (const auto& s : paths.value()) {
      w.BeginObject().Key("path").String(s.path).Key("types").BeginObject();
      size_t runs = 0;
      for (const auto& [type, n] : s.types) {
        w.Key(model::AttrTypeName(type)).Int(static_cast<int64_t>(n));
        runs += n;
      }
      w.EndObject().Key("runs").Int(static_cast<int64_t>(runs)).EndObject();
    }
    w.EndArray().EndObject();
    SendJson(res, 200, w.Take());
  });

  // Live updates as server-sent events: one `data:` line per committed write
  // of this project (docs/api/native.md). A comment line every 15 s keeps
  // proxies from closing an idle stream.
  h.Get(std::string(kProject) + "/events", [t](const Request& req, Response& res) {
    auto p = ProjectOf(req);
    if (!p.ok()) return SendError(res, p.status());
    auto project = t->GetProject(p.value());
    if (!project.ok()) return SendError(res, project.status());
    uint64_t seq = t->events().LastSeq();
    if (req.has_header("Last-Event-ID"))
      seq = std::strtoull(req.get_header_value("Last-Event-ID").c_str(), nullptr, 10);
    int64_t pid = project->id;
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream", [t, pid, seq](size_t, httplib::DataSink& sink) mutable {
          if (t->events().closed()) {
            sink.done();
            return true;
          }
          bool lagged = false;
          auto events = t->events().Wait(pid, seq, std::chrono::seconds(15), &seq, &lagged);
          if (!sink.is_writable()) return false;
          std::string out;
          if (lagged) out += "event: reset\ndata: {}\n\n";
          for (const auto& e : events)
            out += "id: " + std::to_string(e.seq) + "\ndata: " + e.json + "\n\n";
          if (out.empty()) out = ": keep-alive\n\n";
          return sink.write(out.data(), out.size());
        });
  });

  // Compacts every series now (operations and benchmarks; the background
  // compactor does the same within about a second of idleness).
  h.Post("/api/v1/admin/compact", [t](const Request&, Response& res) {
    Status st = t->CompactAll();
    if (!st.ok()) return SendError(res, st);
    SendJson(res, 200, R"({"status":"ok"})");
  });

  RouteFiles();
  RouteWeb();
}

}  // namespace sextant::api
