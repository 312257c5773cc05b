// Core operations: what every protocol front end decodes into.
//
// The native JSON API, the MLflow and Neptune decoders and the importers all
// build these structs; validation lives once, here (ValidateLogBatch(),
// ValidateCreateRun()), and every limit is in limits.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "model/limits.h"
#include "model/types.h"

namespace sextant::model {

enum class RunState : uint8_t { kRunning = 0, kFinished = 1, kFailed = 2, kStale = 3 };
std::string_view RunStateName(RunState s);
std::optional<RunState> ParseRunState(std::string_view s);

struct ProjectName {
  std::string workspace;
  std::string name;
  std::string Full() const { return workspace + "/" + name; }
};

struct CreateRunOp {
  std::optional<std::string> run_id;  // generated when absent
  std::optional<std::string> name;
  std::optional<std::string> experiment_name;
  std::optional<std::string> fork_run_id;
  std::optional<int64_t> fork_step;    // micro-steps
  std::optional<int64_t> created_us;
};

// Points of one series in one request. For float series `floats` is used, for
// string and histogram series `bytes` (histograms as canonical JSON text).
struct SeriesWrite {
  std::string path;
  AttrType type = AttrType::kFloatSeries;
  std::vector<int64_t> steps;  // micro-steps
  std::vector<int64_t> ts;     // µs since epoch
  std::vector<double> floats;
  std::vector<std::string> bytes;
  size_t size() const { return steps.size(); }
};

// A user's edit of runs (run management): rename, notes, tags, archive and
// trash. Every field is optional; an edit changes at least one thing.
struct EditRunOp {
  std::optional<std::string> name;
  std::optional<std::string> description;  // Markdown, kMaxDescriptionBytes
  std::vector<std::string> add_tags;
  std::vector<std::string> remove_tags;
  std::optional<bool> archived;
  std::optional<bool> trashed;
};

struct LogBatch {
  std::vector<std::pair<std::string, Value>> configs;
  std::vector<std::string> remove_configs;  // config attributes to delete (absent: ignored)
  std::vector<SeriesWrite> series;
  std::vector<std::string> add_tags;
  std::vector<std::string> remove_tags;
  std::optional<RunState> state;
  size_t num_points() const;
};

// Validates paths, lengths, values, step and timestamp ranges and limits;
// floors point timestamps to limits.timestamp_resolution_us; sorts every
// series by step and keeps the last occurrence of a repeated step (last
// write wins inside a batch, as across batches). `min_step_exclusive` is
// the fork step of a forked run: its own points must come after it. Errors
// name the field as a decoder would ("series[0].steps[3]: ...").
Status ValidateLogBatch(LogBatch* batch, const Limits& limits,
                        std::optional<int64_t> min_step_exclusive);

// A point timestamp as it is kept: floored to limits.timestamp_resolution_us.
inline int64_t KeptTimestamp(int64_t us, const Limits& limits) {
  int64_t res = limits.timestamp_resolution_us;
  return res > 1 ? us - us % res : us;  // us >= 0 once validated: floors
}

// Run ids, names (kMaxRunNameBytes of UTF-8), fork step range, fork
// parameters given together, created_at range.
Status ValidateCreateRun(const CreateRunOp& op);
// Names and tags as ValidateCreateRun and ValidateLogBatch check them,
// descriptions up to kMaxDescriptionBytes of UTF-8, at least one change.
Status ValidateEditRun(const EditRunOp& op, const Limits& limits);
// Run and project notes: Markdown, at most kMaxDescriptionBytes of UTF-8.
Status ValidateDescription(std::string_view text);
// Both parts of "workspace/project".
Status ValidateProjectName(const ProjectName& p);
// Saved views: 1..kMaxViewNameBytes of UTF-8 without '/' or control characters.
Status ValidateViewName(std::string_view name);

// Paths under sys/ belong to the server, except sys/name, sys/description and
// sys/group_tags (a second set of tags, a string set config: Neptune's group
// tags).
inline constexpr std::string_view kGroupTagsPath = "sys/group_tags";
bool IsReservedPath(std::string_view path);

// Canonical JSON text of a histogram point; validates edges/counts.
Result<std::string> EncodeHistogram(const std::vector<double>& edges,
                                    const std::vector<double>& counts);

}  // namespace sextant::model
