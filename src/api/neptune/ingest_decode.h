// Neptune's ingest body (a protobuf RunOperation, as neptune-scale sends it
// to POST /api/client/v1/ingest) decoded into Sextant's core operations:
// a CreateRunOp for `create`, and one model::LogBatch for `update` and
// `update_batch` (every snapshot merged in order: later configs win, series
// points accumulate, a tag's last add/remove wins).
//
//   assign[path] = float64|int64|bool|string|timestamp|string_set → configs
//   assign[path] = file_ref                   → a file attribute (files)
//   append[path] = float64|int64              → float series at the snapshot's step
//   append[path] = string | histogram | file_ref → string / histogram / file series
//   modify_sets["sys/tags"|"sys/group_tags"]  → tags added / removed
//
// Steps are Step{whole, micro} (1.5 is {1, 500000}) and become micro-steps;
// timestamps become µs. An item Sextant cannot take (a histogram config, a
// set other than the tags, a point without a step) is refused alone, with
// Neptune's ingest code, and the rest of the operation stands. A body that is
// not a RunOperation, or lacks its project or run, is InvalidArgument (400)
// and nothing is stored. Limits are checked by the core (model/), not here.
// Fuzzed: ingest_fuzz.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/operations.h"

namespace sextant::api::neptune {

// Neptune's IngestCode values (proto/ingest.proto) that Sextant reports.
enum class IngestCode : int {
  kOk = 0,
  kProjectNotFound = 8,
  kProjectInvalidName = 9,
  kRunNotFound = 10,
  kRunConflicting = 12,
  kRunForkParentNotFound = 13,
  kRunInvalidCreationParameters = 14,
  kFieldPathExceedsSizeLimit = 16,
  kFieldPathEmpty = 17,
  kFieldPathInvalid = 18,
  kFieldPathNonWritable = 19,
  kFieldTypeUnsupported = 20,
  kFieldTypeConflicting = 21,
  kSeriesStepTooLarge = 40,
  kSeriesStepInvalid = 41,
  kSeriesStepNotAfterForkPoint = 26,
  kSeriesTimestampDecreasing = 27,
  kDatetimeValueOutOfRange = 33,
  kStringValueExceedsSizeLimit = 36,
  kStringSetExceedsSizeLimit = 37,
  kHistogramBinEdgesContainsNan = 50,
  kHistogramTooManyBins = 51,
  kHistogramBinEdgesNotIncreasing = 52,
  kHistogramValuesLengthDoesntMatchBins = 53,
  kInternal = 64,
};

// One item refused; `path` is the attribute ("" for the whole operation).
struct ItemError {
  std::string path;
  IngestCode code = IngestCode::kInternal;
  std::string message;
};

// A file (step empty) or a file-series point (step set) that refers to bytes
// uploaded earlier through a signed URL (`storage_path`).
struct FileAssign {
  std::string path;
  std::optional<int64_t> step;  // micro-steps
  int64_t ts_us = 0;
  std::string storage_path;
  int64_t size_bytes = 0;
  std::string mime_type;
};

struct DecodedOperation {
  model::ProjectName project;
  std::string run_id;
  bool create_missing_project = false;

  // `create`:
  std::optional<model::CreateRunOp> create;
  std::optional<model::ProjectName> fork_parent_project;  // when it names one
  bool inherit_configs = false;

  // `update` / `update_batch`:
  model::LogBatch batch;
  std::vector<std::string> group_tags_add, group_tags_remove;
  std::vector<FileAssign> files;

  size_t items = 0;               // configs, points, set changes and files decoded
  std::vector<ItemError> errors;  // items refused while decoding
};

// `now_us` stamps points that carry no timestamp.
Result<DecodedOperation> DecodeRunOperation(std::string_view body, int64_t now_us);

// "workspace/project" (Neptune's project identifier) → a project name.
Result<model::ProjectName> ParseProjectIdentifier(std::string_view id);

}  // namespace sextant::api::neptune
