// The HTTP server: routing, limits, error mapping and the native API v1.
// Front ends only translate requests into core::Tracker operations.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "core/tracker.h"

namespace httplib {
class Server;
}

namespace sextant::api {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 5050;
  size_t max_body_bytes = 64u << 20;       // JSON requests
  uint64_t max_file_bytes = 100ull << 30;  // file uploads
  int threads = 0;                         // 0: 256
  std::string web_dir;                     // built UI (web/dist); empty: none
};

class Server {
 public:
  Server(core::Tracker* tracker, ServerOptions options);
  ~Server();

  // Binds; returns the port actually bound (useful with port 0).
  Result<int> Bind();
  // Serves until Stop(); in-flight requests finish before it returns.
  Status Serve();
  void Stop();  // thread-safe, async-signal-unsafe

 private:
  void Routes();
  void RouteFiles();
  void RouteWeb();
  core::Tracker* tracker_;
  ServerOptions options_;
  std::unique_ptr<httplib::Server> http_;
};

// Maps a Status to the HTTP status code; the one place that does so.
int HttpStatusFor(const Status& s);
std::string ErrorBody(std::string_view code, std::string_view message);

}  // namespace sextant::api
