// Internal: ISO 8601 datetimes for `datetime("...")` literals in filters.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sextant::query::internal {

// Parses "YYYY-MM-DD", optionally followed by 'T' (or 't' or one space) and
// "HH:MM", ":SS", a fraction of 1 to 9 digits after '.' or ',' (truncated to
// microseconds), and an offset "Z", "+HH:MM", "+HHMM" or "+HH" (or '-').
// Without an offset the time is UTC. Returns microseconds since the Unix
// epoch, UTC. Errors are InvalidArgument naming what is wrong, without a
// position: the caller knows where the literal is.
Result<int64_t> ParseDatetime(std::string_view text);

// "2026-01-02T03:04:05Z", with ".5" / ".123456" when the fraction is not zero
// (trailing zeros dropped). ParseDatetime(FormatDatetime(us)) == us.
std::string FormatDatetime(int64_t micros);

}  // namespace sextant::query::internal
