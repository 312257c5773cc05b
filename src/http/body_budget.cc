#include "http/body_budget.h"

namespace sextant::http {

bool BodyBudget::TryAcquire(uint64_t id, uint64_t bytes, bool urgent) {
  std::lock_guard<std::mutex> l(mu_);
  if (urgent && first_ == 0) first_ = id;
  if (first_ != 0 && first_ != id) return false;
  if (held_ > 0 && held_ + bytes > cap_) return false;
  held_ += bytes;
  if (first_ == id) first_ = 0;
  return true;
}

void BodyBudget::Abandon(uint64_t id) {
  std::lock_guard<std::mutex> l(mu_);
  if (first_ == id) first_ = 0;
}

void BodyBudget::Release(uint64_t bytes) {
  std::lock_guard<std::mutex> l(mu_);
  held_ -= bytes;
}

uint64_t BodyBudget::held() {
  std::lock_guard<std::mutex> l(mu_);
  return held_;
}

}  // namespace sextant::http
