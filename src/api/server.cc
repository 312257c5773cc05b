#include "api/server.h"

#include "api/access.h"
#include "api/mlflow/experiments.h"
#include "api/mlflow/module.h"
#include "api/native/module.h"
#include "api/neptune/module.h"
#include "api/neptune/neptune.h"
#include "api/router.h"
#include "api/web_ui.h"
#include "http/server.h"

namespace sextant::api {

Server::Server(core::Tracker* tracker, ServerOptions options, auth::Accounts* accounts,
               const auth::AccessTokens* access_tokens)
    : options_(std::move(options)), router_(std::make_unique<Router>()) {
  if (accounts) {
    access_ = std::make_unique<Access>(
        accounts, AccessOptions{options_.host, options_.allowed_hosts, options_.trusted_proxies},
        access_tokens);
    router_->SetGate(access_.get());
  }
  // The native API first: it also answers requests that match no route.
  native::Register(*router_, tracker,
                   {options_.max_body_bytes, options_.max_file_bytes, accounts, access_.get()});
  mlflow_ = mlflow::Register(*router_, tracker,
                             {options_.max_body_bytes, options_.max_file_bytes,
                              options_.mlflow_workspace});
  neptune_ = neptune::Register(*router_, tracker,
                               {options_.max_body_bytes, options_.max_file_bytes,
                                options_.external_url, !options_.tls_cert_file.empty(), access_tokens});
  RegisterWebUi(*router_, options_.web_dir);
  http::ServerOptions h;
  h.host = options_.host;
  h.port = options_.port;
  h.tls_cert_file = options_.tls_cert_file;
  h.tls_key_file = options_.tls_key_file;
  // Requests that block (storage reads, group commits) run here; concurrent
  // writers share one durable commit, so the pool is larger than the cores.
  h.workers = options_.threads > 0 ? options_.threads : 64;
  // What bounds the memory of many writers at once: bodies beyond this wait
  // unread (their clients slowed by TCP) instead of 64 decoding together.
  h.max_body_memory = options_.max_body_memory;
  http_ = std::make_unique<http::Server>(router_.get(), h);
}

Server::~Server() = default;

Result<int> Server::Bind() { return http_->Bind(); }
Status Server::Serve() { return http_->Serve(); }
void Server::Stop() { http_->Stop(); }

}  // namespace sextant::api
