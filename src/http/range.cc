#include "http/range.h"

#include <algorithm>
#include <optional>

#include "http/message.h"

namespace sextant::http {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// 1*DIGIT, without overflow.
std::optional<uint64_t> Digits(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

struct Spec {
  std::optional<uint64_t> first, last;  // no first: a suffix of `last` bytes
};

std::optional<Spec> ParseSpec(std::string_view s) {
  size_t dash = s.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string_view a = s.substr(0, dash), b = s.substr(dash + 1);
  Spec spec;
  if (a.empty()) {  // suffix-range: "-N"
    spec.last = Digits(b);
    if (!spec.last) return std::nullopt;
    return spec;
  }
  spec.first = Digits(a);
  if (!spec.first) return std::nullopt;
  if (!b.empty()) {
    spec.last = Digits(b);
    if (!spec.last || *spec.last < *spec.first) return std::nullopt;
  }
  return spec;
}

}  // namespace

RangePlan PlanRanges(std::string_view header, uint64_t size) {
  RangePlan plan;
  header = Trim(header);
  size_t eq = header.find('=');
  if (eq == std::string_view::npos || !EqualsIgnoreCase(Trim(header.substr(0, eq)), "bytes"))
    return plan;  // another range unit, or none: ignored (RFC 9110 §14.2)
  std::vector<ByteRange> ranges;
  bool any = false;
  std::string_view rest = header.substr(eq + 1);
  while (true) {
    size_t comma = rest.find(',');
    std::string_view part = Trim(rest.substr(0, comma));
    if (!part.empty()) {  // empty list elements are allowed (RFC 9110 §5.6.1)
      auto spec = ParseSpec(part);
      if (!spec) return RangePlan{};  // invalid: ignore the header
      any = true;
      if (!spec->first) {
        uint64_t n = *spec->last;
        if (n > 0 && size > 0) ranges.push_back({n >= size ? 0 : size - n, size - 1});
      } else if (*spec->first < size) {
        uint64_t last = spec->last ? std::min(*spec->last, size - 1) : size - 1;
        ranges.push_back({*spec->first, last});
      }
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (!any) return RangePlan{};
  if (ranges.empty()) {
    plan.kind = RangePlan::Kind::kUnsatisfiable;
    return plan;
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const ByteRange& a, const ByteRange& b) { return a.first < b.first; });
  for (const ByteRange& r : ranges) {
    if (!plan.ranges.empty() && r.first <= plan.ranges.back().last + 1)
      plan.ranges.back().last = std::max(plan.ranges.back().last, r.last);
    else
      plan.ranges.push_back(r);
  }
  if (plan.ranges.size() > kMaxRangeParts) return RangePlan{};
  plan.kind = RangePlan::Kind::kPartial;
  return plan;
}

}  // namespace sextant::http
