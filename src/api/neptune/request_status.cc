#include "api/neptune/request_status.h"

#include <openssl/rand.h>

#include <cctype>
#include <charconv>
#include <map>

namespace sextant::api::neptune {
namespace {

constexpr std::string_view kPrefix = "sx1.";
constexpr size_t kRandomHex = 16;
constexpr size_t kMaxGroups = 64;

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && *out >= 0;
}

}  // namespace

RpcCode RpcCodeFor(IngestCode c) {
  switch (c) {
    case IngestCode::kOk: return RpcCode::kOk;
    case IngestCode::kProjectNotFound:
    case IngestCode::kRunNotFound:
    case IngestCode::kRunForkParentNotFound: return RpcCode::kNotFound;
    case IngestCode::kRunConflicting: return RpcCode::kAlreadyExists;
    case IngestCode::kFieldTypeConflicting:
    case IngestCode::kSeriesStepNotAfterForkPoint:
    case IngestCode::kSeriesTimestampDecreasing: return RpcCode::kFailedPrecondition;
    case IngestCode::kInternal: return RpcCode::kInternal;
    default: return RpcCode::kInvalidArgument;
  }
}

std::vector<CodeCount> Summarize(size_t ok_items, const std::vector<ItemError>& errors) {
  std::vector<CodeCount> out;
  if (ok_items || errors.empty()) out.push_back({RpcCode::kOk, IngestCode::kOk, static_cast<int64_t>(ok_items)});
  std::map<int, int64_t> by_code;
  for (const auto& e : errors) ++by_code[static_cast<int>(e.code)];
  for (const auto& [code, n] : by_code) {
    auto ic = static_cast<IngestCode>(code);
    out.push_back({RpcCodeFor(ic), ic, n});
  }
  return out;
}

std::string MintRequestId(const std::vector<CodeCount>& counts) {
  unsigned char raw[kRandomHex / 2];
  RAND_bytes(raw, sizeof raw);
  static const char* hex = "0123456789abcdef";
  std::string id(kPrefix);
  for (unsigned char b : raw) {
    id += hex[b >> 4];
    id += hex[b & 15];
  }
  for (const auto& c : counts) {
    if (c.code == RpcCode::kOk && c.detail == IngestCode::kOk) continue;  // implied
    id += '.' + std::to_string(static_cast<int>(c.code)) + '-' + std::to_string(static_cast<int>(c.detail)) +
          '-' + std::to_string(c.count);
  }
  return id;
}

std::optional<std::vector<CodeCount>> ParseRequestId(std::string_view id) {
  if (!id.starts_with(kPrefix)) return std::nullopt;
  id.remove_prefix(kPrefix.size());
  if (id.size() < kRandomHex) return std::nullopt;
  for (size_t i = 0; i < kRandomHex; ++i)
    if (!std::isxdigit(static_cast<unsigned char>(id[i]))) return std::nullopt;
  id.remove_prefix(kRandomHex);
  std::vector<CodeCount> out;
  while (!id.empty()) {
    if (id[0] != '.' || out.size() >= kMaxGroups) return std::nullopt;
    id.remove_prefix(1);
    size_t end = id.find('.');
    std::string_view group = id.substr(0, end);
    id = end == std::string_view::npos ? std::string_view() : id.substr(end);
    size_t d1 = group.find('-'), d2 = group.rfind('-');
    if (d1 == std::string_view::npos || d1 == d2) return std::nullopt;
    int64_t code, detail, count;
    if (!ParseInt(group.substr(0, d1), &code) || !ParseInt(group.substr(d1 + 1, d2 - d1 - 1), &detail) ||
        !ParseInt(group.substr(d2 + 1), &count) || code > 16 || detail > 64)
      return std::nullopt;
    out.push_back({static_cast<RpcCode>(code), static_cast<IngestCode>(detail), count});
  }
  if (out.empty()) out.push_back({RpcCode::kOk, IngestCode::kOk, 1});
  return out;
}

void RecentMessages::Put(const std::string& id, std::string message) {
  std::lock_guard l(mu_);
  if (messages_.emplace(id, std::move(message)).second) order_.push_back(id);
  while (order_.size() > capacity_) {
    messages_.erase(order_.front());
    order_.pop_front();
  }
}

std::optional<std::string> RecentMessages::Get(const std::string& id) {
  std::lock_guard l(mu_);
  auto it = messages_.find(id);
  if (it == messages_.end()) return std::nullopt;
  return it->second;
}

}  // namespace sextant::api::neptune
