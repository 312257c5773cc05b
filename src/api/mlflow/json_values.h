// Reading JSON values as MLflow's protobuf JSON parser does: int64 fields may
// be numbers or decimal strings, doubles numbers or "NaN"/"Infinity", and a
// number where a string is expected is taken as its text. No HTTP here, so
// the decoders' fuzz harness links it alone.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sextant::api::mlflow {

Result<int64_t> JsonInt(simdjson::dom::element e, std::string_view what);
Result<double> JsonDouble(simdjson::dom::element e, std::string_view what);
Result<std::string> JsonStr(simdjson::dom::element e, std::string_view what);
// The same rules for text (query string parameters).
Result<int64_t> ParseInt(std::string_view s, std::string_view what);
Result<double> ParseDouble(std::string_view s, std::string_view what);

}  // namespace sextant::api::mlflow
