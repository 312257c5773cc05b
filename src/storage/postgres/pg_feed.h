// The change feed between replicas on one PostgreSQL database. Announced
// changes are queued and appended every few milliseconds, in one statement,
// to the `changes` table (a sequence), which also NOTIFYs a channel named
// after the schema. Followers read the table past the last sequence number
// they handled when notified, and at least once a second anyway, so a
// replica that missed notifications (a lost connection) catches up with
// everything still kept (10 minutes). Delivery is at least once per change
// and idempotent for the catalogue (it reloads the run). One thread, one
// connection of its own; it reconnects after a lost connection.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
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
  // Reads the changes past the watermark and hands other processes' to the
  // follower.
  Status Poll(Conn& c);
  Status Prune(Conn& c);

  const Connect connect_;
  const std::string channel_;
  const uint64_t origin_;
  std::mutex mu_;
  std::deque<std::string> outgoing_;  // GUARDED_BY(mu_)
  ChangeHandler handler_;             // GUARDED_BY(mu_)
  std::atomic<bool> stop_{false};
  std::thread thread_;
  // Loop thread only. Every change up to the watermark was handled; those
  // above it that were handled are in `seen_` (with when), until they are
  // old enough that no earlier sequence number can still commit.
  int64_t watermark_ = -1;
  std::map<int64_t, int64_t> seen_;  // seq -> steady ms
};

}  // namespace sextant::storage::postgres
