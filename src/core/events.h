// Live updates: the Tracker publishes one small event per committed write
// (run created, batch logged, state changed); server-sent-event streams read
// them. A bounded ring: a reader that falls more than kCapacity events behind
// is told to reload instead of being sent a partial history.
//
// Thread-safety: all methods are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace sextant::core {

struct Event {
  uint64_t seq = 0;
  int64_t project_id = 0;
  std::string json;  // the event's data, one JSON object
};

class EventHub {
 public:
  static constexpr size_t kCapacity = 10'000;

  void Publish(int64_t project_id, std::string json);

  // Waits up to `timeout` for events after `after_seq` of `project_id`.
  // Returns them (possibly none on timeout) and sets *next_seq to pass next
  // time; *lagged is set when events were dropped before they could be read.
  std::vector<Event> Wait(int64_t project_id, uint64_t after_seq, std::chrono::milliseconds timeout,
                          uint64_t* next_seq, bool* lagged);
  uint64_t LastSeq();
  void Close();  // wakes every waiter; later waits return at once
  bool closed();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> ring_;  // GUARDED_BY(mu_)
  uint64_t seq_ = 0;        // GUARDED_BY(mu_)
  bool closed_ = false;     // GUARDED_BY(mu_)
};

}  // namespace sextant::core
