// The binary form of a log batch (docs/format/log-batch.md): float series as
// little-endian columns behind a small header, everything else as the JSON
// object of a log batch. Decoding copies columns; no per-character work.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"
#include "model/operations.h"

namespace sextant::api {

// The media type that selects this form on POST …/runs/{id}/log.
inline constexpr std::string_view kLogBatchMediaType = "application/vnd.sextant.log-batch";

// Decodes a binary log batch. Points without timestamps get `now_us`. Errors
// name the series and the part that is wrong; ranges and limits are the
// core's to check (model::ValidateLogBatch).
Result<model::LogBatch> DecodeBinaryLogBatch(std::string_view body, int64_t now_us);

}  // namespace sextant::api
