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
// POST …/finish: {"state": "finished" | "failed", "ended_at": Unix seconds}.
struct FinishRequest {
  std::optional<model::RunState> state;  // absent: finished
  std::optional<int64_t> ended_us;       // absent: now (an importer keeps the source's)
};
Result<FinishRequest> DecodeFinish(simdjson::dom::element body);

// Run management. PATCH …/runs/{id}: {"name", "description", "add_tags",
// "remove_tags", "archived"}; POST …/runs/edit: {"run_ids", "add_tags",
// "remove_tags", "archived", "trashed"}. Validation is the core's
// (model::ValidateEditRun); these check shapes and unknown fields.
Result<model::EditRunOp> DecodeRunEdit(simdjson::dom::element body);
struct BulkEdit {
  std::vector<std::string> run_ids;
  model::EditRunOp op;
};
Result<BulkEdit> DecodeBulkEdit(simdjson::dom::element body);
// PATCH …/projects/{ws}/{p}: {"description"} (required).
Result<std::string> DecodeProjectEdit(simdjson::dom::element body);
// "hide" | "only" | "include": which trashed or archived runs a listing keeps.
Result<core::Visibility> ParseVisibility(std::string_view text, const std::string& field);

// "-train/loss,config/lr" -> [{train/loss desc}, {config/lr asc}]
Result<std::vector<core::SortKey>> ParseSortParam(std::string_view text);

}  // namespace sextant::api
