#include "http/connection.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <optional>
#include <type_traits>
#include <utility>

#include "http/decode_body.h"
#include "http/framing.h"
#include "http/range.h"
#include "http/response_encoding.h"
#include "http/sse_writer.h"
#include "http/tls.h"

namespace sextant::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

uint64_t ConnectionRegistry::Add(std::function<void()> interrupt) {
  std::lock_guard<std::mutex> l(mu_);
  interrupts_.emplace(++next_, std::move(interrupt));
  return next_;
}

void ConnectionRegistry::Remove(uint64_t id) {
  std::lock_guard<std::mutex> l(mu_);
  interrupts_.erase(id);
}

void ConnectionRegistry::InterruptAll() {
  std::lock_guard<std::mutex> l(mu_);
  for (auto& [id, fn] : interrupts_) fn();
}

size_t ConnectionRegistry::size() {
  std::lock_guard<std::mutex> l(mu_);
  return interrupts_.size();
}

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kBodyChunk = 256 << 10;  // streamed uploads and file reads
constexpr size_t kFileChunk = 1 << 20;
// How long and how much a closing connection keeps reading (LingeringClose).
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr uint64_t kLingerBytes = 256ull << 20;
// How long a closing TLS connection waits for the client's close_notify.
constexpr auto kTlsShutdownTime = std::chrono::seconds(1);

// State shared with the registry's interrupt, which runs on this
// connection's strand.
struct Shared {
  beast::tcp_stream* stream = nullptr;  // null once the connection ended
  bool idle = false;                    // waiting for the next request
  asio::steady_timer* sse_timer = nullptr;
};

// One connection over `Stream`: beast::tcp_stream (plain HTTP) or TlsStream.
// Both have the same tcp_stream as their lowest layer (Tcp()), which holds
// the deadlines and the socket; requests and answers go through stream_.
template <typename Stream>
class Session {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  // `args` construct the stream: the socket, and the TLS context if any.
  template <typename... Args>
  explicit Session(ConnectionContext ctx, Args&&... args)
      : stream_(std::forward<Args>(args)...), ctx_(ctx), opt_(*ctx.options) {}

  asio::awaitable<void> Serve() {
    auto shared = std::make_shared<Shared>();
    shared->stream = &Tcp();
    auto exec = stream_.get_executor();
    const uint64_t id = ctx_.registry->Add([shared, exec] {
      asio::post(exec, [shared] {
        if (!shared->stream) return;
        if (shared->idle) {
          boost::system::error_code ignored;
          shared->stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
          shared->stream->socket().close(ignored);
        }
        if (shared->sse_timer) shared->sse_timer->cancel();
      });
    });
    shared_ = shared.get();
    waiter_id_ = id + 1;  // BodyBudget waiters are never 0
    boost::system::error_code ep_ec;
    auto ep = Tcp().socket().remote_endpoint(ep_ec);
    if (!ep_ec) peer_ = ep.address().to_string();
    if (co_await Handshake()) {
      try {
        while (co_await ServeOne()) {
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "sextant: connection error: %s\n", e.what());
      }
      co_await LingeringClose();
    }
    boost::system::error_code ignored;
    Tcp().socket().close(ignored);
    shared->stream = nullptr;
    shared->sse_timer = nullptr;
    ctx_.registry->Remove(id);
  }

 private:
  // Runs `f` on the worker pool and resumes here with its result.
  template <typename F>
  asio::awaitable<std::invoke_result_t<F&>> OnPool(F f) {
    using R = std::invoke_result_t<F&>;
    co_return co_await asio::co_spawn(
        ctx_.pool->get_executor(), [&f]() -> asio::awaitable<R> { co_return f(); },
        asio::use_awaitable);
  }

  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  // TLS: the handshake, with the head's deadline; a client that fails it is
  // closed without a word. The connection counts as idle meanwhile, so that
  // Stop() does not wait for it.
  asio::awaitable<bool> Handshake() {
    if constexpr (!kTls) {
      co_return true;
    } else {
      if (*ctx_.stopping) co_return false;
      shared_->idle = true;
      bool ok = co_await TlsHandshake(stream_, opt_.header_timeout);
      shared_->idle = false;
      co_return ok;
    }
  }

  // Closes our side first (TLS: close_notify, then the TCP half-close), then
  // reads and discards what the client still sends (bounded in time and
  // bytes) before closing: a client that is still sending a refused body then
  // reads our answer instead of a reset. The bytes are never parsed (nor
  // decrypted). An ended event stream (linger_ false) is closed at once.
  asio::awaitable<void> LingeringClose() {
    boost::system::error_code ignored;
    bool open = Tcp().socket().is_open() && !*ctx_.stopping;
    if constexpr (kTls) {
      if (open) co_await TlsShutdown(stream_, kTlsShutdownTime);
    }
    Tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (open && linger_ && Tcp().socket().is_open()) {
      Tcp().expires_after(kLingerTime);
      std::vector<char> sink(64 << 10);
      uint64_t drained = 0;
      while (drained < kLingerBytes) {
        auto [ec, n] = co_await Tcp().async_read_some(asio::buffer(sink), kTuple);
        if (ec) break;
        drained += n;
      }
    }
    Tcp().socket().close(ignored);
  }

  // Serves one request; false when the connection is to be closed.
  asio::awaitable<bool> ServeOne() {
    // Between requests: wait (idle_timeout) for the first byte of the next.
    if (buf_.size() == 0) {
      if (*ctx_.stopping) co_return false;
      shared_->idle = true;
      Tcp().expires_after(opt_.idle_timeout);
      auto [ec, n] = co_await stream_.async_read_some(buf_.prepare(4096), kTuple);
      shared_->idle = false;
      if (ec) co_return false;
      buf_.commit(n);
    }
    bhttp::request_parser<bhttp::empty_body> hp;
    hp.header_limit(static_cast<uint32_t>(opt_.max_header_bytes));
    hp.body_limit(boost::none);  // each route has its own; checked below
    Tcp().expires_after(opt_.header_timeout);
    auto [ec, n] = co_await bhttp::async_read_header(stream_, buf_, hp, kTuple);
    if (ec) {
      if (ec == bhttp::error::end_of_stream) co_return false;
      if (ec == beast::error::timeout) {
        co_await WriteTransportError(408, "request_timeout", "the request head did not arrive in time");
      } else if (ec == bhttp::error::header_limit) {
        co_await WriteTransportError(431, "headers_too_large",
                                     "the request head exceeds " +
                                         std::to_string(opt_.max_header_bytes) + " bytes");
      } else {
        co_await WriteTransportError(400, "invalid_argument",
                                     "malformed HTTP request: " + ec.message());
      }
      co_return false;
    }
    auto& head = hp.get();
    Request req;
    req.method = std::string(head.method_string());
    req.target = std::string(head.target());
    SplitTarget(&req);
    req.peer = peer_;
    req.secure = kTls;
    req.version = head.version() == 10 ? 10 : 11;
    size_t fields = 0;
    for (const auto& f : head) {
      if (++fields > opt_.max_header_fields) break;
      req.headers.Add(std::string(f.name_string()), std::string(f.value()));
    }
    if (fields > opt_.max_header_fields) {
      co_await WriteTransportError(431, "headers_too_large",
                                   "more than " + std::to_string(opt_.max_header_fields) +
                                       " header fields");
      co_return false;
    }
    if (auto bad = CheckFraming(head.version(), req)) {
      co_await WriteTransportError(bad->status, bad->code, bad->message);
      co_return false;
    }
    bool has_body = hp.chunked() || (hp.content_length() && *hp.content_length() > 0);
    bool keep_alive = head.keep_alive();
    bool is_head = req.method == "HEAD";
    std::string accept_encoding(req.headers.GetOr("Accept-Encoding"));

    std::unique_ptr<Exchange> ex = ctx_.dispatcher->Dispatch(req);
    uint64_t limit = ex->body_limit();
    Response res;
    bool body_read = !has_body;
    if (has_body && limit == 0) {
      // A route that takes no body (or an early error such as 404): answer
      // without reading, then close, so the body is never taken as requests.
      if (ex->runs_inline()) res = ex->Run(req);
      else res = co_await OnPool([&] { return ex->Run(req); });
      res.close = true;
    } else if (has_body && hp.content_length() && *hp.content_length() > limit) {
      res = ex->Error(413, "payload_too_large",
                      "request body exceeds the limit of " + std::to_string(limit) + " bytes");
      res.close = true;
    } else if (ex->streams_body()) {
      res = co_await StreamBody(hp, req, *ex, has_body, &body_read);
    } else {
      BodyHold hold;
      if (has_body && ctx_.budget) {
        // A chunked body's size is unknown until read: it counts as 1 MiB.
        uint64_t want = hp.content_length() ? *hp.content_length() : uint64_t{1} << 20;
        if (co_await WaitForBudget(want)) hold = BodyHold(ctx_.budget, want);
      }
      if (has_body) {
        co_await MaybeContinue(req);
        std::optional<Response> err = co_await ReadBody(hp, req, *ex);
        if (err) {
          res = std::move(*err);
          res.close = true;
        } else {
          body_read = true;
        }
      }
      if (body_read && ex->runs_inline() && req.body.empty()) {
        res = ex->Run(req);
      } else if (body_read) {
        res = co_await OnPool([&] {
          Response r;
          std::string_view enc = req.headers.GetOr("Content-Encoding");
          if (!enc.empty() && !req.body.empty()) {
            auto decoded = DecodeBody(enc, req.body, limit);
            if (!decoded.ok()) {
              const Status& s = decoded.status();
              r = s.code() == Code::kTooLarge
                      ? ex->Error(413, "payload_too_large", s.message())
                      : s.code() == Code::kUnsupportedMedia
                            ? ex->Error(415, "unsupported_media_type", s.message())
                            : ex->Error(400, "invalid_argument", s.message());
              return r;
            }
            req.body = std::move(decoded).value();
          }
          r = ex->Run(req);
          if (!is_head) MaybeCompress(accept_encoding, r);
          return r;
        });
      }
    }
    if (!body_read) res.close = true;
    if (*ctx_.stopping) res.close = true;
    keep_alive = keep_alive && !res.close;
    bool ok = co_await WriteResponse(req, res, keep_alive, is_head);
    co_return ok && keep_alive;
  }

  // Bytes of a BodyBudget held until the request has been handled.
  class BodyHold {
   public:
    BodyHold() = default;
    BodyHold(BodyBudget* b, uint64_t bytes) : b_(b), bytes_(bytes) {}
    BodyHold(BodyHold&& o) noexcept : b_(std::exchange(o.b_, nullptr)), bytes_(o.bytes_) {}
    BodyHold& operator=(BodyHold&& o) noexcept {
      if (this != &o) {
        if (b_) b_->Release(bytes_);
        b_ = std::exchange(o.b_, nullptr);
        bytes_ = o.bytes_;
      }
      return *this;
    }
    ~BodyHold() {
      if (b_) b_->Release(bytes_);
    }

   private:
    BodyBudget* b_ = nullptr;
    uint64_t bytes_ = 0;
  };

  // Waits, without reading from the client, until `bytes` fit in the body
  // budget. False (nothing held) when the server stops meanwhile.
  asio::awaitable<bool> WaitForBudget(uint64_t bytes) {
    using Clock = std::chrono::steady_clock;
    constexpr auto kUrgentAfter = std::chrono::milliseconds(200);
    const auto start = Clock::now();
    auto pause = std::chrono::milliseconds(1);
    asio::steady_timer timer(stream_.get_executor());
    while (!ctx_.budget->TryAcquire(waiter_id_, bytes, Clock::now() - start > kUrgentAfter)) {
      if (*ctx_.stopping) {
        ctx_.budget->Abandon(waiter_id_);
        co_return false;
      }
      timer.expires_after(pause);
      co_await timer.async_wait(kTuple);
      pause = std::min(pause * 2, std::chrono::milliseconds(8));
    }
    co_return true;
  }

  asio::awaitable<void> MaybeContinue(const Request& req) {
    if (!EqualsIgnoreCase(req.headers.GetOr("Expect"), "100-continue")) co_return;
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    Tcp().expires_after(opt_.io_timeout);
    co_await asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()), kTuple);
  }

  // Reads a buffered body into req.body; an error response when it fails.
  asio::awaitable<std::optional<Response>> ReadBody(bhttp::request_parser<bhttp::empty_body>& hp,
                                                     Request& req, Exchange& ex) {
    uint64_t limit = ex.body_limit();
    bhttp::request_parser<bhttp::string_body> p(std::move(hp));
    p.body_limit(limit);
    if (p.content_length()) p.get().body().reserve(*p.content_length() + 64);  // JSON padding
    while (!p.is_done()) {
      Tcp().expires_after(opt_.io_timeout);
      auto [ec, n] = co_await bhttp::async_read_some(stream_, buf_, p, kTuple);
      if (ec == bhttp::error::body_limit)
        co_return ex.Error(413, "payload_too_large",
                           "request body exceeds the limit of " + std::to_string(limit) + " bytes");
      if (ec == beast::error::timeout)
        co_return ex.Error(408, "request_timeout", "the request body did not arrive in time");
      if (ec) co_return ex.Error(400, "invalid_argument", "could not read the request body: " + ec.message());
    }
    req.body = std::move(p.get().body());
    co_return std::nullopt;
  }

  // A streamed upload: the route opens a sink, chunks are decoded (bounded)
  // and appended on the pool as they arrive.
  asio::awaitable<Response> StreamBody(bhttp::request_parser<bhttp::empty_body>& hp, Request& req,
                                       Exchange& ex, bool has_body, bool* body_read) {
    uint64_t limit = ex.body_limit();
    Response err;
    std::unique_ptr<BodySink> sink = co_await OnPool([&] { return ex.Sink(req, &err); });
    if (!sink) {
      err.close = err.close || has_body;
      co_return err;
    }
    auto decoder = BodyDecoder::Create(req.headers.GetOr("Content-Encoding"), limit);
    if (!decoder.ok()) {
      co_await OnPool([&] {
        sink->Abort();
        return 0;
      });
      Response r = ex.Error(415, "unsupported_media_type", decoder.status().message());
      r.close = true;
      co_return r;
    }
    auto& dec = *decoder.value();
    Status st;
    if (has_body) {
      co_await MaybeContinue(req);
      bhttp::request_parser<bhttp::buffer_body> p(std::move(hp));
      p.body_limit(limit);
      std::vector<char> chunk(kBodyChunk);
      while (!p.is_done() && st.ok()) {
        p.get().body().data = chunk.data();
        p.get().body().size = chunk.size();
        Tcp().expires_after(opt_.io_timeout);
        auto [ec, n] = co_await bhttp::async_read_some(stream_, buf_, p, kTuple);
        if (ec == bhttp::error::need_buffer) ec = {};
        if (ec == bhttp::error::body_limit) {
          st = Status::TooLarge("request body exceeds the limit of " + std::to_string(limit) + " bytes");
        } else if (ec) {
          st = Status::InvalidArgument("upload interrupted: " + ec.message());
        } else {
          size_t got = chunk.size() - p.get().body().size;
          if (got)
            st = co_await OnPool([&] {
              return dec.Feed(std::string_view(chunk.data(), got),
                              [&](std::string_view piece) { return sink->Append(piece); });
            });
        }
      }
      if (st.ok()) *body_read = true;
    }
    if (st.ok()) st = dec.Finish();
    if (!st.ok()) {
      co_await OnPool([&] {
        sink->Abort();
        return 0;
      });
      int code = st.code() == Code::kTooLarge ? 413 : 400;
      Response r = ex.Error(code, code == 413 ? "payload_too_large" : "invalid_argument", st.message());
      r.close = true;
      co_return r;
    }
    co_return co_await OnPool([&] { return sink->Finish(); });
  }

  asio::awaitable<void> WriteTransportError(int status, std::string_view code, std::string message) {
    Response r = ctx_.dispatcher->Error(status, code, message);
    Request none;
    co_await WriteResponse(none, r, false, false);
  }

  // Fills the head of `res` shared by every kind of body.
  template <typename Message>
  void FillHead(Message& m, const Response& res, bool keep_alive) {
    m.version(11);
    m.result(static_cast<unsigned>(res.status));
    m.set(bhttp::field::server, "sextant");
    if (!res.content_type.empty()) m.set(bhttp::field::content_type, res.content_type);
    for (const auto& [k, v] : res.headers.fields()) m.insert(k, v);
    m.keep_alive(keep_alive);
  }

  asio::awaitable<bool> WriteResponse(const Request& req, Response& res, bool keep_alive,
                                      bool is_head) {
    if (res.events) co_return co_await WriteEvents(res, is_head);
    if (res.stream) co_return co_await WriteStream(req, res, keep_alive, is_head);
    if (res.file) co_return co_await WriteFile(req, res, keep_alive, is_head);
    Tcp().expires_after(opt_.io_timeout);
    if (is_head) {
      bhttp::response<bhttp::empty_body> m;
      FillHead(m, res, keep_alive);
      m.content_length(res.body.size());
      co_return co_await WriteHeader(m);
    }
    bhttp::response<bhttp::string_body> m;
    FillHead(m, res, keep_alive);
    m.body() = std::move(res.body);
    m.prepare_payload();
    auto [ec, n] = co_await bhttp::async_write(stream_, m, kTuple);
    co_return !ec;
  }

  // Writes raw bytes with the I/O deadline.
  asio::awaitable<bool> WriteRaw(std::string_view data) {
    Tcp().expires_after(opt_.io_timeout);
    auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(data.data(), data.size()), kTuple);
    co_return !ec;
  }

  // A file body: the whole file, one range, or multipart/byteranges.
  asio::awaitable<bool> WriteFile(const Request& req, Response& res, bool keep_alive, bool is_head) {
    uint64_t size = res.file->size();
    RangePlan plan;
    if (res.status == 200 && (req.method == "GET" || req.method == "HEAD"))
      plan = PlanRanges(req.headers.GetOr("Range"), size);
    res.headers.Set("Accept-Ranges", "bytes");
    struct Part {
      std::string prefix;  // multipart framing before the bytes
      ByteRange range;
    };
    std::vector<Part> parts;
    std::string epilogue;
    if (plan.kind == RangePlan::Kind::kUnsatisfiable) {
      Response err = ctx_.dispatcher->Error(416, "range_not_satisfiable",
                                            "no requested range starts inside the file (" +
                                                std::to_string(size) + " bytes)");
      err.headers.Set("Content-Range", "bytes */" + std::to_string(size));
      for (const auto& [k, v] : res.headers.fields())
        if (EqualsIgnoreCase(k, "ETag")) err.headers.Set(k, v);
      co_return co_await WriteResponse(req, err, keep_alive, is_head);
    }
    if (plan.kind == RangePlan::Kind::kWhole) {
      if (size > 0) parts.push_back({"", {0, size - 1}});
    } else if (plan.ranges.size() == 1) {
      res.status = 206;
      const ByteRange& r = plan.ranges[0];
      res.headers.Set("Content-Range", "bytes " + std::to_string(r.first) + "-" +
                                           std::to_string(r.last) + "/" + std::to_string(size));
      parts.push_back({"", r});
    } else {
      res.status = 206;
      static constexpr std::string_view kBoundary = "sextant-byteranges-7c1f3a";
      std::string type = res.content_type;
      res.content_type = "multipart/byteranges; boundary=" + std::string(kBoundary);
      for (const ByteRange& r : plan.ranges) {
        parts.push_back({"\r\n--" + std::string(kBoundary) + "\r\nContent-Type: " + type +
                             "\r\nContent-Range: bytes " + std::to_string(r.first) + "-" +
                             std::to_string(r.last) + "/" + std::to_string(size) + "\r\n\r\n",
                         r});
      }
      epilogue = "\r\n--" + std::string(kBoundary) + "--\r\n";
    }
    uint64_t length = epilogue.size();
    for (const Part& p : parts) length += p.prefix.size() + p.range.length();
    bhttp::response<bhttp::empty_body> m;
    FillHead(m, res, keep_alive);
    m.content_length(length);
    if (!co_await WriteHeader(m)) co_return false;
    if (is_head) co_return true;
    std::string chunk;
    for (const Part& p : parts) {
      if (!p.prefix.empty() && !co_await WriteRaw(p.prefix)) co_return false;
      uint64_t at = p.range.first, end = p.range.last + 1;
      while (at < end) {
        size_t want = static_cast<size_t>(std::min<uint64_t>(kFileChunk, end - at));
        Status st = co_await OnPool([&] { return res.file->ReadAt(at, want, &chunk); });
        if (!st.ok() || chunk.empty()) {
          // Headers are out: the only honest signal left is a short body.
          std::fprintf(stderr, "sextant: file read failed: %s\n", st.ToString().c_str());
          co_return false;
        }
        if (chunk.size() > end - at) chunk.resize(end - at);
        if (!co_await WriteRaw(chunk)) co_return false;
        at += chunk.size();
      }
    }
    if (!epilogue.empty() && !co_await WriteRaw(epilogue)) co_return false;
    co_return true;
  }

  // Writes a response's head alone (its body follows by other means, or
  // none: HEAD); false if the client went away.
  asio::awaitable<bool> WriteHeader(bhttp::response<bhttp::empty_body>& m) {
    bhttp::response_serializer<bhttp::empty_body> sr(m);
    Tcp().expires_after(opt_.io_timeout);
    auto [ec, n] = co_await bhttp::async_write_header(stream_, sr, kTuple);
    co_return !ec;
  }

  // A produced body (BodyStream): chunked to HTTP/1.1 clients, up to the
  // close to HTTP/1.0 ones. Each piece is produced on the worker pool while
  // nothing else is in flight, so a slow client slows the producer down
  // instead of piling pieces up in memory.
  asio::awaitable<bool> WriteStream(const Request& req, Response& res, bool keep_alive,
                                    bool is_head) {
    bool chunked = req.version >= 11;
    if (!chunked) keep_alive = false;
    bhttp::response<bhttp::empty_body> m;
    res.headers.Set("X-Accel-Buffering", "no");
    FillHead(m, res, keep_alive);
    if (chunked && !is_head) m.set(bhttp::field::transfer_encoding, "chunked");
    if (!co_await WriteHeader(m)) co_return false;
    if (is_head) co_return keep_alive;
    std::string piece;
    for (;;) {
      piece.clear();
      bool more = false;
      Status st = co_await OnPool([&] {
        Result<bool> r = res.stream->Next(&piece);
        if (!r.ok()) return r.status();
        more = *r;
        return Status::Ok();
      });
      if (!st.ok()) {
        std::fprintf(stderr, "sextant: streamed answer to %s %s ended early: %s\n",
                     req.method.c_str(), req.path.c_str(), st.ToString().c_str());
        co_return false;  // no last chunk: the client sees a truncated body
      }
      if (!piece.empty()) {
        if (chunked) {
          char size[24];
          int len = std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
          piece.insert(0, size, static_cast<size_t>(len));
          piece.append("\r\n");
        }
        if (!co_await WriteRaw(piece)) co_return false;
      }
      if (!more) break;
      if (*ctx_.stopping) co_return false;
    }
    if (chunked && !co_await WriteRaw("0\r\n\r\n")) co_return false;
    co_return keep_alive;
  }

  // Server-sent events (sse_writer.h), chunked, until the stream ends, the
  // client leaves or the server stops; the connection ends with the stream.
  asio::awaitable<bool> WriteEvents(Response& res, bool is_head) {
    bhttp::response<bhttp::empty_body> m;
    res.content_type = "text/event-stream";
    res.headers.Set("Cache-Control", "no-cache");
    res.headers.Set("X-Accel-Buffering", "no");
    FillHead(m, res, !is_head);
    if (!is_head) m.set(bhttp::field::transfer_encoding, "chunked");
    if (!co_await WriteHeader(m) || is_head) co_return false;
    co_await PumpEvents(stream_, *res.events, opt_, *ctx_.stopping, &shared_->sse_timer);
    linger_ = false;  // the client sends no body to drain: close at once
    co_return false;
  }

  Stream stream_;
  beast::flat_buffer buf_;
  ConnectionContext ctx_;
  const ServerOptions& opt_;
  Shared* shared_ = nullptr;
  uint64_t waiter_id_ = 0;  // this connection's name in the body budget
  std::string peer_;
  bool linger_ = true;  // LingeringClose drains what the client still sends
};

}  // namespace

asio::awaitable<void> Connection::Run(tcp::socket socket, ConnectionContext ctx) {
  if (ctx.tls) {
    Session<TlsStream> s(ctx, std::move(socket), *ctx.tls);
    co_await s.Serve();
  } else {
    Session<beast::tcp_stream> s(ctx, std::move(socket));
    co_await s.Serve();
  }
}

}  // namespace sextant::http
