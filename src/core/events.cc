#include "core/events.h"

namespace sextant::core {

void EventHub::Publish(int64_t project_id, std::string json) {
  {
    std::lock_guard<std::mutex> l(mu_);
    ring_.push_back({++seq_, project_id, std::move(json)});
    if (ring_.size() > kCapacity) ring_.pop_front();
  }
  cv_.notify_all();
}

uint64_t EventHub::LastSeq() {
  std::lock_guard<std::mutex> l(mu_);
  return seq_;
}

void EventHub::Close() {
  {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool EventHub::closed() {
  std::lock_guard<std::mutex> l(mu_);
  return closed_;
}

std::vector<Event> EventHub::Wait(int64_t project_id, uint64_t after_seq,
                                  std::chrono::milliseconds timeout, uint64_t* next_seq,
                                  bool* lagged) {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait_for(l, timeout, [&] { return closed_ || seq_ > after_seq; });
  std::vector<Event> out;
  *lagged = !ring_.empty() && ring_.front().seq > after_seq + 1;
  for (const Event& e : ring_)
    if (e.seq > after_seq && e.project_id == project_id) out.push_back(e);
  *next_seq = seq_;
  return out;
}

}  // namespace sextant::core
