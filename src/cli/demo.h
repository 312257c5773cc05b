// Seeds a small demo project so a fresh install has something to look at.
#pragma once

#include "common/status.h"
#include "core/tracker.h"

namespace sextant::cli {

// Logs project "demo/quickstart" (a few runs, one forked) unless it exists.
Status SeedDemo(core::Tracker* tracker);

}  // namespace sextant::cli
