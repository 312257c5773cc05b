// Domain rules that a backend applies inside its write transaction, written
// once here so that every backend applies them the same way (a backend only
// stores and retrieves; it never decides what a write means).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/operations.h"

namespace sextant::model {

// The run's tags (`sys/tags`, a string set) after a batch: the stored tags
// and `add`, without those in `remove` (removal wins when a tag is in both).
Value EditTags(std::vector<std::string> current, const std::vector<std::string>& add,
               const std::vector<std::string>& remove);

// The run's new display name when a batch sets the `sys/name` config (the
// last one wins), else nullopt.
std::optional<std::string> RenameOf(const LogBatch& batch);

// Resuming run `run_id`, stored with fork parent `parent` at `step`: a
// create that names a fork must name that one (Conflict otherwise); one
// that names none resumes any run.
Status CheckResumedFork(const std::string& run_id, const std::optional<std::string>& parent,
                        const std::optional<int64_t>& step, const CreateRunOp& op);

// A new random run id ("run-" and 10 of [a-z0-9]).
std::string GenerateRunId();

// A series' last value is the one at its greatest step; a batch whose
// greatest step is `batch_step` replaces the stored last value when nothing
// is stored yet or when batch_step >= stored (last write wins on a tie).
// Backends evaluate this in SQL in the same UPDATE; this is its definition.
inline bool ReplacesLastValue(std::optional<int64_t> stored, int64_t batch_step) {
  return !stored || *stored <= batch_step;
}

}  // namespace sextant::model
