// One client connection: reads requests in order, hands each to the
// dispatcher, runs the blocking part on the worker pool and writes the answer.
// Internal to http/; see server.h for the rules it enforces.
#pragma once

#include <boost/asio.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "http/body_budget.h"
#include "http/message.h"
#include "http/server.h"

namespace boost::asio::ssl {
class context;
}

namespace sextant::http {

// Live connections, so that Stop() can close the idle ones and end event
// streams. Thread-safe.
class ConnectionRegistry {
 public:
  // `interrupt` is called (from the thread calling InterruptAll) once; it
  // must post its work to the connection's own executor.
  uint64_t Add(std::function<void()> interrupt);
  void Remove(uint64_t id);
  void InterruptAll();
  size_t size();

 private:
  std::mutex mu_;
  uint64_t next_ = 0;                                             // GUARDED_BY(mu_)
  std::unordered_map<uint64_t, std::function<void()>> interrupts_;  // GUARDED_BY(mu_)
};

struct ConnectionContext {
  Dispatcher* dispatcher;
  const ServerOptions* options;
  boost::asio::thread_pool* pool;
  std::atomic<bool>* stopping;
  ConnectionRegistry* registry;
  boost::asio::ssl::context* tls = nullptr;  // null: plain HTTP
  BodyBudget* budget = nullptr;              // null: bodies are not bounded together
};

class Connection {
 public:
  // Serves `socket` until the client or the server closes it; with
  // ctx.tls, after a TLS handshake, and the same way over the TLS stream.
  static boost::asio::awaitable<void> Run(boost::asio::ip::tcp::socket socket,
                                          ConnectionContext ctx);
};

}  // namespace sextant::http
