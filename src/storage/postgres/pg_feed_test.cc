#include <gtest/gtest.h>

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

}  // namespace
}  // namespace sextant::storage::postgres
