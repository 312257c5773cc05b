#include "auth/login_limiter.h"

namespace sextant::auth {

int64_t LoginLimiter::Wait(std::unordered_map<std::string, Window>& m, const std::string& key,
                           int limit, int64_t now_us) {
  auto it = m.find(key);
  if (it == m.end() || now_us - it->second.start_us >= limits_.window_us) return 0;
  if (it->second.failures < limit) return 0;
  int64_t left = it->second.start_us + limits_.window_us - now_us;
  return (left + 999'999) / 1'000'000;
}

void LoginLimiter::Count(std::unordered_map<std::string, Window>& m, const std::string& key,
                         int64_t now_us) {
  Window& w = m[key];
  if (now_us - w.start_us >= limits_.window_us) w = Window{now_us, 0};
  ++w.failures;
}

void LoginLimiter::Prune(int64_t now_us) {
  // Bounded memory under a spray of names or addresses: drop ended windows.
  for (auto* m : {&accounts_, &addresses_}) {
    if (m->size() < 10'000) continue;
    for (auto it = m->begin(); it != m->end();)
      it = now_us - it->second.start_us >= limits_.window_us ? m->erase(it) : std::next(it);
  }
}

int64_t LoginLimiter::RetryAfter(const std::string& account, const std::string& address,
                                 int64_t now_us) {
  std::lock_guard l(mu_);
  int64_t a = Wait(accounts_, account, limits_.per_account, now_us);
  int64_t b = Wait(addresses_, address, limits_.per_address, now_us);
  return a > b ? a : b;
}

void LoginLimiter::Failed(const std::string& account, const std::string& address, int64_t now_us) {
  std::lock_guard l(mu_);
  Prune(now_us);
  Count(accounts_, account, now_us);
  Count(addresses_, address, now_us);
}

void LoginLimiter::Succeeded(const std::string& account) {
  std::lock_guard l(mu_);
  accounts_.erase(account);
}

}  // namespace sextant::auth
