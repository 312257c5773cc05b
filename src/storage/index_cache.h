// A memory-bounded cache of parsed chunk indexes, by chunk id.
//
// A chart read needs the block summaries of every chunk it touches; parsing
// them (varints, XOR-coded floats, a checksum) was the largest cost of a
// downsampled read of a long series. Chunk rows never change after they are
// written (compaction writes new rows and deletes the old ones), and a
// backend never hands out a chunk id twice in one process's lifetime
// (PostgreSQL: a sequence; SQLite: ids assigned above every id seen), so an
// id names one index forever and entries need no invalidation: the ids of
// deleted chunks are simply never asked for again and age out.
//
// Thread-safe. Least recently used entries are evicted past `max_bytes`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "storage/chunkenc/chunk.h"

namespace sextant::storage {

class IndexCache {
 public:
  using Index = std::shared_ptr<const chunkenc::ChunkIndex>;

  explicit IndexCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  // The cached index of chunk `id`, or null.
  Index Find(int64_t id);
  // Adds (or refreshes) chunk `id`'s index. An index larger than the whole
  // budget is not kept.
  void Insert(int64_t id, Index index);

  struct Stats {
    uint64_t hits = 0, misses = 0, entries = 0, bytes = 0;
  };
  Stats stats() const;

 private:
  using Lru = std::list<std::pair<int64_t, Index>>;  // most recent first
  void EvictLocked();                                  // REQUIRES: mu_ held

  const size_t max_bytes_;
  mutable std::mutex mu_;
  Lru lru_;                                          // GUARDED_BY(mu_)
  std::unordered_map<int64_t, Lru::iterator> map_;   // GUARDED_BY(mu_)
  size_t bytes_ = 0;                                 // GUARDED_BY(mu_)
  uint64_t hits_ = 0, misses_ = 0;                   // GUARDED_BY(mu_)
};

// The default budget: the block summaries of ~2.5 billion points
// (sealed chunks cost ~0.9 bytes of summary per point in memory).
inline constexpr size_t kDefaultIndexCacheBytes = size_t{256} << 20;

}  // namespace sextant::storage
