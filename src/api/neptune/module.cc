#include "api/neptune/module.h"

#include "api/neptune/neptune.h"
#include "api/neptune/respond.h"

namespace sextant::api::neptune {

std::unique_ptr<Neptune> Register(Router& router, core::Tracker* tracker, const Options& options) {
  auto owned = std::make_unique<Neptune>(tracker, options);
  Router::Module& m = router.AddModule("neptune", Error);
  AddAuthRoutes(m, owned.get());
  AddIngestRoutes(m, owned.get());
  AddProjectRoutes(m, owned.get());
  AddStorageRoutes(m, owned.get());
  AddReadRoutes(m, owned.get());
  AddAppLinks(m, owned.get());
  return owned;
}

}  // namespace sextant::api::neptune
