#include "api/native/respond.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>

#include "api/json_writer.h"
#include "api/native/decode.h"

namespace sextant::api::native {

http::Response Json(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

std::string ErrorBody(std::string_view code, std::string_view message) {
  JsonWriter w;
  w.BeginObject().Key("error").BeginObject();
  w.Key("code").String(code).Key("message").String(message);
  w.EndObject().EndObject();
  return w.Take();
}

http::Response Error(int status, std::string_view code, std::string_view message) {
  return Json(status, ErrorBody(code, message));
}

namespace {

// Each worker keeps a parser; one that grew for a large body is freed
// afterwards so that every worker does not hold its largest document's tape.
constexpr size_t kKeepParserBelow = 1 << 20;

simdjson::dom::parser& ThreadParser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

}  // namespace

Result<size_t> CountParam(const http::QueryParams& q, std::string_view key) {
  std::string v = q.Get(key);
  char* end = nullptr;
  errno = 0;
  unsigned long long n = std::strtoull(v.c_str(), &end, 10);
  if (v.empty() || *end || !std::isdigit(static_cast<unsigned char>(v[0])) || errno == ERANGE)
    return Status::InvalidArgument(std::string(key) + ": expected a non-negative integer, got '" +
                                   v + "'");
  return static_cast<size_t>(std::min<unsigned long long>(n, SIZE_MAX));
}

Result<core::PageRequest> PageFromQuery(const http::QueryParams& q) {
  core::PageRequest page;
  if (q.Has("limit")) {
    ASSIGN_OR_RETURN(page.limit, CountParam(q, "limit"));
  }
  page.page_token = q.Get("page_token");
  return page;
}

JsonDoc::~JsonDoc() {
  if (large_) ThreadParser() = simdjson::dom::parser();
}

Result<JsonDoc> JsonBody(Context& ctx) {
  std::string& body = ctx.req.body;
  if (body.empty()) body = "{}";
  if (body.capacity() < body.size() + simdjson::SIMDJSON_PADDING) ReserveForJson(&body, body.size());
  bool large = body.size() >= kKeepParserBelow;
  auto root = ParseJsonObject(ThreadParser(), body);
  if (!root.ok()) {
    if (large) ThreadParser() = simdjson::dom::parser();
    return root.status();
  }
  return JsonDoc(root.value(), large);
}

}  // namespace sextant::api::native
