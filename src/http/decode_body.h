// Content-Encoding of request bodies, undone as the bytes arrive and bounded:
// the decoded body may not exceed the same limit as an unencoded one, so a
// small compressed upload cannot expand into gigabytes (a "zip bomb").
//
// Thread-compatible: one BodyDecoder per request.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "common/status.h"

namespace sextant::http {

class BodyDecoder {
 public:
  using Sink = std::function<Status(std::string_view)>;

  // `encoding`: the Content-Encoding header ("" or "identity", "gzip",
  // "x-gzip", "deflate", "br"). Anything else is UnsupportedMedia.
  static Result<std::unique_ptr<BodyDecoder>> Create(std::string_view encoding, uint64_t limit);
  virtual ~BodyDecoder() = default;

  // Decodes `in` and passes the output to `out` in pieces. TooLarge once the
  // output passes the limit; InvalidArgument on corrupt input.
  virtual Status Feed(std::string_view in, const Sink& out) = 0;
  // InvalidArgument when the encoded stream ended early.
  virtual Status Finish() = 0;
  uint64_t decoded() const { return decoded_; }

 protected:
  explicit BodyDecoder(uint64_t limit) : limit_(limit) {}
  // Counts `n` more decoded bytes against the limit.
  Status Count(size_t n);
  uint64_t limit_;
  uint64_t decoded_ = 0;
};

// Decodes a whole buffered body (the same rules).
Result<std::string> DecodeBody(std::string_view encoding, std::string_view body, uint64_t limit);

}  // namespace sextant::http
