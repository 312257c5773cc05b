// The native API's request bodies and responses: JSON in, JSON out, errors
// as {"error": {"code", "message"}} (docs/api/native.md).
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <utility>

#include "api/router.h"
#include "common/status.h"
#include "core/paging.h"
#include "http/message.h"

namespace sextant::api::native {

http::Response Json(int status, std::string body);
std::string ErrorBody(std::string_view code, std::string_view message);
// The native front end's ErrorMapper.
http::Response Error(int status, std::string_view code, std::string_view message);

// A parsed request body. `root` lives in this thread's parser; when the body
// was large, the parser is released with the last JsonDoc, so that every
// worker does not keep the tape of its largest document.
class JsonDoc {
 public:
  JsonDoc(simdjson::dom::element root, bool large) : root(root), large_(large) {}
  JsonDoc(JsonDoc&& o) noexcept : root(o.root), large_(std::exchange(o.large_, false)) {}
  JsonDoc& operator=(JsonDoc&&) = delete;
  ~JsonDoc();
  simdjson::dom::element root;

 private:
  bool large_;
};

// Parses the request body as a JSON object (an empty body is `{}`). The
// router's gate has checked that its media type is JSON (api/access.h).
Result<JsonDoc> JsonBody(Context& ctx);

// `limit` and `page_token` of a paged list (the core checks the range).
Result<core::PageRequest> PageFromQuery(const http::QueryParams& q);
// Parses a non-negative integer query parameter ("limit", "offset").
Result<size_t> CountParam(const http::QueryParams& q, std::string_view key);

}  // namespace sextant::api::native
