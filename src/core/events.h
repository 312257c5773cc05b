// Live updates: the Tracker publishes one small event per committed write
// (run created, batch logged, state changed); server-sent-event streams read
// them. A bounded ring: a reader that falls more than kCapacity events behind
// is told to reload instead of being sent a partial history.
//
// Sequence numbers start at the wall clock in microseconds when the hub is
// created, so they keep growing across server restarts: an id a client got
// from an earlier process is older than anything this one has, and Poll
// reports it as lagged (the client reloads) instead of silently resuming at
// an unrelated event.
//
// Thread-safety: all methods are thread-safe. Readers do not block: they
// Poll, and Subscribe a wake-up callback for when there is more.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sextant::core {

struct Event {
  uint64_t seq = 0;
  int64_t project_id = 0;
  // The event as a server-sent-event frame, "id: <seq>\ndata: <json>\n\n",
  // made once and shared by every stream that sends it (no copy per stream).
  std::shared_ptr<const std::string> frame;
};

class EventHub {
 public:
  static constexpr size_t kCapacity = 10'000;

  EventHub();
  // For tests: the first event gets first_seq + 1.
  explicit EventHub(uint64_t first_seq);

  void Publish(int64_t project_id, std::string json);

  // The events of `project_id` after `after_seq` that are still held. Sets
  // *next_seq to pass next time, and *lagged when events after `after_seq`
  // are gone (dropped from the ring, or from before this process started).
  std::vector<Event> Poll(int64_t project_id, uint64_t after_seq, uint64_t* next_seq,
                          bool* lagged);
  uint64_t LastSeq();

  // Calls `wake` (on the publishing thread, without locks held) after every
  // publish to `project_id` and on Close. It must be quick and must not call
  // back into the hub. Returns an id for Unsubscribe.
  uint64_t Subscribe(int64_t project_id, std::function<void()> wake);
  void Unsubscribe(uint64_t id);

  void Close();  // wakes every subscriber; streams end
  bool closed();

 private:
  // Wakes the subscribers of one project, or of all (project_id < 0).
  void Wake(int64_t project_id);
  std::mutex mu_;
  std::deque<Event> ring_;  // GUARDED_BY(mu_)
  uint64_t first_seq_;      // the seq before this process's first event
  uint64_t seq_;            // GUARDED_BY(mu_)
  bool closed_ = false;     // GUARDED_BY(mu_)
  uint64_t next_sub_ = 0;   // GUARDED_BY(mu_)
  struct Sub {
    int64_t project_id;
    std::shared_ptr<std::function<void()>> wake;
  };
  std::map<uint64_t, Sub> subs_;                                   // GUARDED_BY(mu_)
  std::map<int64_t, std::map<uint64_t, std::shared_ptr<std::function<void()>>>> by_project_;  // GUARDED_BY(mu_)
};

}  // namespace sextant::core
