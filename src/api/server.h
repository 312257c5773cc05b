// The Sextant server: the router with every front end registered (native
// API, web UI), served by the event-driven transport (http/server.h).
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "core/tracker.h"
#include "model/limits.h"

namespace sextant::http {
class Server;
}

namespace sextant::api {

class Router;

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 5050;
  size_t max_body_bytes = model::kDefaultMaxBodyBytes;  // JSON requests
  uint64_t max_file_bytes = model::kDefaultMaxFileBytes;  // file uploads
  int threads = 0;        // the blocking worker pool; 0: 64
  std::string web_dir;    // built UI (web/dist); empty: none
};

class Server {
 public:
  Server(core::Tracker* tracker, ServerOptions options);
  ~Server();

  // Binds; returns the port actually bound (useful with port 0).
  Result<int> Bind();
  // Serves until Stop(); in-flight requests finish before it returns.
  Status Serve();
  void Stop();  // thread-safe

  const Router& router() const { return *router_; }

 private:
  ServerOptions options_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<http::Server> http_;
};

}  // namespace sextant::api
