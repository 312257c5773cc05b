// The web UI as a front end of the router: the built files (web/dist) and a
// single-page-app fallback, so that a link to any view (/p/team/llm?…) loads
// index.html and the UI restores the view from the URL.
#pragma once

#include <string>

#include "api/router.h"

namespace sextant::api {

// `dir`: the built UI; empty or missing: a page that says how to build it.
// Registered last: it takes every GET no other route took (not /api/…).
void RegisterWebUi(Router& router, const std::string& dir);

}  // namespace sextant::api
