#include "http/framing.h"

namespace sextant::http {

std::optional<FramingError> CheckFraming(unsigned version, const Request& req) {
  auto bad = [](std::string m) { return FramingError{400, "invalid_argument", std::move(m)}; };
  if (version != 11 && version != 10)
    return FramingError{505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are supported"};
  size_t te = req.headers.Count("Transfer-Encoding");
  // RFC 9112 §6.1: a request with both is a smuggling attempt or a broken proxy.
  if (te > 0 && req.headers.Has("Content-Length"))
    return bad("Content-Length and Transfer-Encoding together");
  if (req.headers.Count("Content-Length") > 1) return bad("more than one Content-Length");
  if (te > 1 || (te == 1 && !EqualsIgnoreCase(req.headers.GetOr("Transfer-Encoding"), "chunked")))
    return FramingError{501, "not_implemented", "only Transfer-Encoding: chunked is supported"};
  // RFC 9112 §3.2: exactly one Host in HTTP/1.1.
  size_t hosts = req.headers.Count("Host");
  if (hosts > 1 || (hosts == 0 && version == 11))
    return bad("an HTTP/1.1 request needs exactly one Host header");
  if (req.target.empty() || req.target[0] != '/')
    return bad("the request target must be an absolute path");
  return std::nullopt;
}

void SplitTarget(Request* req) {
  size_t q = req->target.find('?');
  req->path = req->target.substr(0, q);
  req->query = q == std::string::npos ? std::string() : req->target.substr(q + 1);
}

}  // namespace sextant::http
