// The Sextant server: the router with every front end registered (native
// API, web UI), served by the event-driven transport (http/server.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "auth/access_tokens.h"
#include "auth/accounts.h"
#include "common/status.h"
#include "core/tracker.h"
#include "model/limits.h"

namespace sextant::http {
class Server;
}

namespace sextant::api {

class Router;
class Access;
namespace neptune {
class Neptune;
}
namespace mlflow {
class Experiments;
}

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 5050;
  size_t max_body_bytes = model::kDefaultMaxBodyBytes;  // JSON requests
  uint64_t max_file_bytes = model::kDefaultMaxFileBytes;  // file uploads
  int threads = 0;        // the blocking worker pool; 0: 64
  // Request bodies held at once, read and being handled (http::BodyBudget).
  uint64_t max_body_memory = uint64_t{32} << 20;
  std::string web_dir;    // built UI (web/dist); empty: none
  // Names clients may use in Host besides localhost and the bound address.
  std::vector<std::string> allowed_hosts;
  std::vector<std::string> trusted_proxies;  // reverse proxies (X-Forwarded-For)
  std::string tls_cert_file, tls_key_file;   // PEM; both empty: plain HTTP
  // Experiments created through MLflow's API become projects here.
  std::string mlflow_workspace = "mlflow";
  // The URL clients reach the server at (behind a proxy); empty: taken from
  // each request's Host. Neptune's clients are sent there.
  std::string external_url;
};

class Server {
 public:
  // With `accounts`, every request passes access control (api/access.h);
  // without, every request is admitted (tests of the API alone).
  // `access_tokens` (with `accounts`) lets clients exchange an API token for
  // short-lived access tokens (Neptune's clients).
  Server(core::Tracker* tracker, ServerOptions options, auth::Accounts* accounts = nullptr,
         const auth::AccessTokens* access_tokens = nullptr);
  ~Server();

  // Binds; returns the port actually bound (useful with port 0).
  Result<int> Bind();
  // Serves until Stop(); in-flight requests finish before it returns.
  Status Serve();
  void Stop();  // thread-safe

  const Router& router() const { return *router_; }

 private:
  ServerOptions options_;
  std::unique_ptr<Access> access_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<mlflow::Experiments> mlflow_;
  std::unique_ptr<neptune::Neptune> neptune_;
  std::unique_ptr<http::Server> http_;
};

}  // namespace sextant::api
