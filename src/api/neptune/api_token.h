// Neptune API tokens: base64 of a JSON object. The clients take the server
// from `api_url` (with only `api_address` they use the string "None") and
// send the whole token in X-Neptune-Api-Token to exchange it for an access
// token. Sextant's tokens carry a Sextant API token in `api_key`.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace sextant::api::neptune {

struct ApiToken {
  std::string api_url;
  std::string api_key;  // a Sextant API token (sxt_…)
};

std::string EncodeApiToken(const ApiToken& t);
// Unauthenticated ("the Neptune API token is not …") for anything else.
Result<ApiToken> DecodeApiToken(std::string_view text);

}  // namespace sextant::api::neptune
