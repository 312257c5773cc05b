#include "api/server.h"

#include "api/native/module.h"
#include "api/router.h"
#include "api/web_ui.h"
#include "http/server.h"

namespace sextant::api {

Server::Server(core::Tracker* tracker, ServerOptions options)
    : options_(std::move(options)), router_(std::make_unique<Router>()) {
  // The native API first: it also answers requests that match no route.
  native::Register(*router_, tracker, {options_.max_body_bytes, options_.max_file_bytes});
  // Later: mlflow::Register, neptune::Register.
  RegisterWebUi(*router_, options_.web_dir);
  http::ServerOptions h;
  h.host = options_.host;
  h.port = options_.port;
  // Requests that block (storage reads, group commits) run here; concurrent
  // writers share one durable commit, so the pool is larger than the cores.
  h.workers = options_.threads > 0 ? options_.threads : 64;
  http_ = std::make_unique<http::Server>(router_.get(), h);
}

Server::~Server() = default;

Result<int> Server::Bind() { return http_->Bind(); }
Status Server::Serve() { return http_->Serve(); }
void Server::Stop() { http_->Stop(); }

}  // namespace sextant::api
