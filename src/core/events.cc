#include "core/events.h"

#include <algorithm>
#include <chrono>

namespace sextant::core {

namespace {

uint64_t WallMicros() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

EventHub::EventHub() : EventHub(WallMicros()) {}
EventHub::EventHub(uint64_t first_seq) : first_seq_(first_seq), seq_(first_seq) {}

void EventHub::Publish(int64_t project_id, std::string json) {
  {
    std::lock_guard<std::mutex> l(mu_);
    ++seq_;
    auto frame = std::make_shared<std::string>();
    frame->reserve(json.size() + 32);
    frame->append("id: ").append(std::to_string(seq_)).append("\ndata: ").append(json).append("\n\n");
    ring_.push_back({seq_, project_id, std::move(frame)});
    if (ring_.size() > kCapacity) ring_.pop_front();
  }
  Wake(project_id);
}

void EventHub::Wake(int64_t project_id) {
  std::vector<std::shared_ptr<std::function<void()>>> subs;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (project_id < 0) {
      subs.reserve(subs_.size());
      for (auto& [id, sub] : subs_) subs.push_back(sub.wake);
    } else if (auto it = by_project_.find(project_id); it != by_project_.end()) {
      subs.reserve(it->second.size());
      for (auto& [id, fn] : it->second) subs.push_back(fn);
    }
  }
  for (auto& fn : subs) (*fn)();
}

uint64_t EventHub::LastSeq() {
  std::lock_guard<std::mutex> l(mu_);
  return seq_;
}

uint64_t EventHub::Subscribe(int64_t project_id, std::function<void()> wake) {
  std::lock_guard<std::mutex> l(mu_);
  auto fn = std::make_shared<std::function<void()>>(std::move(wake));
  subs_.emplace(++next_sub_, Sub{project_id, fn});
  by_project_[project_id].emplace(next_sub_, std::move(fn));
  return next_sub_;
}

void EventHub::Unsubscribe(uint64_t id) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = subs_.find(id);
  if (it == subs_.end()) return;
  auto p = by_project_.find(it->second.project_id);
  if (p != by_project_.end()) {
    p->second.erase(id);
    if (p->second.empty()) by_project_.erase(p);
  }
  subs_.erase(it);
}

void EventHub::Close() {
  {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
  }
  Wake(-1);
}

bool EventHub::closed() {
  std::lock_guard<std::mutex> l(mu_);
  return closed_;
}

std::vector<Event> EventHub::Poll(int64_t project_id, uint64_t after_seq, uint64_t* next_seq,
                                  bool* lagged) {
  std::lock_guard<std::mutex> l(mu_);
  uint64_t oldest = ring_.empty() ? seq_ + 1 : ring_.front().seq;
  // Gone: dropped from the ring, from an earlier process, or not yet issued
  // (an id from the future: another server's, or a clock that went back).
  *lagged = after_seq + 1 < oldest || after_seq > seq_;
  std::vector<Event> out;
  if (!*lagged || after_seq <= seq_) {
    for (auto it = ring_.rbegin(); it != ring_.rend() && it->seq > after_seq; ++it)
      if (it->project_id == project_id) out.push_back(*it);
    std::reverse(out.begin(), out.end());
  }
  *next_seq = seq_;
  return out;
}

}  // namespace sextant::core
