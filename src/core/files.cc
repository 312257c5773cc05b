// Tracker operations on files that the front ends need beyond upload and
// download (tracker.cc): deleting them.
#include "core/tracker.h"

namespace sextant::core {

Status Tracker::DeleteFiles(const model::ProjectName& p, const std::string& run_id,
                            const std::vector<std::string>& paths) {
  for (const auto& path : paths) RETURN_IF_ERROR(model::ValidatePath(path));
  if (paths.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(storage::RunInfo run, backend_->GetRun(p, run_id));
  RETURN_IF_ERROR(backend_->DeleteFiles(run, paths, NowMicros(), [&] { catalog_->ApplyRemove(run, paths); }));
  backend_->Announce({run.project_id, run.id, "files", ""});
  return Status::Ok();
}

}  // namespace sextant::core
