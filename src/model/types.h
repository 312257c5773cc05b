// The data model's vocabulary: attribute types, config values and steps.
// See DESIGN.md ("Data model") and docs/api/native.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

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
  int64_t i = 0;                 // kInt, kBool (0/1), kDatetime (µs)
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

// Steps are decimals with six fractional digits, stored as int64 micro-steps.
constexpr int64_t kStepScale = 1'000'000;
// |step| must stay below this so that micro-steps fit in int64 with room.
constexpr double kMaxAbsStep = 9.0e12;

Result<int64_t> StepFromDouble(double step);
Result<int64_t> StepFromString(std::string_view decimal);  // "12", "-3.5", "1e3" rejected
std::string StepToString(int64_t micro);                   // exact: "12", "12.5", "-0.000001"
double StepToDouble(int64_t micro);

// Attribute paths: non-empty, at most kMaxPathBytes, valid UTF-8, no control
// characters, no empty segments ("a//b"), no leading or trailing '/'.
constexpr size_t kMaxPathBytes = 1024;
Status ValidatePath(std::string_view path);
bool IsValidUtf8(std::string_view s);

// Project names: "workspace/project", each part [A-Za-z0-9._-]{1,128}.
Status ValidateProjectPart(std::string_view part, std::string_view what);
// Run ids: 1..128 bytes of [A-Za-z0-9._:-].
Status ValidateRunId(std::string_view run_id);

}  // namespace sextant::model
