#include "api/web_ui.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/native/respond.h"

namespace sextant::api {

namespace fs = std::filesystem;

namespace {

std::string_view MimeType(const fs::path& p) {
  std::string ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "application/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".woff") return "font/woff";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

bool ReadFile(const fs::path& p, std::string* out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::stringstream buf;
  buf << in.rdbuf();
  *out = buf.str();
  return true;
}

http::Response Html(std::string body) {
  http::Response r;
  r.content_type = "text/html; charset=utf-8";
  r.headers.Set("Cache-Control", "no-cache");
  r.body = std::move(body);
  return r;
}

}  // namespace

void RegisterWebUi(Router& router, const std::string& dir) {
  Router::Module& m = router.AddModule("web", native::Error);
  fs::path root = dir.empty() ? fs::path() : fs::weakly_canonical(dir);
  bool have_ui = !dir.empty() && fs::exists(root / "index.html");

  auto serve = [root, have_ui](Context& c) -> Result<http::Response> {
    const std::string& path = c.req.path;
    if (path.rfind("/api/", 0) == 0 || path == "/api")
      return Status::NotFound("no route for GET " + path);
    if (!have_ui)
      return Html(
          "<!doctype html><title>Sextant</title><h1>Sextant</h1>"
          "<p>The tracking server is running, but the web UI was not found (build it with "
          "<code>npm --prefix web ci &amp;&amp; npm --prefix web run build</code>, or pass "
          "<code>--web-dir</code>). API: <a href=\"/api/v1/projects\">/api/v1/projects</a>.</p>");
    // A built file, if the decoded path names one inside the root.
    std::string rel = c.Param("path");
    if (!rel.empty() && rel.find("..") == std::string::npos && rel.find('\0') == std::string::npos) {
      fs::path file = root / rel;
      std::error_code ec;
      if (fs::is_regular_file(file, ec)) {
        http::Response r;
        if (!ReadFile(file, &r.body)) return Status::Internal("cannot read " + rel);
        r.content_type = std::string(MimeType(file));
        // Built assets have content hashes in their names.
        r.headers.Set("Cache-Control", rel.rfind("assets/", 0) == 0
                                           ? "public, max-age=31536000, immutable"
                                           : "no-cache");
        return r;
      }
    }
    std::string index;
    if (!ReadFile(root / "index.html", &index)) return Status::Internal("cannot read index.html");
    return Html(std::move(index));
  };
  m.Add({"GET", "/", Permission::kPublic, 0, serve});
  m.Add({"GET", "/{path...}", Permission::kPublic, 0, serve});
}

}  // namespace sextant::api
