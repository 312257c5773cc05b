#include "http/header_values.h"

#include <gtest/gtest.h>

namespace sextant::http {
namespace {

TEST(HeaderValuesTest, HostNames) {
  EXPECT_EQ(HostName("LocalHost:5050"), "localhost");
  EXPECT_EQ(HostName("localhost."), "localhost");
  EXPECT_EQ(HostName("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(HostName("[::1]:80"), "::1");
  EXPECT_EQ(HostName("[::1"), "");
  EXPECT_EQ(HostName("[]"), "");
  EXPECT_EQ(HostName("[::1]x"), "");
  EXPECT_EQ(HostName("a:b:c"), "");
  EXPECT_EQ(HostName("evil.example@localhost"), "");
  EXPECT_EQ(HostName(":80"), "");
  EXPECT_EQ(HostName(""), "");
}

TEST(HeaderValuesTest, Origins) {
  EXPECT_EQ(OriginAuthority("http://a.b:1"), "a.b:1");
  EXPECT_EQ(OriginAuthority("null"), "");
}

TEST(HeaderValuesTest, Cookies) {
  Headers h;
  h.Add("Cookie", "a=1; sextant_session=abc ; b=2");
  EXPECT_EQ(CookieValue(h, "sextant_session"), "abc");
  EXPECT_EQ(CookieValue(h, "sextant"), "");
  Headers two;
  two.Add("cookie", "x=1");
  two.Add("Cookie", "s=2");
  EXPECT_EQ(CookieValue(two, "s"), "2");
}

TEST(HeaderValuesTest, Bearer) {
  bool bad = false;
  EXPECT_EQ(BearerToken("Bearer sxt_abc", &bad), "sxt_abc");
  EXPECT_FALSE(bad);
  EXPECT_EQ(BearerToken("bearer   t ", &bad), "t");
  BearerToken("Basic dXNlcg==", &bad);
  EXPECT_TRUE(bad);
  BearerToken("Bearer ", &bad);
  EXPECT_TRUE(bad);
}

TEST(HeaderValuesTest, Basic) {
  bool bad = false;
  std::string user, password;
  // "alice:pa:ss" — the first ':' separates (RFC 7617).
  EXPECT_TRUE(BasicCredentials("Basic YWxpY2U6cGE6c3M=", &user, &password, &bad));
  EXPECT_FALSE(bad);
  EXPECT_EQ(user, "alice");
  EXPECT_EQ(password, "pa:ss");
  EXPECT_TRUE(BasicCredentials("basic  YWxpY2U6 ", &user, &password, &bad));
  EXPECT_FALSE(bad);
  EXPECT_EQ(password, "");
  EXPECT_TRUE(BasicCredentials("Basic bm9jb2xvbg==", &user, &password, &bad));  // "nocolon"
  EXPECT_TRUE(bad);
  EXPECT_TRUE(BasicCredentials("Basic !!!", &user, &password, &bad));
  EXPECT_TRUE(bad);
  EXPECT_FALSE(BasicCredentials("Bearer sxt_abc", &user, &password, &bad));
}

TEST(HeaderValuesTest, MediaTypes) {
  EXPECT_EQ(MediaType("Application/JSON; charset=utf-8"), "application/json");
  EXPECT_EQ(MediaType(""), "");
}

TEST(HeaderValuesTest, ForwardedForTakesTheLastUntrustedHop) {
  Headers h;
  h.Add("X-Forwarded-For", "6.6.6.6, 1.2.3.4");
  h.Add("X-Forwarded-For", "10.0.0.2");
  EXPECT_EQ(ForwardedClient(h, {"10.0.0.2"}), "1.2.3.4");
  EXPECT_EQ(ForwardedClient(h, {}), "10.0.0.2");
  Headers none;
  EXPECT_EQ(ForwardedClient(none, {"10.0.0.2"}), "");
}

}  // namespace
}  // namespace sextant::http
