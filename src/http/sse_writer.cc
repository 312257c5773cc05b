#include "http/sse_writer.h"

#include <boost/beast/core.hpp>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "http/tls.h"

namespace sextant::http {

namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// How long an ending stream waits for its reader to be cancelled before it
// closes the socket instead.
constexpr auto kReaderGrace = std::chrono::seconds(1);

using Pieces = std::vector<std::shared_ptr<const std::string>>;

// The comment line that keeps an idle event stream open through proxies.
std::shared_ptr<const std::string> KeepAliveComment() {
  static const auto kBeat = std::make_shared<const std::string>(": keep-alive\n\n");
  return kBeat;
}

// One chunk of a chunked body made of shared pieces, written with one
// gathering write (the pieces are not copied).
template <typename Stream>
asio::awaitable<bool> WriteChunk(Stream& stream, Pieces pieces, std::chrono::seconds io_timeout) {
  size_t total = 0;
  for (const auto& p : pieces) total += p->size();
  char size[24];
  int n = std::snprintf(size, sizeof size, "%zx\r\n", total);
  std::vector<asio::const_buffer> bufs;
  bufs.reserve(pieces.size() + 2);
  bufs.emplace_back(size, static_cast<size_t>(n));
  for (const auto& p : pieces) bufs.emplace_back(p->data(), p->size());
  bufs.emplace_back("\r\n", 2);
  beast::get_lowest_layer(stream).expires_after(io_timeout);
  auto [ec, written] = co_await asio::async_write(stream, bufs, kTuple);
  co_return !ec;
}

}  // namespace

template <typename Stream>
asio::awaitable<void> PumpEvents(Stream& stream, EventStream& events, const ServerOptions& opt,
                                 const std::atomic<bool>& stopping, asio::steady_timer** timer) {
  beast::tcp_stream& tcp = beast::get_lowest_layer(stream);
  auto exec = co_await asio::this_coro::executor;
  struct Wake {
    explicit Wake(asio::any_io_executor ex) : timer(ex) {}
    asio::steady_timer timer;
    std::atomic<bool> ready{false};    // Next() may have more
    std::atomic<bool> cooling{false};  // in the pause after a write: no wake-ups
    bool client_gone = false;
    char scratch[512];
  };
  auto wake = std::make_shared<Wake>(exec);
  *timer = &wake->timer;
  std::weak_ptr<Wake> weak = wake;
  events.OnReady([weak, exec] {
    auto w = weak.lock();
    if (w && !w->ready.exchange(true) && !w->cooling)
      asio::post(exec, [w] { w->timer.cancel(); });
  });
  // Anything the client sends (or its leaving) ends the stream.
  tcp.expires_never();
  // The handler owns `wake`, so the buffer outlives the read.
  stream.async_read_some(asio::buffer(wake->scratch), [wake](boost::system::error_code, size_t) {
    wake->client_gone = true;
    wake->timer.cancel();
  });
  auto over = [&] { return wake->client_gone || stopping; };
  bool ok = true;
  while (ok) {
    wake->ready = false;
    Pieces out;
    bool more = events.Next(&out);
    bool wrote = !out.empty();  // (`out` is moved from below)
    if (wrote) ok = co_await WriteChunk(stream, std::move(out), opt.io_timeout);
    if (!ok || !more || over()) break;
    if (wrote) {
      // Let the next events gather (see sse_min_interval).
      wake->cooling = true;
      wake->timer.expires_after(opt.sse_min_interval);
      co_await wake->timer.async_wait(kTuple);
      wake->cooling = false;
      if (over()) break;
    }
    if (wake->ready) continue;
    wake->timer.expires_after(opt.sse_heartbeat);
    auto [wec] = co_await wake->timer.async_wait(kTuple);
    if (!wec && !wake->ready && !over())
      ok = co_await WriteChunk(stream, Pieces(1, KeepAliveComment()), opt.io_timeout);
  }
  if (ok && !wake->client_gone) {
    static constexpr std::string_view kLast = "0\r\n\r\n";
    tcp.expires_after(opt.io_timeout);
    co_await asio::async_write(stream, asio::buffer(kLast.data(), kLast.size()), kTuple);
  }
  *timer = nullptr;
  // End the read above and wait for its handler, so that nothing is in flight
  // on the stream when it is closed (closing the socket if cancelling the read
  // is not enough).
  boost::system::error_code ignored;
  tcp.socket().cancel(ignored);
  wake->timer.expires_after(kReaderGrace);
  while (!wake->client_gone) {
    auto [wec] = co_await wake->timer.async_wait(kTuple);
    if (!wec && !wake->client_gone) {
      tcp.socket().close(ignored);
      wake->timer.expires_at(asio::steady_timer::time_point::max());
    }
  }
}

template asio::awaitable<void> PumpEvents(beast::tcp_stream&, EventStream&, const ServerOptions&,
                                          const std::atomic<bool>&, asio::steady_timer**);
template asio::awaitable<void> PumpEvents(TlsStream&, EventStream&, const ServerOptions&,
                                          const std::atomic<bool>&, asio::steady_timer**);

}  // namespace sextant::http
