#include "http/query.h"

namespace sextant::http {

namespace {

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      int hi = i + 1 < s.size() ? Hex(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? Hex(s[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        return Status::InvalidArgument("malformed percent-encoding at '" +
                                       std::string(s.substr(i, 3)) + "'");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

Result<QueryParams> QueryParams::Parse(std::string_view raw) {
  QueryParams q;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t amp = raw.find('&', start);
    std::string_view part = raw.substr(start, amp == std::string_view::npos ? raw.npos : amp - start);
    if (!part.empty()) {
      size_t eq = part.find('=');
      std::string_view k = part.substr(0, eq);
      std::string_view v = eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
      auto key = PercentDecode(k, true);
      if (!key.ok()) return key.status().WithContext("query");
      auto value = PercentDecode(v, true);
      if (!value.ok()) return value.status().WithContext("query parameter '" + key.value() + "'");
      q.items_.emplace_back(std::move(key).value(), std::move(value).value());
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return q;
}

bool QueryParams::Has(std::string_view key) const {
  for (const auto& [k, v] : items_)
    if (k == key) return true;
  return false;
}

std::string QueryParams::Get(std::string_view key) const {
  for (const auto& [k, v] : items_)
    if (k == key) return v;
  return "";
}

std::vector<std::string> QueryParams::GetAll(std::string_view key) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : items_)
    if (k == key) out.push_back(v);
  return out;
}

std::string PercentEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                 c == '.' || c == '_' || c == '~';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace sextant::http
