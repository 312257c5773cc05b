#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "storage/backend_test_env.h"
#include "storage/postgres/pg_feed.h"

namespace sextant::storage::postgres {
namespace {

TEST(ChangeFeedPayload, RoundTrips) {
  Change c{12, 345, "log", R"({"type":"log","run_id":"a b"})"};
  uint64_t origin = 0;
  Change d;
  ASSERT_TRUE(ChangeFeed::Decode(ChangeFeed::Encode(0xFFFFFFFFFFFFFFFFull, c), &origin, &d));
  EXPECT_EQ(origin, 0xFFFFFFFFFFFFFFFFull);
  EXPECT_EQ(d.project_id, 12);
  EXPECT_EQ(d.run_id, 345);
  EXPECT_EQ(d.kind, "log");
  EXPECT_EQ(d.event, c.event);
  // An empty event (files changed, or an event too long for NOTIFY).
  ASSERT_TRUE(ChangeFeed::Decode(ChangeFeed::Encode(1, {1, 2, "files", ""}), &origin, &d));
  EXPECT_EQ(d.kind, "files");
  EXPECT_EQ(d.event, "");
}

TEST(ChangeFeedPayload, RejectsMalformed) {
  uint64_t origin;
  Change d;
  for (std::string_view bad : {"", "1 2 3", "x 2 3 log ", "1 2 3x log ", "1  3 log ", "-1 2 3 log ",
                               "1 99999999999999999999 3 log ", "1 2 3 log"})
    EXPECT_FALSE(ChangeFeed::Decode(bad, &origin, &d)) << bad;
}

// Two replicas on one schema: every change one announces reaches the other,
// in order, and a change whose notification never came (appended to the log
// without NOTIFY, as after a lost connection) is caught up by the poll.
class ChangeFeedReplicas : public BackendEnv {};

TEST_P(ChangeFeedReplicas, EveryChangeArrivesAndMissedOnesAreCaughtUp) {
  if (GetParam() != "postgres") GTEST_SKIP() << "one SQLite process has no feed";
  StoreOptions o;
  o.url = url_;
  o.fsync_commits = false;
  auto other = OpenBackend(o);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  std::mutex mu;
  std::vector<Change> got;
  (*other)->Follow([&](const std::vector<Change>& changes) {
    std::lock_guard l(mu);
    got.insert(got.end(), changes.begin(), changes.end());
  });
  auto wait_for = [&](size_t n) {
    for (int i = 0; i < 100; ++i) {
      {
        std::lock_guard l(mu);
        if (got.size() >= n) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  };
  // Let the follower's first poll fix its starting point.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (int i = 0; i < 50; ++i) backend_->Announce({1, 100 + i, "log", "{\"n\":" + std::to_string(i) + "}"});
  ASSERT_TRUE(wait_for(50));
  {
    std::lock_guard l(mu);
    for (int i = 0; i < 50; ++i) EXPECT_EQ(got[i].run_id, 100 + i);
  }
  auto c = Conn::Open(url_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Query("INSERT INTO changes (at_us, payload) VALUES (1, $1)",
                          Params().Add(ChangeFeed::Encode(424242, {1, 999, "state", ""})))
                  .ok());
  ASSERT_TRUE(wait_for(51)) << "a change without a notification was not caught up";
  std::lock_guard l(mu);
  EXPECT_EQ(got[50].run_id, 999);
  EXPECT_EQ(got.size(), 51u);  // nothing twice
}

INSTANTIATE_TEST_SUITE_P(Backends, ChangeFeedReplicas, ::testing::ValuesIn(BackendKinds()), BackendName);

}  // namespace
}  // namespace sextant::storage::postgres
