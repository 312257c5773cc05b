// The request head as the transport checks it: Beast parses the bytes
// (request line, fields, Content-Length syntax and repeats, chunked syntax);
// CheckFraming() adds the RFC 9112 rules Beast leaves to the application.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "http/message.h"

namespace sextant::http {

struct FramingError {
  int status;        // 400, 501 or 505
  std::string code;  // "invalid_argument", "not_implemented", "http_version_not_supported"
  std::string message;
};

// `version`: 10 or 11 for HTTP/1.0 and HTTP/1.1 (Beast's encoding).
std::optional<FramingError> CheckFraming(unsigned version, const Request& req);

// Splits a request-target into path and query.
void SplitTarget(Request* req);

}  // namespace sextant::http
