#include "api/server.h"

#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <thread>

#include "api/json_writer.h"
#include "api/native_decode.h"

namespace sextant::api {

int HttpStatusFor(const Status& s) {
  switch (s.code()) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kNotFound: return 404;
    case Code::kAlreadyExists:
    case Code::kConflict: return 409;
    case Code::kTooLarge: return 413;
    case Code::kUnsupportedMedia: return 415;
    case Code::kUnavailable: return 503;
    case Code::kDataLoss:
    case Code::kInternal: return 500;
  }
  return 500;
}

std::string ErrorBody(std::string_view code, std::string_view message) {
  JsonWriter w;
  w.BeginObject().Key("error").BeginObject();
  w.Key("code").String(code).Key("message").String(message);
  w.EndObject().EndObject();
  return w.Take();
}

namespace {

void SendError(httplib::Response& res, const Status& s) {
  res.status = HttpStatusFor(s);
  res.set_content(ErrorBody(CodeName(s.code()), s.message()), "application/json");
}

}  // namespace

Server::Server(core::Tracker* tracker, ServerOptions options)
    : tracker_(tracker), options_(std::move(options)), http_(std::make_unique<httplib::Server>()) {
  int threads = options_.threads;
  // cpp-httplib serves a connection per thread, so idle keep-alive
  // connections of training jobs each hold one: size the pool for many.
  if (threads <= 0) threads = 256;
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_->set_keep_alive_max_count(100'000);
  // Without TCP_NODELAY a keep-alive client waits ~40 ms per request (Nagle
  // and delayed ACK).
  http_->set_tcp_nodelay(true);
  http_->set_keep_alive_timeout(10);
  // A client stalled mid-request (slow or dead) holds a thread this long.
  http_->set_read_timeout(10, 0);
  http_->set_write_timeout(60, 0);
  http_->set_payload_max_length(options_.max_file_bytes);
  http_->set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string code = "invalid_argument", msg = "bad request";
    switch (res.status) {
      case 404: code = "not_found"; msg = "no route for " + req.method + " " + req.path; break;
      case 405: code = "method_not_allowed"; msg = "method not allowed"; break;
      case 413:
        code = "payload_too_large";
        msg = "request body exceeds the limit of " + std::to_string(options_.max_file_bytes) +
              " bytes";
        break;
      case 414: code = "uri_too_long"; msg = "request URI too long"; break;
      case 500: code = "internal"; msg = "internal error"; break;
      default: break;
    }
    res.set_content(ErrorBody(code, msg), "application/json");
  });
  http_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unexpected error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        std::fprintf(stderr, "sextant: request failed: %s\n", what.c_str());
        SendError(res, Status::Internal(what));
      });
  // Debian's cpp-httplib is built with brotli and uses it at its slowest
  // setting whenever a client accepts `br` (browsers always do): a 670 kB
  // response took seconds. Hide `br` so responses use gzip instead.
  http_->set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    auto& headers = const_cast<httplib::Request&>(req).headers;
    auto it = headers.find("Accept-Encoding");
    if (it != headers.end() && it->second.find("br") != std::string::npos) {
      std::string kept;
      size_t start = 0;
      const std::string& v = it->second;
      while (start <= v.size()) {
        size_t comma = v.find(',', start);
        std::string part = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        size_t b = part.find_first_not_of(' ');
        std::string token = b == std::string::npos ? "" : part.substr(b, part.find_first_of(" ;", b) - b);
        if (!token.empty() && token != "br") kept += (kept.empty() ? "" : ", ") + part.substr(b);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      it->second = kept;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  Routes();
}

Server::~Server() = default;

namespace {

// Debian's cpp-httplib is a compiled library whose listen backlog is 5, so a
// burst of clients connecting at once (a job starting on many GPUs) sees
// resets. Calling listen() again on the bound socket raises the backlog; the
// socket is found by its port since the library does not expose it.
void RaiseListenBacklog(int port) {
  for (int fd = 3; fd < 4096; ++fd) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) continue;
    int listening = 0;
    socklen_t optlen = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) != 0 || !listening) continue;
    int bound = addr.ss_family == AF_INET
                    ? ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port)
                    : addr.ss_family == AF_INET6
                          ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                          : -1;
    if (bound == port) listen(fd, SOMAXCONN);
  }
}

}  // namespace

Result<int> Server::Bind() {
  if (options_.port == 0) {
    int port = http_->bind_to_any_port(options_.host);
    if (port <= 0) return Status::Unavailable("cannot bind " + options_.host);
    options_.port = port;
  } else if (!http_->bind_to_port(options_.host, options_.port)) {
    return Status::Unavailable("cannot listen on " + options_.host + ":" +
                               std::to_string(options_.port) + " (in use?)");
  }
  RaiseListenBacklog(options_.port);
  return options_.port;
}

Status Server::Serve() {
  if (!http_->listen_after_bind()) return Status::Internal("the HTTP server stopped with an error");
  return Status::Ok();
}

void Server::Stop() { http_->stop(); }

}  // namespace sextant::api
