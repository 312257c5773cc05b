#include "api/native/module.h"

#include "api/native/respond.h"

namespace sextant::api::native {

void Register(Router& router, core::Tracker* tracker, const Options& options) {
  Router::Module& m = router.AddModule("native", Error);
  AddRunRoutes(m, tracker, options);
  AddProjectRoutes(m, tracker, options);
  AddFileRoutes(m, tracker, options);
  AddEventRoutes(m, tracker, options);
}

}  // namespace sextant::api::native
