// Bounds the memory that buffered request bodies hold at once: a body is
// read only when its bytes fit under the cap beside the bodies being read,
// decoded and handled; until then its connection is not read from, so TCP
// flow control slows that client down instead of the server's memory
// growing with the number of clients. A body larger than the cap is read
// when no other is held. A waiter that has waited long claims the head of
// the line, so large bodies are not starved by a stream of small ones.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>

namespace sextant::http {

class BodyBudget {
 public:
  explicit BodyBudget(uint64_t cap) : cap_(cap) {}
  uint64_t cap() const { return cap_; }

  // Takes `bytes` if they fit now. `id` names the waiter (unique among
  // concurrent waiters); `urgent`: it has waited long enough to go next.
  bool TryAcquire(uint64_t id, uint64_t bytes, bool urgent);
  // A waiter that gives up (its connection closed) gives up its place.
  void Abandon(uint64_t id);
  void Release(uint64_t bytes);
  uint64_t held();

 private:
  const uint64_t cap_;
  std::mutex mu_;
  uint64_t held_ = 0;   // GUARDED_BY(mu_)
  uint64_t first_ = 0;  // GUARDED_BY(mu_): the waiter at the head of the line; 0: none
};

}  // namespace sextant::http
