// Standard base64 (RFC 4648, with padding), decoded by OpenSSL. Used where a
// JSON body carries binary columns (the log API's `values_b64`).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace sextant {

// Decodes `in`; InvalidArgument (naming no field) when it is not base64.
Result<std::string> DecodeBase64(std::string_view in);

// Appends the base64 of `bytes` (with padding) to `out`.
void AppendBase64(std::string_view bytes, std::string* out);

}  // namespace sextant
