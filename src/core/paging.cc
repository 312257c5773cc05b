#include "core/paging.h"

#include "common/base64.h"

namespace sextant::core {

namespace {
// Keys are paths (1 KiB), project names (257 bytes) or view names; anything
// longer did not come from us.
constexpr size_t kMaxTokenChars = 2048;
}  // namespace

Result<std::string> DecodePageRequest(PageKind kind, const PageRequest& req) {
  if (req.limit < 1 || req.limit > model::kMaxPageLimit)
    return Status::InvalidArgument("limit: expected an integer from 1 to " +
                                   std::to_string(model::kMaxPageLimit));
  if (req.page_token.empty()) return std::string();
  auto malformed = [] { return Status::InvalidArgument("page_token: malformed"); };
  if (req.page_token.size() > kMaxTokenChars) return malformed();
  auto bytes = DecodeBase64Url(req.page_token);
  if (!bytes.ok() || bytes->size() < 2 || (*bytes)[0] != static_cast<char>(kind))
    return malformed();
  return bytes->substr(1);
}

std::string EncodePageToken(PageKind kind, std::string_view last_key) {
  std::string raw(1, static_cast<char>(kind));
  raw += last_key;
  return EncodeBase64Url(raw);
}

}  // namespace sextant::core
