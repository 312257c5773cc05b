// The attribute ids a backend has committed, so that the hot ingest path
// skips a lookup per series. Bounded: dropping everything now and then costs
// one lookup per series afterwards, far less than keeping every attribute of
// every run. Entries are added only after their transaction commits, and
// removed both inside and after a transaction that deletes their rows.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/status.h"
#include "model/types.h"

namespace sextant::storage {

struct AttrKey {
  int64_t id;
  model::AttrType type;
};

// Conflict when an attribute stored as one type is written as another.
inline Status CheckAttrType(const AttrKey& stored, const std::string& path, model::AttrType wanted) {
  if (stored.type == wanted) return Status::Ok();
  return Status::Conflict("attribute '" + path + "' is a " +
                          std::string(model::AttrTypeName(stored.type)) +
                          "; it cannot be written as a " + std::string(model::AttrTypeName(wanted)));
}

class AttrCache {
 public:
  // Attributes a write created or looked up: (Key(run, path), key).
  using Created = std::vector<std::pair<std::string, AttrKey>>;

  static std::string Key(int64_t run_id, const std::string& path) {
    return std::to_string(run_id) + '\x1f' + path;
  }
  std::optional<AttrKey> Find(const std::string& key) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }
  void Add(const Created& created) {
    std::lock_guard<std::mutex> l(mu_);
    if (map_.size() + created.size() > kMaxEntries) map_.clear();
    for (const auto& [key, k] : created) map_[key] = k;
  }
  void Evict(int64_t run_id, const std::vector<std::string>& paths) {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& path : paths) map_.erase(Key(run_id, path));
  }
  void EvictRun(int64_t run_id) {
    std::lock_guard<std::mutex> l(mu_);
    std::string prefix = Key(run_id, "");
    for (auto it = map_.begin(); it != map_.end();)
      it = it->first.compare(0, prefix.size(), prefix) == 0 ? map_.erase(it) : std::next(it);
  }

 private:
  static constexpr size_t kMaxEntries = 200'000;
  std::mutex mu_;
  std::unordered_map<std::string, AttrKey> map_;  // GUARDED_BY(mu_)
};

}  // namespace sextant::storage
