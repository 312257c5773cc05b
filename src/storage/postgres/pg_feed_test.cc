#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <set>
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
class ChangeFeedReplicas : public BackendEnv {
 protected:
  // A second replica on the same schema, handing what it follows to `got`.
  template <typename Got>
  std::unique_ptr<Backend> Follower(Got got) {
    StoreOptions o;
    o.url = url_;
    o.fsync_commits = false;
    auto other = OpenBackend(o);
    EXPECT_TRUE(other.ok()) << other.status().ToString();
    if (!other.ok()) return nullptr;
    (*other)->Follow(std::move(got));
    return std::move(other).value();
  }
};

TEST_P(ChangeFeedReplicas, EveryChangeArrivesAndMissedOnesAreCaughtUp) {
  if (GetParam() != "postgres") GTEST_SKIP() << "one SQLite process has no feed";
  std::mutex mu;
  std::vector<Change> got;
  auto other = Follower([&](const std::vector<Change>& changes) {
    std::lock_guard l(mu);
    got.insert(got.end(), changes.begin(), changes.end());
  });
  ASSERT_TRUE(other);
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

// More changes within the grace window than one poll reads: a follower
// that re-read what it had seen would not move past the first poll's rows
// until the window passed.
TEST_P(ChangeFeedReplicas, ABurstLargerThanOnePollArrivesPromptly) {
  if (GetParam() != "postgres") GTEST_SKIP() << "one SQLite process has no feed";
  std::mutex mu;
  std::set<int64_t> runs;
  size_t total = 0;
  auto other = Follower([&](const std::vector<Change>& changes) {
    std::lock_guard l(mu);
    for (const auto& ch : changes) runs.insert(ch.run_id);
    total += changes.size();
  });
  ASSERT_TRUE(other);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  constexpr int kBurst = 25'000;
  for (int i = 0; i < kBurst; ++i) backend_->Announce({1, i, "log", ""});
  bool all = false;
  for (int i = 0; i < 100 && !all; ++i) {  // 5 s: half the grace window
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::lock_guard l(mu);
    all = runs.size() == static_cast<size_t>(kBurst);
  }
  std::lock_guard l(mu);
  EXPECT_TRUE(all) << runs.size() << " of " << kBurst << " changes arrived";
  EXPECT_EQ(total, runs.size());  // nothing twice
}

INSTANTIATE_TEST_SUITE_P(Backends, ChangeFeedReplicas, ::testing::ValuesIn(BackendKinds()), BackendName);

}  // namespace
}  // namespace sextant::storage::postgres
