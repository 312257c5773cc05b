#include "storage/index_cache.h"

namespace sextant::storage {

namespace {
// Per-entry bookkeeping beyond the index itself: list node, map slot,
// shared_ptr control block.
constexpr size_t kEntryOverhead = 96;
size_t Cost(const IndexCache::Index& index) { return index->MemoryBytes() + kEntryOverhead; }
}  // namespace

IndexCache::Index IndexCache::Find(int64_t id) {
  std::lock_guard lock(mu_);
  auto it = map_.find(id);
  if (it == map_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

void IndexCache::Insert(int64_t id, Index index) {
  if (!index) return;
  size_t cost = Cost(index);
  if (cost > max_bytes_) return;
  std::lock_guard lock(mu_);
  auto it = map_.find(id);
  if (it != map_.end()) {
    bytes_ -= Cost(it->second->second);
    lru_.erase(it->second);
    map_.erase(it);
  }
  lru_.emplace_front(id, std::move(index));
  map_[id] = lru_.begin();
  bytes_ += cost;
  EvictLocked();
}

void IndexCache::EvictLocked() {
  while (bytes_ > max_bytes_ && !lru_.empty()) {
    auto& [id, index] = lru_.back();
    bytes_ -= Cost(index);
    map_.erase(id);
    lru_.pop_back();
  }
}

IndexCache::Stats IndexCache::stats() const {
  std::lock_guard lock(mu_);
  return Stats{hits_, misses_, map_.size(), bytes_};
}

}  // namespace sextant::storage
