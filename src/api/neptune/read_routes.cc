#include "api/neptune/module.h"

namespace sextant::api::neptune {

// The read endpoints come in the next commit.
void AddReadRoutes(Router::Module& m, Neptune* n) {}

}  // namespace sextant::api::neptune
