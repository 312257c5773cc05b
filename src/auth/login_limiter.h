// Slows down password guessing: failed logins are counted per account and per
// client address in fixed windows; once a count reaches its limit, further
// attempts (right password or not) are refused until the window ends.
//
// In memory, per server process: a restart forgets the counts, and replicas
// behind a load balancer count separately (each still bounds the rate).
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace sextant::auth {

struct LoginLimits {
  int per_account = 5;    // failures per window
  int per_address = 20;   // failures per window
  int64_t window_us = 60'000'000;
};

class LoginLimiter {
 public:
  explicit LoginLimiter(LoginLimits limits = {}) : limits_(limits) {}

  // 0 when an attempt may go ahead; otherwise the seconds to wait.
  int64_t RetryAfter(const std::string& account, const std::string& address, int64_t now_us);
  void Failed(const std::string& account, const std::string& address, int64_t now_us);
  void Succeeded(const std::string& account);

 private:
  struct Window {
    int64_t start_us = 0;
    int failures = 0;
  };
  int64_t Wait(std::unordered_map<std::string, Window>& m, const std::string& key, int limit,
               int64_t now_us);
  void Count(std::unordered_map<std::string, Window>& m, const std::string& key, int64_t now_us);
  void Prune(int64_t now_us);

  const LoginLimits limits_;
  std::mutex mu_;
  std::unordered_map<std::string, Window> accounts_;   // GUARDED_BY(mu_)
  std::unordered_map<std::string, Window> addresses_;  // GUARDED_BY(mu_)
};

}  // namespace sextant::auth
