#include "model/types.h"

#include <algorithm>
#include <cmath>
#include <charconv>
#include <cstdlib>

namespace sextant::model {

namespace {
struct TypeName {
  AttrType type;
  std::string_view name;
};
constexpr TypeName kTypeNames[] = {
    {AttrType::kFloat, "float"},
    {AttrType::kInt, "int"},
    {AttrType::kBool, "bool"},
    {AttrType::kString, "string"},
    {AttrType::kDatetime, "datetime"},
    {AttrType::kStringSet, "string_set"},
    {AttrType::kFloatSeries, "float_series"},
    {AttrType::kStringSeries, "string_series"},
    {AttrType::kHistogramSeries, "histogram_series"},
    {AttrType::kFile, "file"},
    {AttrType::kFileSeries, "file_series"},
};
}  // namespace

std::string_view AttrTypeName(AttrType t) {
  for (const auto& tn : kTypeNames)
    if (tn.type == t) return tn.name;
  return "unknown";
}

std::optional<AttrType> ParseAttrType(std::string_view name) {
  for (const auto& tn : kTypeNames)
    if (tn.name == name) return tn.type;
  return std::nullopt;
}

bool IsSeries(AttrType t) {
  return t == AttrType::kFloatSeries || t == AttrType::kStringSeries ||
         t == AttrType::kHistogramSeries;
}

bool IsConfig(AttrType t) { return static_cast<int>(t) >= 1 && static_cast<int>(t) <= 6; }

Value Value::StringSet(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  Value x;
  x.type = AttrType::kStringSet;
  x.set = std::move(v);
  return x;
}

bool Value::operator==(const Value& o) const {
  if (type != o.type) return false;
  switch (type) {
    case AttrType::kFloat:
    case AttrType::kFloatSeries:
      return f == o.f || (std::isnan(f) && std::isnan(o.f));
    case AttrType::kStringSet:
      return set == o.set;
    case AttrType::kString:
    case AttrType::kStringSeries:
    case AttrType::kFile:
      return s == o.s;
    default:
      return i == o.i;
  }
}

namespace {

bool AllDigits(std::string_view d) {
  return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Status StepOutOfRange(std::string_view shown) {
  return Status::InvalidArgument("step " + std::string(shown) +
                                 " is out of range (|step| < 9e12)");
}

// The exact micro-steps of the decimal `neg` `digits` x 10^`exp10`, where
// `digits` is a non-empty string of decimal digits. `shown` names the step in
// error messages.
Result<int64_t> DecimalToMicro(bool neg, std::string_view digits, int64_t exp10,
                               std::string_view shown) {
  while (digits.size() > 1 && digits[0] == '0') digits.remove_prefix(1);
  if (digits == "0") return int64_t{0};
  while (digits.size() > 1 && digits.back() == '0') {  // 1.50 -> 15 x 10^-1
    digits.remove_suffix(1);
    ++exp10;
  }
  int64_t scale = exp10 + kStepFractionDigits;  // micro = digits x 10^scale
  if (scale < 0)
    return Status::InvalidArgument("step " + std::string(shown) + " has more than " +
                                   std::to_string(kStepFractionDigits) + " fractional digits");
  // 9e18 has 19 digits; anything longer is out of range (and would overflow).
  if (static_cast<int64_t>(digits.size()) + scale > 19) return StepOutOfRange(shown);
  uint64_t v = 0;
  for (char c : digits) v = v * 10 + static_cast<uint64_t>(c - '0');
  for (int64_t k = 0; k < scale; ++k) v *= 10;
  if (v >= static_cast<uint64_t>(kMaxAbsMicroStep)) return StepOutOfRange(shown);
  int64_t m = static_cast<int64_t>(v);
  return neg ? -m : m;
}

}  // namespace

Result<int64_t> StepFromInt(int64_t step) {
  if (step <= -kMaxAbsStep || step >= kMaxAbsStep) return StepOutOfRange(std::to_string(step));
  return step * kStepScale;
}

Result<int64_t> StepFromDouble(double step) {
  if (!std::isfinite(step)) return Status::InvalidArgument("step must be a finite number");
  // The shortest text that reads back as the same double is the decimal the
  // client meant (0.1 -> "1e-01", not 0.1000000000000000055...).
  char sci[40], shown[40];
  auto r = std::to_chars(sci, sci + sizeof sci, step, std::chars_format::scientific);
  auto g = std::to_chars(shown, shown + sizeof shown, step);
  if (r.ec != std::errc() || g.ec != std::errc())
    return Status::Internal("formatting a step failed");
  std::string_view text(sci, static_cast<size_t>(r.ptr - sci));
  std::string_view display(shown, static_cast<size_t>(g.ptr - shown));
  // text is [-]d[.ddd]e(+|-)dd
  bool neg = !text.empty() && text[0] == '-';
  if (neg) text.remove_prefix(1);
  size_t e = text.find('e');
  if (e == std::string_view::npos) return Status::Internal("unexpected step text");
  std::string_view mant = text.substr(0, e);
  int64_t exp10 = std::strtoll(std::string(text.substr(e + 1)).c_str(), nullptr, 10);
  std::string digits;
  size_t dot = mant.find('.');
  if (dot == std::string_view::npos) {
    digits = std::string(mant);
  } else {
    digits = std::string(mant.substr(0, dot)) + std::string(mant.substr(dot + 1));
    exp10 -= static_cast<int64_t>(mant.size() - dot - 1);
  }
  return DecimalToMicro(neg, digits, exp10, display);
}

Result<int64_t> StepFromString(std::string_view text) {
  std::string_view s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  size_t dot = s.find('.');
  std::string_view ip = s.substr(0, dot);
  std::string_view fp = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  std::string shown = "'" + std::string(text.substr(0, 64)) + "'";
  if (ip.empty() || !AllDigits(ip) || !AllDigits(fp) || (dot != std::string_view::npos && fp.empty()))
    return Status::InvalidArgument("step " + shown + " is not a decimal number");
  // Text is exact as given: "0.1000000" has seven fractional digits even if
  // the last is zero.
  if (fp.size() > static_cast<size_t>(kStepFractionDigits))
    return Status::InvalidArgument("step " + shown + " has more than " +
                                   std::to_string(kStepFractionDigits) + " fractional digits");
  std::string digits = std::string(ip) + std::string(fp);
  return DecimalToMicro(neg, digits, -static_cast<int64_t>(fp.size()), shown);
}

Status ValidateStep(int64_t micro) {
  if (micro <= -kMaxAbsMicroStep || micro >= kMaxAbsMicroStep)
    return Status::InvalidArgument("step is out of range (|step| < 9e12)");
  return Status::Ok();
}

Status ValidateTimestamp(int64_t us) {
  if (us < 0 || us > kMaxTimestampUs)
    return Status::InvalidArgument(
        "timestamp must be Unix seconds from 0 to 253402300799 (the end of year 9999)");
  return Status::Ok();
}

std::string StepToString(int64_t micro) {
  bool neg = micro < 0;
  uint64_t u = neg ? 0 - static_cast<uint64_t>(micro) : static_cast<uint64_t>(micro);
  std::string out = neg ? "-" : "";
  out += std::to_string(u / kStepScale);
  uint64_t frac = u % kStepScale;
  if (frac) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%06llu", static_cast<unsigned long long>(frac));
    std::string f(buf);
    while (!f.empty() && f.back() == '0') f.pop_back();
    out += "." + f;
  }
  return out;
}

double StepToDouble(int64_t micro) {
  return static_cast<double>(micro / kStepScale) +
         static_cast<double>(micro % kStepScale) / static_cast<double>(kStepScale);
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) { ++i; continue; }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = s[i + k];
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

Status ValidatePath(std::string_view path) {
  if (path.empty()) return Status::InvalidArgument("attribute path is empty");
  if (path.size() > kMaxPathBytes)
    return Status::InvalidArgument("attribute path is " + std::to_string(path.size()) +
                                   " bytes; the limit is " + std::to_string(kMaxPathBytes));
  if (!IsValidUtf8(path)) return Status::InvalidArgument("attribute path is not valid UTF-8");
  std::string shown(path.substr(0, 80));
  for (unsigned char c : path)
    if (c < 0x20 || c == 0x7F)
      return Status::InvalidArgument("attribute path contains a control character");
  if (path.front() == '/' || path.back() == '/')
    return Status::InvalidArgument("attribute path '" + shown + "' starts or ends with '/'");
  if (path.find("//") != std::string_view::npos)
    return Status::InvalidArgument("attribute path '" + shown + "' has an empty segment");
  return Status::Ok();
}

static bool NameChars(std::string_view s, bool allow_colon) {
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-' || (allow_colon && c == ':');
  });
}

Status ValidateProjectPart(std::string_view part, std::string_view what) {
  if (part.empty() || part.size() > 128 || !NameChars(part, false) || part == "." || part == "..")
    return Status::InvalidArgument(std::string(what) + " '" + std::string(part.substr(0, 130)) +
                                   "' must be 1-128 characters of [A-Za-z0-9._-]");
  return Status::Ok();
}

Status ValidateRunId(std::string_view id) {
  if (id.empty() || id.size() > 128 || !NameChars(id, true) || id == "." || id == "..")
    return Status::InvalidArgument("run id '" + std::string(id.substr(0, 130)) +
                                   "' must be 1-128 characters of [A-Za-z0-9._:-]");
  return Status::Ok();
}

}  // namespace sextant::model
