// The Neptune front end's shared state: the core, the options, the upload
// records, the applier of RunOperations and the messages of failed requests.
#pragma once

#include <memory>

#include "api/neptune/apply.h"
#include "api/neptune/module.h"
#include "api/neptune/request_status.h"
#include "api/neptune/uploads.h"

namespace sextant::api::neptune {

class Neptune {
 public:
  Neptune(core::Tracker* tracker, Options options)
      : tracker_(tracker), options_(std::move(options)), uploads_(&tracker->upload_records()),
        applier_(tracker, uploads_) {}

  core::Tracker* tracker() { return tracker_; }
  const Options& options() const { return options_; }
  Uploads& uploads() { return *uploads_; }
  Applier& applier() { return applier_; }
  RecentMessages& messages() { return messages_; }

 private:
  core::Tracker* tracker_;
  Options options_;
  Uploads* uploads_;  // the tracker's
  Applier applier_;
  RecentMessages messages_;
};

}  // namespace sextant::api::neptune
