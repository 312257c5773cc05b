#include "http/query.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sextant::http {
namespace {

TEST(QueryTest, ValuesKeepEqualsSigns) {
  auto q = QueryParams::Parse("filter=a%20%3D%3D%20%22x=y%22&k=v=w&flag&e=");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->Get("filter"), "a == \"x=y\"");
  EXPECT_EQ(q->Get("k"), "v=w");
  EXPECT_TRUE(q->Has("flag"));
  EXPECT_EQ(q->Get("flag"), "");
  EXPECT_TRUE(q->Has("e"));
  EXPECT_FALSE(q->Has("missing"));
}

TEST(QueryTest, PlusIsSpaceAndRepeatsKeepOrder) {
  auto q = QueryParams::Parse("a=1+2&a=3&&b=%2B");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->GetAll("a"), (std::vector<std::string>{"1 2", "3"}));
  EXPECT_EQ(q->Get("b"), "+");
}

TEST(QueryTest, MalformedEscapesAreErrors) {
  for (const char* s : {"a=%zz", "a=%2", "a=%", "%g1=b"}) {
    auto q = QueryParams::Parse(s);
    EXPECT_FALSE(q.ok()) << s;
  }
  EXPECT_FALSE(PercentDecode("ab%", false).ok());
  auto p = PercentDecode("a+b%2Fc", false);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.value(), "a+b/c");
}

}  // namespace
}  // namespace sextant::http

namespace sextant::http {
namespace {

TEST(QueryTest, PercentEncodeRoundTrips) {
  EXPECT_EQ(PercentEncode("a b/c+d%é~_.-"), "a%20b%2Fc%2Bd%25%C3%A9~_.-");
  for (const std::string& s : std::vector<std::string>{"", "plain", "x=y&z", std::string("\0\xff", 2)}) {
    auto back = PercentDecode(PercentEncode(s), true);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, s);
  }
}

}  // namespace
}  // namespace sextant::http
