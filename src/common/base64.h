// Standard base64 (RFC 4648, with padding), decoded by OpenSSL. Used where a
// JSON body carries binary columns (the log API's `values_b64`). Also
// base64url, for tokens.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace sextant {

// Decodes `in`; InvalidArgument (naming no field) when it is not base64.
Result<std::string> DecodeBase64(std::string_view in);

// Appends the base64 of `bytes` (with padding) to `out`.
void AppendBase64(std::string_view bytes, std::string* out);

// base64url (RFC 4648 section 5) without padding: text safe in URLs and query
// strings, e.g. for opaque page tokens. Decoding is strict: only the url
// alphabet, no padding, and unused trailing bits must be zero, so each byte
// string has exactly one encoding.
std::string EncodeBase64Url(std::string_view bytes);
Result<std::string> DecodeBase64Url(std::string_view text);

}  // namespace sextant
