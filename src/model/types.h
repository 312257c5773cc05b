// The data model's vocabulary: attribute types, config values and steps.
// See DESIGN.md ("Data model") and docs/api/native.md.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/limits.h"

namespace sextant::model {

// Stored in the database as its integer value: never renumber.
enum class AttrType : uint8_t {
  kFloat = 1,
  kInt = 2,
  kBool = 3,
  kString = 4,
  kDatetime = 5,   // microseconds since the Unix epoch, UTC
  kStringSet = 6,  // e.g. sys/tags
  kFloatSeries = 10,
  kStringSeries = 11,
  kHistogramSeries = 12,
  kFile = 20,
  kFileSeries = 21,
};

std::string_view AttrTypeName(AttrType t);            // "float", "float_series", ...
std::optional<AttrType> ParseAttrType(std::string_view name);
bool IsSeries(AttrType t);                            // float/string/histogram series
bool IsConfig(AttrType t);                            // float..string_set

// A config value, or (for filters and the runs table) the last value of a
// series. Plain struct on purpose: values are small and copied rarely.
struct Value {
  AttrType type = AttrType::kFloat;
  double f = 0;                  // kFloat, kFloatSeries (last value)
  int64_t i = 0;                 // kInt, kBool (0/1), kDatetime (µs); series in the runs
                                 // table: the last step (micro-steps)
  std::string s;                 // kString, kStringSeries (last value), kFile (digest)
  std::vector<std::string> set;  // kStringSet, sorted and unique

  static Value Float(double v) { Value x; x.type = AttrType::kFloat; x.f = v; return x; }
  static Value Int(int64_t v) { Value x; x.type = AttrType::kInt; x.i = v; return x; }
  static Value Bool(bool v) { Value x; x.type = AttrType::kBool; x.i = v; return x; }
  static Value String(std::string v) { Value x; x.type = AttrType::kString; x.s = std::move(v); return x; }
  static Value Datetime(int64_t us) { Value x; x.type = AttrType::kDatetime; x.i = us; return x; }
  static Value StringSet(std::vector<std::string> v);
  bool operator==(const Value& o) const;
};

// Steps are decimals with six fractional digits, stored as int64 micro-steps
// (kStepScale, kMaxAbsStep in limits.h). Every conversion is exact: a step
// that is not a whole number of micro-steps is refused, never rounded, so a
// step sent as a JSON number means the same as the same step sent as text.
Result<int64_t> StepFromInt(int64_t step);                 // |step| < kMaxAbsStep
// A double is taken as the decimal its shortest round-trip text spells (0.1
// is "0.1", 2.5 is "2.5"), with the rules of StepFromString: 1e-7 and
// 0.1234567 are refused (more than six fractional digits), 1e-6 is accepted.
Result<int64_t> StepFromDouble(double step);
Result<int64_t> StepFromString(std::string_view decimal);  // "12", "-3.5"; "1e3" rejected
Status ValidateStep(int64_t micro);                        // |micro| < kMaxAbsMicroStep
std::string StepToString(int64_t micro);                   // exact: "12", "12.5", "-0.000001"
double StepToDouble(int64_t micro);

// Unix seconds to µs, rounded to the nearest µs. Never fails: NaN gives
// INT64_MIN and values beyond int64 saturate, so that decoders can translate
// without checking; validation (ValidateTimestamp, ValidateLogBatch) refuses
// what is out of range.
// Inline: decoders call it once per point.
inline int64_t SecondsToMicros(double seconds) {
  double us = seconds * 1e6;
  if (std::isnan(us)) return INT64_MIN;
  // 2^63 is exactly representable; anything at or beyond it saturates.
  if (us >= 9223372036854775808.0) return INT64_MAX;
  if (us <= -9223372036854775808.0) return INT64_MIN;
  return static_cast<int64_t>(std::llround(us));
}
// A point timestamp or created_at: [0, kMaxTimestampUs].
Status ValidateTimestamp(int64_t us);

// Attribute paths: non-empty, at most kMaxPathBytes, valid UTF-8, no control
// characters, no empty segments ("a//b"), no leading or trailing '/'.
Status ValidatePath(std::string_view path);
bool IsValidUtf8(std::string_view s);

// Project names: "workspace/project", each part [A-Za-z0-9._-]{1,128}.
Status ValidateProjectPart(std::string_view part, std::string_view what);
// Run ids: 1..128 bytes of [A-Za-z0-9._:-].
Status ValidateRunId(std::string_view run_id);

}  // namespace sextant::model
