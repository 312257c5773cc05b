// Requests and responses as the transport hands them to a dispatcher and
// takes them back. Nothing here knows about Sextant's API.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace sextant::http {

// Header fields in arrival order; names compare case-insensitively.
class Headers {
 public:
  void Add(std::string name, std::string value) {
    fields_.emplace_back(std::move(name), std::move(value));
  }
  // The first field of that name, if any.
  std::optional<std::string_view> Get(std::string_view name) const;
  std::string_view GetOr(std::string_view name, std::string_view fallback = {}) const {
    return Get(name).value_or(fallback);
  }
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  size_t Count(std::string_view name) const;
  // Replaces every field of that name with one.
  void Set(std::string_view name, std::string value);
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }
  size_t size() const { return fields_.size(); }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

struct Request {
  std::string method;  // as sent, e.g. "GET" (methods are case-sensitive)
  std::string target;  // the raw request-target
  std::string path;    // the target up to '?', still percent-encoded
  std::string query;   // after '?', still percent-encoded
  Headers headers;
  std::string body;    // buffered routes: the decoded body (Content-Encoding undone)
  std::string peer;    // the client's address
  bool secure = false;  // it came over TLS (HTTPS)
  int version = 11;     // HTTP/1.0 (10) or HTTP/1.1 (11)
};

// A response body read in pieces on the worker pool: files, which the
// transport serves with Range support (RFC 9110 §14).
class FileBody {
 public:
  virtual ~FileBody() = default;
  virtual uint64_t size() const = 0;
  // Blocking: reads up to `n` bytes at `offset` into *out (replacing it).
  virtual Status ReadAt(uint64_t offset, size_t n, std::string* out) = 0;
};

// A body produced piece by piece on the worker pool, for answers too large
// to hold in memory (a project's export). HTTP/1.1 clients get it chunked and
// the connection stays open; HTTP/1.0 clients get it up to a close.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // Blocking, on the worker pool: appends the next piece to *out (empty on
  // entry). True: more follows; false: the body is complete. An error after
  // the head went out can only be signalled by ending the body early: the
  // connection is closed without the last chunk, which a client reads as a
  // truncated body, and the error is logged.
  virtual Result<bool> Next(std::string* out) = 0;
};

// A server-sent event stream. The transport calls Next() from its event loop
// (it must not block) and waits for Wake() between calls.
class EventStream {
 public:
  virtual ~EventStream() = default;
  // Appends the pieces that are ready to *out (shared, so a piece sent to
  // many streams is not copied for each). Returns false when the stream is
  // over (after appending what is left).
  virtual bool Next(std::vector<std::shared_ptr<const std::string>>* out) = 0;
  // Sets the callback to run, from any thread, when Next may have more. Set
  // once, before the first Next; the stream drops it when destroyed.
  virtual void OnReady(std::function<void()> wake) = 0;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string content_type = "application/json";
  std::string body;
  std::shared_ptr<FileBody> file;       // instead of body: streamed, ranged
  std::shared_ptr<EventStream> events;  // instead of body: text/event-stream
  std::shared_ptr<BodyStream> stream;   // instead of body: produced as it is sent
  bool close = false;                   // close the connection afterwards
};

// The body of a streamed upload, fed chunk by chunk (already decoded) on the
// worker pool; exactly one of Finish() or Abort() is called at the end.
class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual Status Append(std::string_view chunk) = 0;
  virtual Response Finish() = 0;
  virtual void Abort() = 0;
};

// What the dispatcher decided for one request once its head was read. The
// transport then reads the body (or not), calls Run or the sink on the
// worker pool, and writes the answer.
class Exchange {
 public:
  virtual ~Exchange() = default;
  // Largest decoded body this request may have.
  virtual uint64_t body_limit() const = 0;
  // True: the body is streamed into Sink() instead of buffered in req.body.
  virtual bool streams_body() const { return false; }
  // True: Run() never blocks, and is called on the event loop itself.
  virtual bool runs_inline() const { return false; }
  // Blocking, on the worker pool. Streamed routes: opens the sink (or answers
  // with an error response in *error).
  virtual std::unique_ptr<BodySink> Sink(Request& req, Response* error) { return nullptr; }
  // Blocking, on the worker pool: handles a buffered request.
  virtual Response Run(Request& req) = 0;
  // An error in this route's front end's shape (transport errors: 400, 413, …).
  virtual Response Error(int status, std::string_view code, std::string_view message) = 0;
};

class Dispatcher {
 public:
  virtual ~Dispatcher() = default;
  // Called on the event loop with the request head: must not block.
  virtual std::unique_ptr<Exchange> Dispatch(const Request& head) = 0;
  // An error for a request that reached no route (malformed framing).
  virtual Response Error(int status, std::string_view code, std::string_view message) = 0;
};

}  // namespace sextant::http
