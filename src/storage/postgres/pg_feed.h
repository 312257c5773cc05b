// The change feed between replicas on one PostgreSQL database: LISTEN /
// NOTIFY on a channel named after the schema. Announced changes are queued
// and sent every few milliseconds in one statement; notifications from other
// processes are handed to the follower in batches. One thread, one
// connection of its own; it reconnects after a lost connection.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/backend.h"
#include "storage/postgres/pg_conn.h"

namespace sextant::storage::postgres {

class ChangeFeed {
 public:
  using Connect = std::function<Result<std::unique_ptr<Conn>>()>;
  // `channel`: the schema's channel; `origin`: this process's id, so that
  // its own announcements are not followed back.
  ChangeFeed(Connect connect, std::string channel, uint64_t origin);
  ~ChangeFeed();  // Stop()

  void Announce(Change change);
  void Follow(ChangeHandler handler);
  void Stop();

  // The payload format: "<origin> <project id> <run id> <kind> <event>".
  static std::string Encode(uint64_t origin, const Change& c);
  static bool Decode(std::string_view payload, uint64_t* origin, Change* c);

 private:
  void Loop();
  Status Listen(Conn& c);
  Status Send(Conn& c, std::vector<std::string> payloads);
  void Receive(Conn& c);

  const Connect connect_;
  const std::string channel_;
  const uint64_t origin_;
  std::mutex mu_;
  std::deque<std::string> outgoing_;  // GUARDED_BY(mu_)
  ChangeHandler handler_;             // GUARDED_BY(mu_)
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace sextant::storage::postgres
