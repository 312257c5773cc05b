// Parsing of request header values the access layer relies on: Host and
// Origin authorities, cookies, bearer credentials, media types and
// X-Forwarded-For chains. Pure functions of their input; fuzzed with the
// request head (request_fuzz.cc).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace sextant::http {

std::string_view TrimSpace(std::string_view s);  // spaces and tabs
std::string ToLower(std::string_view s);

// The host name of a Host value or an origin's authority ("Ex.com:80" →
// "ex.com", "[::1]:5050" → "::1", "localhost." → "localhost"). Empty when
// malformed (other characters than letters, digits, '-', '.', '_'; an
// unclosed bracket; two colons outside brackets).
std::string HostName(std::string_view authority);

// The authority of an origin ("http://h:1" → "h:1"); empty for "null" or
// anything without "scheme://".
std::string_view OriginAuthority(std::string_view origin);

// The value of cookie `name` in the request's Cookie fields; "" when absent.
std::string CookieValue(const Headers& headers, std::string_view name);

// "Bearer <token>" (scheme case-insensitive) → token; nullopt-like empty
// result with *malformed set when the value is not a bearer credential.
std::string BearerToken(std::string_view authorization, bool* malformed);
// True for "Basic <base64 of user:password>" (RFC 7617); false for another
// scheme. *malformed when it is Basic but not decodable or has no ':'.
bool BasicCredentials(std::string_view authorization, std::string* user, std::string* password,
                      bool* malformed);

// The media type of a Content-Type value, lowercase, without parameters.
std::string MediaType(std::string_view content_type);

// The client address from X-Forwarded-For fields: the rightmost entry that is
// not one of `trusted` (each trusted proxy appends the address it saw, so
// only entries right of the last trusted hop are beyond the client's
// control). Empty when the chain holds none.
std::string ForwardedClient(const Headers& headers, const std::vector<std::string>& trusted);

}  // namespace sextant::http
