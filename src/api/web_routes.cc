// The web UI: static files of the built UI (web/dist) with a single-page-app
// fallback, so that a link to any view (e.g. /p/team/llm?filter=...) loads
// index.html and the UI restores the view from the URL.
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/server.h"

namespace sextant::api {

void Server::RouteWeb() {
  std::string dir = options_.web_dir;
  std::filesystem::path index = std::filesystem::path(dir) / "index.html";
  bool have_ui = !dir.empty() && std::filesystem::exists(index);
  if (have_ui) {
    http_->set_mount_point("/", dir);
    // Built assets have content hashes in their names; the page itself must be revalidated.
    http_->set_file_request_handler([](const httplib::Request& req, httplib::Response& res) {
      if (req.path.rfind("/assets/", 0) == 0)
        res.set_header("Cache-Control", "public, max-age=31536000, immutable");
      else
        res.set_header("Cache-Control", "no-cache");
    });
  }

  // Registered last: only requests no other route took arrive here.
  http_->Get(".*", [have_ui, index](const httplib::Request& req, httplib::Response& res) {
    if (req.path.rfind("/api/", 0) == 0 || req.path == "/api") {
      res.status = 404;
      res.set_content(ErrorBody("not_found", "no route for GET " + req.path), "application/json");
      return;
    }
    if (!have_ui) {
      res.set_content(
          "<!doctype html><title>Sextant</title><h1>Sextant</h1>"
          "<p>The tracking server is running, but the web UI was not found (build it with "
          "<code>npm --prefix web ci &amp;&amp; npm --prefix web run build</code>, or pass "
          "<code>--web-dir</code>). API: <a href=\"/api/v1/projects\">/api/v1/projects</a>.</p>",
          "text/html");
      return;
    }
    std::ifstream in(index, std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    res.set_header("Cache-Control", "no-cache");
    res.set_content(buf.str(), "text/html; charset=utf-8");
  });
}

}  // namespace sextant::api
