#include "http/header_values.h"

#include <algorithm>
#include <cctype>

#include "common/base64.h"

namespace sextant::http {

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string HostName(std::string_view a) {
  a = TrimSpace(a);
  if (a.empty()) return "";
  if (a.front() == '[') {
    size_t close = a.find(']');
    if (close == std::string_view::npos || close == 1) return "";
    std::string_view rest = a.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return "";
    std::string_view inside = a.substr(1, close - 1);
    for (char c : inside)
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) return "";
    return ToLower(inside);
  }
  size_t colon = a.find(':');
  if (colon != std::string_view::npos && a.find(':', colon + 1) != std::string_view::npos) return "";
  std::string_view host = a.substr(0, colon);
  if (host.empty()) return "";
  for (char c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) return "";
  std::string out = ToLower(host);
  if (out.back() == '.') out.pop_back();  // "localhost." is localhost
  return out;
}

std::string_view OriginAuthority(std::string_view origin) {
  origin = TrimSpace(origin);
  size_t scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos) return {};
  return origin.substr(scheme_end + 3);
}

std::string CookieValue(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers.fields()) {
    if (!EqualsIgnoreCase(k, "Cookie")) continue;
    std::string_view rest = v;
    while (!rest.empty()) {
      size_t semi = rest.find(';');
      std::string_view pair = TrimSpace(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      size_t eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name)
        return std::string(TrimSpace(pair.substr(eq + 1)));
    }
  }
  return "";
}

std::string BearerToken(std::string_view v, bool* malformed) {
  v = TrimSpace(v);
  *malformed = false;
  if (v.size() < 7 || ToLower(v.substr(0, 7)) != "bearer ") {
    *malformed = true;
    return "";
  }
  std::string token(TrimSpace(v.substr(7)));
  if (token.empty()) *malformed = true;
  return token;
}

bool BasicCredentials(std::string_view v, std::string* user, std::string* password,
                      bool* malformed) {
  v = TrimSpace(v);
  *malformed = false;
  if (v.size() < 6 || ToLower(v.substr(0, 6)) != "basic ") return false;
  auto decoded = DecodeBase64(TrimSpace(v.substr(6)));
  size_t colon = decoded.ok() ? decoded->find(':') : std::string::npos;
  if (colon == std::string::npos) {
    *malformed = true;
    return true;
  }
  *user = decoded->substr(0, colon);
  *password = decoded->substr(colon + 1);
  return true;
}

std::string MediaType(std::string_view content_type) {
  return ToLower(TrimSpace(content_type.substr(0, content_type.find(';'))));
}

std::string ForwardedClient(const Headers& headers, const std::vector<std::string>& trusted) {
  std::string chain;
  for (const auto& [k, v] : headers.fields())
    if (EqualsIgnoreCase(k, "X-Forwarded-For")) chain += (chain.empty() ? "" : ",") + v;
  std::string_view rest = chain;
  while (!rest.empty()) {
    size_t comma = rest.rfind(',');
    std::string_view last = TrimSpace(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    if (last.empty()) continue;
    if (std::find(trusted.begin(), trusted.end(), last) == trusted.end()) return std::string(last);
  }
  return "";
}

}  // namespace sextant::http
