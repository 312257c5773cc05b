#include "api/mlflow/json_values.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace sextant::api::mlflow {

namespace {

std::string Quote(std::string_view key) { return "'" + std::string(key) + "'"; }

}  // namespace

Result<int64_t> ParseInt(std::string_view s, std::string_view what) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size())
    return Status::InvalidArgument("Invalid value \"" + std::string(s) + "\" for parameter " +
                                   Quote(what) + " supplied: expected an integer");
  return v;
}

Result<double> ParseDouble(std::string_view s, std::string_view what) {
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s == "Infinity" || s == "inf") return std::numeric_limits<double>::infinity();
  if (s == "-Infinity" || s == "-inf") return -std::numeric_limits<double>::infinity();
  std::string tmp(s);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(tmp.c_str(), &end);
  if (tmp.empty() || *end)
    return Status::InvalidArgument("Invalid value \"" + tmp + "\" for parameter " + Quote(what) +
                                   " supplied: expected a number");
  return v;
}

Result<int64_t> JsonInt(simdjson::dom::element e, std::string_view what) {
  int64_t i;
  if (e.get_int64().get(i) == simdjson::SUCCESS) return i;
  uint64_t u;
  if (e.get_uint64().get(u) == simdjson::SUCCESS)
    return Status::InvalidArgument("Invalid value for parameter " + Quote(what) +
                                   ": out of range for int64");
  double d;
  if (e.get_double().get(d) == simdjson::SUCCESS) {
    if (std::floor(d) == d && std::fabs(d) < 9.2e18) return static_cast<int64_t>(d);
    return Status::InvalidArgument("Invalid value for parameter " + Quote(what) +
                                   ": expected an integer");
  }
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) return ParseInt(s, what);
  return Status::InvalidArgument("Invalid value for parameter " + Quote(what) +
                                 ": expected an integer");
}

Result<double> JsonDouble(simdjson::dom::element e, std::string_view what) {
  double d;
  if (e.get_double().get(d) == simdjson::SUCCESS) return d;
  int64_t i;
  if (e.get_int64().get(i) == simdjson::SUCCESS) return static_cast<double>(i);
  uint64_t u;
  if (e.get_uint64().get(u) == simdjson::SUCCESS) return static_cast<double>(u);
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) return ParseDouble(s, what);
  return Status::InvalidArgument("Invalid value for parameter " + Quote(what) +
                                 ": expected a number");
}

Result<std::string> JsonStr(simdjson::dom::element e, std::string_view what) {
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  if (e.is_number() || e.is_bool()) return simdjson::minify(e);
  return Status::InvalidArgument("Invalid value for parameter " + Quote(what) +
                                 ": expected a string");
}

}  // namespace sextant::api::mlflow
