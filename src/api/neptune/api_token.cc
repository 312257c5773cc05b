#include "api/neptune/api_token.h"

#include <nlohmann/json.hpp>

#include "common/base64.h"

namespace sextant::api::neptune {

std::string EncodeApiToken(const ApiToken& t) {
  std::string json = nlohmann::json{{"api_address", t.api_url}, {"api_url", t.api_url}, {"api_key", t.api_key}}.dump();
  std::string out;
  AppendBase64(json, &out);
  return out;
}

Result<ApiToken> DecodeApiToken(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n')) text.remove_suffix(1);
  if (text.empty()) return Status::Unauthenticated("send the Neptune API token in X-Neptune-Api-Token");
  if (text.size() > 8192) return Status::Unauthenticated("the Neptune API token is too long");
  auto raw = DecodeBase64(text);
  if (!raw.ok()) return Status::Unauthenticated("the Neptune API token is not base64");
  auto j = nlohmann::json::parse(*raw, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Status::Unauthenticated("the Neptune API token is not a JSON object");
  auto it = j.find("api_key");
  if (it == j.end() || !it->is_string() || it->get<std::string>().empty())
    return Status::Unauthenticated("the Neptune API token has no api_key: mint one with `sextant token create --neptune`");
  ApiToken t;
  t.api_key = it->get<std::string>();
  if (auto u = j.find("api_url"); u != j.end() && u->is_string()) t.api_url = u->get<std::string>();
  return t;
}

}  // namespace sextant::api::neptune
