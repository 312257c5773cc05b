// Aggregate references in paths: "min(val/loss)" (filter.h).
#include <array>
#include <utility>

#include "query/filter.h"

namespace sextant::query {

namespace {
constexpr std::array<std::pair<std::string_view, AggregateFn>, 6> kNames = {{
    {"min", AggregateFn::kMin},
    {"max", AggregateFn::kMax},
    {"mean", AggregateFn::kMean},
    {"first", AggregateFn::kFirst},
    {"last", AggregateFn::kLast},
    {"last_step", AggregateFn::kLastStep},
}};
}  // namespace

bool IsAggregateName(std::string_view name) {
  for (const auto& [n, fn] : kNames)
    if (n == name) return true;
  return false;
}

std::string_view AggregateName(AggregateFn fn) {
  for (const auto& [n, f] : kNames)
    if (f == fn) return n;
  return "";
}

std::optional<AggregateRef> ParseAggregate(std::string_view text) {
  size_t open = text.find('(');
  if (open == std::string_view::npos || text.size() < open + 3 || text.back() != ')') return std::nullopt;
  std::string_view name = text.substr(0, open);
  for (const auto& [n, fn] : kNames)
    if (n == name) return AggregateRef{fn, std::string(text.substr(open + 1, text.size() - open - 2))};
  return std::nullopt;
}

}  // namespace sextant::query
