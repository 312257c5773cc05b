// The HTTP/1.1 transport: Boost.Beast on Asio with C++20 coroutines.
//
// Connections, keep-alive, slow clients and server-sent event streams are
// coroutines on a small event loop and cost memory, not threads. Work that
// blocks (decoding, storage reads, waiting for a group commit) runs on a
// bounded worker pool; the event loop never blocks.
//
// Strict framing (RFC 9112): a malformed request line or header, a bad or
// repeated Content-Length, Content-Length with Transfer-Encoding, too many
// header fields or header bytes (431) get an error and the connection is
// closed without reading further; a request refused before its body was read
// closes the connection too, so an unread body is never taken for requests.
// Pipelined requests are answered in order.
//
// TLS (optional): with a certificate and key, every connection starts with a
// TLS handshake (TLS 1.2+) and is then served exactly like a plain one.
//
// Thread-safety: Stop() may be called from any thread; the rest from one.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "http/message.h"

namespace sextant::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 5050;                     // 0: any free port
  size_t max_header_bytes = 64 << 10;  // request line + fields (431 beyond)
  size_t max_header_fields = 256;      // (431 beyond)
  // A request's head must arrive within header_timeout of its first byte
  // (slow-header clients are cut off); between requests a keep-alive
  // connection may idle for idle_timeout.
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds idle_timeout{75};
  std::chrono::seconds io_timeout{60};  // no progress reading a body or writing
  int workers = 32;                     // the blocking pool
  // Request bodies read, decoded and handled at once hold at most this
  // many bytes together (BodyBudget); 0: unbounded. One larger body is
  // still taken when it is alone.
  uint64_t max_body_memory = uint64_t{32} << 20;
  int io_threads = 2;                   // event loop threads
  std::chrono::seconds sse_heartbeat{15};
  // An event stream writes at most this often: events published meanwhile
  // go out together, so thousands of open tabs cost a few wake-ups a second
  // each however fast runs log.
  std::chrono::milliseconds sse_min_interval{200};
  // HTTPS: PEM files of the certificate (chain) and its private key, loaded
  // by Bind(). Both empty: plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
};

class Server {
 public:
  // `dispatcher` must outlive the server.
  Server(Dispatcher* dispatcher, ServerOptions options);
  ~Server();

  // Loads the TLS certificate and key (if any), binds and listens; returns
  // the port bound. Fails, naming the file, if TLS is asked for and the
  // certificate or key cannot be read or do not match.
  Result<int> Bind();
  // Serves until Stop(): then stops accepting, closes idle connections, ends
  // event streams, lets in-flight requests finish, and returns.
  Status Serve();
  void Stop();

  // True when the server is configured for HTTPS (requests then have
  // Request::secure set); Bind() fails rather than serve plain HTTP instead.
  bool tls() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sextant::http
