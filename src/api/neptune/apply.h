// Applies a decoded Neptune RunOperation to the core, item by item where it
// must: the whole batch goes to Tracker::Log in one durable write; only when
// the core refuses it (a type conflict with stored data, a value beyond a
// limit) are the offending items found, refused alone with Neptune's ingest
// codes, and the rest written. So a request is never half-stored by
// accident, and one bad attribute does not lose its neighbours.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/neptune/ingest_decode.h"
#include "api/neptune/uploads.h"
#include "core/tracker.h"

namespace sextant::api::neptune {

struct ApplyResult {
  size_t ok_items = 0;
  std::vector<ItemError> errors;
};

class Applier {
 public:
  Applier(core::Tracker* tracker, Uploads* uploads) : tracker_(tracker), uploads_(uploads) {}

  // Errors come back in the result (as the client's check will see them);
  // a non-OK Status is a failure of the server itself (storage), answered 5xx.
  Result<ApplyResult> Apply(DecodedOperation op);
  // Attaches an upload that arrived after the operations naming it.
  Status AttachWaiting(const model::ProjectName& project, const std::vector<PendingAttach>& waiting,
                       const UploadRef& ref);

 private:
  Status Create(DecodedOperation& op, ApplyResult* r);
  Status Update(DecodedOperation& op, ApplyResult* r);
  // Refuses whatever in `batch` the core would refuse, then logs the rest.
  Status LogIsolating(const DecodedOperation& op, const storage::RunInfo& run, model::LogBatch batch,
                      ApplyResult* r);
  Status MergeGroupTags(const DecodedOperation& op, const storage::RunInfo& run, model::LogBatch* batch);
  Status AttachFiles(const DecodedOperation& op, ApplyResult* r);
  Status InheritConfigs(const DecodedOperation& op, const storage::RunInfo& child);

  core::Tracker* tracker_;
  Uploads* uploads_;
};

}  // namespace sextant::api::neptune
