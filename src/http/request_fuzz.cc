// Fuzzes the HTTP request parsing the transport keeps: Beast's request
// parser with our limits, then everything connection.cc does with a head
// (CheckFraming, the query and path decoding the router uses, Range planning
// against a size taken from the input) and the body as the route would read
// it (Content-Length or chunked, then Content-Encoding with a bounded
// decoder), and the header values access control parses (header_values.h).
// Nothing may crash; a decoder may only fail with the documented
// codes. Input: raw bytes as a client would send them. Run with scripts/fuzz.sh.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "http/decode_body.h"
#include "http/framing.h"
#include "http/header_values.h"
#include "http/query.h"
#include "http/range.h"

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using namespace sextant;

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  boost::asio::const_buffer in(data, size);
  bhttp::request_parser<bhttp::empty_body> hp;
  hp.header_limit(64 << 10);
  hp.body_limit(boost::none);
  hp.eager(false);
  beast::error_code ec;
  size_t used = hp.put(in, ec);
  if (ec || !hp.is_header_done()) return 0;
  const auto& head = hp.get();
  http::Request req;
  req.method = std::string(head.method_string());
  req.target = std::string(head.target());
  http::SplitTarget(&req);
  for (const auto& f : head) req.headers.Add(std::string(f.name_string()), std::string(f.value()));
  if (auto bad = http::CheckFraming(head.version(), req)) {
    Check(bad->status == 400 || bad->status == 501 || bad->status == 505);
    return 0;
  }
  // The values access control reads (api/access.cc).
  for (const auto& [k, v] : req.headers.fields()) {
    std::string host = http::HostName(v);
    Check(host.find_first_of("[]@/ ") == std::string::npos);
    http::HostName(http::OriginAuthority(v));
    bool malformed = false;
    std::string token = http::BearerToken(v, &malformed);
    Check(malformed == token.empty());
    std::string user, password;
    if (http::BasicCredentials(v, &user, &password, &malformed) && !malformed)
      Check(user.find(':') == std::string::npos);
    http::MediaType(v);
  }
  http::CookieValue(req.headers, "sextant_session");
  std::string client = http::ForwardedClient(req.headers, {"10.0.0.1"});
  Check(client != "10.0.0.1");
  auto q = http::QueryParams::Parse(req.query);
  if (!q.ok()) Check(q.status().code() == Code::kInvalidArgument);
  auto path = http::PercentDecode(req.path, false);
  if (!path.ok()) Check(path.status().code() == Code::kInvalidArgument);

  uint64_t file_size = req.path.size() * 977;
  auto plan = http::PlanRanges(req.headers.GetOr("Range"), file_size);
  if (plan.kind == http::RangePlan::Kind::kPartial) {
    Check(!plan.ranges.empty() && plan.ranges.size() <= http::kMaxRangeParts);
    uint64_t total = 0;
    for (size_t i = 0; i < plan.ranges.size(); ++i) {
      const auto& r = plan.ranges[i];
      Check(r.first <= r.last && r.last < file_size);
      if (i) Check(plan.ranges[i - 1].last + 1 < r.first);
      total += r.length();
    }
    Check(total <= file_size);
  }

  // The body, as a buffered route reads it (1 MiB limit), then decoded.
  constexpr uint64_t kLimit = 1 << 20;
  if (hp.content_length() && *hp.content_length() > kLimit) return 0;
  bhttp::request_parser<bhttp::string_body> p(std::move(hp));
  p.body_limit(kLimit);
  in += used;
  while (!p.is_done() && in.size() > 0) {
    size_t n = p.put(in, ec);
    if (ec == bhttp::error::need_more) break;
    if (ec) return 0;
    if (n == 0) break;
    in += n;
  }
  if (!p.is_done()) return 0;
  const std::string& body = p.get().body();
  Check(body.size() <= kLimit);
  auto decoded = http::DecodeBody(req.headers.GetOr("Content-Encoding"), body, kLimit);
  if (decoded.ok()) {
    Check(decoded->size() <= kLimit);
  } else {
    Code c = decoded.status().code();
    Check(c == Code::kInvalidArgument || c == Code::kTooLarge || c == Code::kUnsupportedMedia);
  }
  return 0;
}
