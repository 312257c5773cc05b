// Byte ranges (RFC 9110 §14): parsing a Range header against a file size.
//
// Overlapping and adjacent ranges are merged, so a request cannot make the
// answer larger than the file plus the multipart framing of at most
// kMaxRangeParts parts; more disjoint parts than that, or a header that does
// not parse, is ignored and the whole file is sent (RFC 9110 allows both).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace sextant::http {

struct ByteRange {
  uint64_t first = 0, last = 0;  // inclusive
  uint64_t length() const { return last - first + 1; }
};

struct RangePlan {
  enum class Kind {
    kWhole,          // no usable Range header: 200 with the whole file
    kPartial,        // 206 with `ranges` (one part, or multipart/byteranges)
    kUnsatisfiable,  // 416 with Content-Range: bytes */size
  };
  Kind kind = Kind::kWhole;
  std::vector<ByteRange> ranges;  // sorted, disjoint, not adjacent
};

inline constexpr size_t kMaxRangeParts = 16;

RangePlan PlanRanges(std::string_view header, uint64_t size);

}  // namespace sextant::http
