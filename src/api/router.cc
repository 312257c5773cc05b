#include "api/router.h"

#include <cstdio>
#include <exception>

namespace sextant::api {

std::string_view PermissionName(Permission p) {
  switch (p) {
    case Permission::kUndeclared: return "undeclared";
    case Permission::kPublic: return "public";
    case Permission::kRead: return "read";
    case Permission::kWrite: return "write";
    case Permission::kAdmin: return "admin";
    case Permission::kSigned: return "signed";
  }
  return "undeclared";
}

int HttpStatusFor(const Status& s) {
  switch (s.code()) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kNotFound: return 404;
    case Code::kAlreadyExists:
    case Code::kConflict: return 409;
    case Code::kTooLarge: return 413;
    case Code::kUnsupportedMedia: return 415;
    case Code::kUnauthenticated: return 401;
    case Code::kPermissionDenied: return 403;
    case Code::kTooManyRequests: return 429;
    case Code::kUnavailable: return 503;
    case Code::kDataLoss:
    case Code::kInternal: return 500;
  }
  return 500;
}

const std::string& Context::Param(std::string_view name) const {
  for (const auto& [k, v] : params)
    if (k == name) return v;
  static const std::string kEmpty;
  return kEmpty;
}

Router::Module& Router::Module::Add(Route route) {
  Entry e{std::move(route), this, {}};
  std::string_view p = e.route.pattern;
  if (!p.empty() && p.front() == '/') p.remove_prefix(1);
  size_t start = 0;
  while (!p.empty()) {
    size_t slash = p.find('/', start);
    e.segments.emplace_back(p.substr(start, slash == p.npos ? p.npos : slash - start));
    if (slash == p.npos) break;
    start = slash + 1;
  }
  router_->routes_.push_back(std::move(e));
  return *this;
}

Router::Module& Router::AddModule(std::string name, ErrorMapper errors) {
  modules_.push_back(std::unique_ptr<Module>(new Module(this, std::move(name), std::move(errors))));
  return *modules_.back();
}

http::Response Router::Error(int status, std::string_view code, std::string_view message) {
  return modules_.front()->errors()(status, code, message);
}

namespace {

// Splits a raw path ("/a/b%2Fc") into raw segments (["a", "b%2Fc"]).
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == path.npos ? path.npos : slash - start));
    if (slash == path.npos) break;
    start = slash + 1;
  }
  return out;
}

bool IsParam(const std::string& seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }
bool IsRest(const std::string& seg) { return IsParam(seg) && seg.ends_with("...}"); }

// Matches raw segments against a pattern; fills raw parameter values.
bool Match(const std::vector<std::string>& pattern, const std::vector<std::string_view>& path,
           std::string_view raw_path,
           std::vector<std::pair<std::string, std::string_view>>* params) {
  params->clear();
  for (size_t i = 0; i < pattern.size(); ++i) {
    const std::string& seg = pattern[i];
    if (IsRest(seg)) {
      if (i >= path.size()) return false;
      // The rest of the raw path from this segment on.
      size_t offset = static_cast<size_t>(path[i].data() - raw_path.data());
      std::string_view rest = raw_path.substr(offset);
      if (rest.empty()) return false;
      params->emplace_back(seg.substr(1, seg.size() - 5), rest);
      return true;
    }
    if (i >= path.size()) return false;
    if (IsParam(seg)) {
      if (path[i].empty()) return false;
      params->emplace_back(seg.substr(1, seg.size() - 2), path[i]);
    } else if (seg != path[i]) {
      return false;
    }
  }
  return pattern.size() == path.size();
}

// A Status in the module's error shape (401s say how to authenticate).
http::Response ErrorFor(const Router::Module& m, const Status& s) {
  http::Response r = m.errors()(HttpStatusFor(s), CodeName(s.code()), s.message());
  if (s.code() == Code::kUnauthenticated) r.headers.Set("WWW-Authenticate", "Bearer realm=\"sextant\"");
  return r;
}

class RouteExchange final : public http::Exchange {
 public:
  RouteExchange(const Router::Entry* entry, std::vector<std::pair<std::string, std::string_view>> raw,
                Gate* gate)
      : entry_(entry), gate_(gate) {
    for (auto& [k, v] : raw) raw_.emplace_back(k, std::string(v));
  }

  uint64_t body_limit() const override { return entry_->route.body_limit; }
  bool streams_body() const override { return static_cast<bool>(entry_->route.upload); }
  bool runs_inline() const override { return entry_->route.on_event_loop; }

  http::Response Run(http::Request& req) override {
    Context ctx{req, {}, {}, {}};
    Status st = Prepare(ctx);
    if (!st.ok()) return Fail(st);
    http::Response answer = Handle(ctx);
    if (gate_) gate_->Done(ctx, entry_->route, answer.status);
    return answer;
  }

  std::unique_ptr<http::BodySink> Sink(http::Request& req, http::Response* error) override {
    Context ctx{req, {}, {}, {}};
    Status st = Prepare(ctx);
    if (!st.ok()) {
      *error = Fail(st);
      return nullptr;
    }
    try {
      auto sink = entry_->route.upload(ctx);
      if (!sink.ok()) {
        *error = Fail(sink.status());
        return nullptr;
      }
      return std::move(sink).value();
    } catch (const std::exception& e) {
      *error = Crash(e.what());
      return nullptr;
    }
  }

  http::Response Error(int status, std::string_view code, std::string_view message) override {
    return entry_->module->errors()(status, code, message);
  }

 private:
  http::Response Handle(Context& ctx) {
    try {
      Result<http::Response> r = entry_->route.handler(ctx);
      if (!r.ok()) return Fail(r.status());
      return std::move(r).value();
    } catch (const std::exception& e) {
      return Crash(e.what());
    } catch (...) {
      return Crash("unknown exception");
    }
  }

  // Query, path parameters, project and permission: everything the handler
  // may take for granted.
  Status Prepare(Context& ctx) {
    auto q = http::QueryParams::Parse(ctx.req.query);
    if (!q.ok()) return q.status();
    ctx.query = std::move(q).value();
    for (const auto& [k, v] : raw_) {
      auto decoded = http::PercentDecode(v, false);
      if (!decoded.ok()) return decoded.status().WithContext("path");
      ctx.params.emplace_back(k, std::move(decoded).value());
    }
    bool has_ws = false, has_proj = false;
    for (const auto& [k, v] : ctx.params) {
      has_ws |= k == "workspace";
      has_proj |= k == "project";
    }
    if (has_ws && has_proj) {
      model::ProjectName p{ctx.Param("workspace"), ctx.Param("project")};
      RETURN_IF_ERROR(model::ValidateProjectPart(p.workspace, "workspace"));
      RETURN_IF_ERROR(model::ValidateProjectPart(p.name, "project"));
      ctx.project = std::move(p);
    }
    if (gate_) RETURN_IF_ERROR(gate_->Admit(ctx, entry_->route));
    return Status::Ok();
  }

  http::Response Fail(const Status& s) { return ErrorFor(*entry_->module, s); }
  http::Response Crash(const char* what) {
    std::fprintf(stderr, "sextant: request failed: %s\n", what);
    return Error(500, "internal", std::string("unexpected error: ") + what);
  }

  const Router::Entry* entry_;
  std::vector<std::pair<std::string, std::string>> raw_;
  Gate* gate_;
};

// An answer decided before any handler runs (404, 405, 400).
class ErrorExchange final : public http::Exchange {
 public:
  ErrorExchange(http::Response r) : r_(std::move(r)) {}
  uint64_t body_limit() const override { return 0; }
  bool runs_inline() const override { return true; }
  http::Response Run(http::Request&) override { return std::move(r_); }
  http::Response Error(int status, std::string_view code, std::string_view message) override {
    return r_;
  }

 private:
  http::Response r_;
};

}  // namespace

std::unique_ptr<http::Exchange> Router::Dispatch(const http::Request& head) {
  std::vector<std::string_view> path = SplitPath(head.path);
  std::string_view method = head.method == "HEAD" ? std::string_view("GET") : head.method;
  std::vector<std::pair<std::string, std::string_view>> params;
  std::string allow;
  const Module* path_owner = nullptr;
  for (const Entry& e : routes_) {
    if (!Match(e.segments, path, head.path, &params)) continue;
    if (e.route.method == method) {
      if (gate_) {
        Status st = gate_->Screen(head, e.route);
        if (!st.ok()) return std::make_unique<ErrorExchange>(ErrorFor(*e.module, st));
      }
      return std::make_unique<RouteExchange>(&e, std::move(params), gate_);
    }
    if (e.segments.size() == 1 && IsRest(e.segments[0])) continue;  // a catch-all (the UI)
    if (!path_owner) path_owner = e.module;
    if (allow.find(e.route.method) == std::string::npos)
      allow += (allow.empty() ? "" : ", ") + e.route.method;
  }
  if (path_owner) {
    http::Response r = path_owner->errors()(405, "method_not_allowed",
                                            head.method + " is not allowed here (allowed: " + allow + ")");
    r.headers.Set("Allow", allow);
    return std::make_unique<ErrorExchange>(std::move(r));
  }
  return std::make_unique<ErrorExchange>(
      Error(404, "not_found", "no route for " + head.method + " " + head.path));
}

}  // namespace sextant::api
