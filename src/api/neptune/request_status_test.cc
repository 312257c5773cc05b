#include "api/neptune/request_status.h"

#include <gtest/gtest.h>

namespace sextant::api::neptune {
namespace {

TEST(NeptuneRequestStatus, OutcomeRoundTripsThroughTheId) {
  std::string ok = MintRequestId(Summarize(5, {}));
  auto parsed = ParseRequestId(ok);
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].code, RpcCode::kOk);

  std::vector<ItemError> errors = {{"a", IngestCode::kFieldTypeConflicting, "m"},
                                   {"b", IngestCode::kFieldTypeConflicting, "m"},
                                   {"", IngestCode::kRunNotFound, "m"}};
  std::string id = MintRequestId(Summarize(3, errors));
  parsed = ParseRequestId(id);
  ASSERT_TRUE(parsed) << id;
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0], (CodeCount{RpcCode::kNotFound, IngestCode::kRunNotFound, 1}));
  EXPECT_EQ((*parsed)[1], (CodeCount{RpcCode::kFailedPrecondition, IngestCode::kFieldTypeConflicting, 2}));
  EXPECT_NE(MintRequestId(Summarize(1, {})), MintRequestId(Summarize(1, {})));
}

TEST(NeptuneRequestStatus, ForeignIdsAreNotOurs) {
  for (const char* id : {"", "abc", "sx1.", "sx1.zzzzzzzzzzzzzzzz", "sx1.0123456789abcdef.3", "sx1.0123456789abcdef.3-21",
                         "sx1.0123456789abcdef.99-21-1", "sx1.0123456789abcdef.3-21-x", "sx1.0123456789abcdef.-1-2-3"})
    EXPECT_FALSE(ParseRequestId(id)) << id;
}

TEST(NeptuneRequestStatus, RecentMessagesAreBounded) {
  RecentMessages m(2);
  m.Put("a", "1");
  m.Put("b", "2");
  m.Put("c", "3");
  EXPECT_FALSE(m.Get("a"));
  EXPECT_EQ(*m.Get("c"), "3");
}

}  // namespace
}  // namespace sextant::api::neptune
