// Decoding the native JSON API into core operations. Every error names the
// field that is wrong ("series[2].values[5]: expected a number, got string").
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>

#include "common/status.h"
#include "core/catalog.h"
#include "core/tracker.h"
#include "model/operations.h"

namespace sextant::api {

// Parses a request body as a JSON object. REQUIRES: body->capacity() is at
// least body->size() + simdjson::SIMDJSON_PADDING (see ReserveForJson), so the
// body is parsed in place without a copy. The element lives in `parser`.
Result<simdjson::dom::element> ParseJsonObject(simdjson::dom::parser& parser,
                                               const std::string& body);
// Grows `body`'s capacity so that ParseJsonObject can read past its end.
void ReserveForJson(std::string* body, size_t size);

Result<model::CreateRunOp> DecodeCreateRun(simdjson::dom::element body);
Result<model::LogBatch> DecodeLogBatch(simdjson::dom::element body, int64_t now_us);
Result<core::RunsQuery> DecodeRunsQuery(simdjson::dom::element body);
// A series request and how its raw points are to be written back.
struct SeriesQuery {
  core::SeriesRequest request;
  bool base64 = false;  // "encoding": "base64": binary columns (native.md)
};
Result<SeriesQuery> DecodeSeriesRequest(simdjson::dom::element body);
Result<std::optional<model::RunState>> DecodeFinish(simdjson::dom::element body);

// "-train/loss,config/lr" -> [{train/loss desc}, {config/lr asc}]
Result<std::vector<core::SortKey>> ParseSortParam(std::string_view text);

}  // namespace sextant::api
