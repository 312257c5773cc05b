#include "http/server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "http/connection.h"
#include "http/tls.h"

namespace sextant::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct Server::Impl {
  Impl(Dispatcher* d, ServerOptions o)
      : dispatcher(d), options(std::move(o)), pool(std::max(1, options.workers)) {}

  Dispatcher* dispatcher;
  ServerOptions options;
  // Set by Bind() for HTTPS; outlives the connections (and the event loop).
  std::unique_ptr<asio::ssl::context> tls;
  asio::io_context ioc;
  asio::thread_pool pool;
  tcp::acceptor acceptor{ioc};
  std::atomic<bool> stopping{false};
  ConnectionRegistry registry;
  std::unique_ptr<BodyBudget> budget{options.max_body_memory
                                         ? std::make_unique<BodyBudget>(options.max_body_memory)
                                         : nullptr};

  asio::awaitable<void> AcceptLoop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(
          asio::make_strand(ioc), asio::as_tuple(asio::use_awaitable));
      if (stopping) co_return;
      if (ec) {
        if (ec == asio::error::operation_aborted) co_return;
        // Out of file descriptors or memory: back off rather than spin.
        std::fprintf(stderr, "sextant: accept failed: %s\n", ec.message().c_str());
        asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(100));
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto exec = socket.get_executor();
      asio::co_spawn(exec,
                     Connection::Run(std::move(socket),
                                     ConnectionContext{dispatcher, &options, &pool, &stopping,
                                                       &registry, tls.get(), budget.get()}),
                     asio::detached);
    }
  }
};

Server::Server(Dispatcher* dispatcher, ServerOptions options)
    : impl_(std::make_unique<Impl>(dispatcher, std::move(options))) {}

Server::~Server() {
  Stop();
  impl_->pool.join();
}

Result<int> Server::Bind() {
  if (tls()) {
    auto ctx = LoadTlsContext(impl_->options.tls_cert_file, impl_->options.tls_key_file);
    if (!ctx.ok()) return ctx.status();
    impl_->tls = std::move(ctx).value();
  }
  auto& a = impl_->acceptor;
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(impl_->options.host, ec);
  if (ec) {
    // A host name: resolve it (e.g. "localhost").
    tcp::resolver resolver(impl_->ioc);
    auto results = resolver.resolve(impl_->options.host, "", ec);
    if (ec || results.empty())
      return Status::InvalidArgument("cannot resolve host '" + impl_->options.host + "'");
    addr = results.begin()->endpoint().address();
  }
  tcp::endpoint ep(addr, static_cast<unsigned short>(impl_->options.port));
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return Status::Unavailable("cannot listen on " + impl_->options.host + ":" +
                               std::to_string(impl_->options.port) + " (" + ec.message() + ")");
  return static_cast<int>(a.local_endpoint().port());
}

Status Server::Serve() {
  asio::co_spawn(impl_->ioc, impl_->AcceptLoop(), asio::detached);
  int n = std::max(1, impl_->options.io_threads);
  std::vector<std::thread> threads;
  for (int i = 1; i < n; ++i) threads.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : threads) t.join();
  return Status::Ok();
}

bool Server::tls() const {
  return !impl_->options.tls_cert_file.empty() || !impl_->options.tls_key_file.empty();
}

void Server::Stop() {
  if (impl_->stopping.exchange(true)) return;
  asio::post(impl_->ioc, [impl = impl_.get()] {
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
    impl->registry.InterruptAll();
  });
}

}  // namespace sextant::http
