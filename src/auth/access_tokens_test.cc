#include "auth/access_tokens.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>


namespace sextant::auth {
namespace {

AccessClaims Claims(AccessClaims::Kind kind, int64_t exp) {
  AccessClaims c;
  c.kind = kind;
  c.token_digest = "abc123";
  c.subject = "ana";
  c.issuer = "http://127.0.0.1:5050/api/neptune/auth";
  c.client_id = "neptune-cli";
  c.issued_s = 1000;
  c.expires_s = exp;
  return c;
}

TEST(AccessTokens, IssueThenVerify) {
  AccessTokens t(std::string(32, 'k'));
  auto jwt = t.Issue(Claims(AccessClaims::Kind::kAccess, 5000));
  ASSERT_TRUE(jwt.ok()) << jwt.status().message();
  EXPECT_TRUE(AccessTokens::LooksLikeJwt(*jwt));
  auto c = t.Verify(*jwt, AccessClaims::Kind::kAccess, 4999);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->token_digest, "abc123");
  EXPECT_EQ(c->subject, "ana");
  EXPECT_EQ(c->issuer, "http://127.0.0.1:5050/api/neptune/auth");
  EXPECT_EQ(c->client_id, "neptune-cli");
  EXPECT_EQ(c->expires_s, 5000);
}

TEST(AccessTokens, RefusesExpiredWrongKindAndForeignKey) {
  AccessTokens t(std::string(32, 'k'));
  auto jwt = t.Issue(Claims(AccessClaims::Kind::kAccess, 5000));
  ASSERT_TRUE(jwt.ok());
  EXPECT_EQ(t.Verify(*jwt, AccessClaims::Kind::kAccess, 5000).status().code(), Code::kUnauthenticated);
  // An access token is no refresh token (and the other way round).
  EXPECT_EQ(t.Verify(*jwt, AccessClaims::Kind::kRefresh, 10).status().code(), Code::kUnauthenticated);
  AccessTokens other(std::string(32, 'x'));
  EXPECT_EQ(other.Verify(*jwt, AccessClaims::Kind::kAccess, 10).status().code(), Code::kUnauthenticated);
}

TEST(AccessTokens, RefusesUnsignedAndTamperedTokens) {
  AccessTokens t(std::string(32, 'k'));
  auto jwt = t.Issue(Claims(AccessClaims::Kind::kAccess, 5000));
  ASSERT_TRUE(jwt.ok());
  size_t dot1 = jwt->find('.'), dot2 = jwt->rfind('.');
  std::string payload = jwt->substr(dot1 + 1, dot2 - dot1 - 1);
  // alg "none" with the same claims and no signature.
  std::string none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + payload + ".";
  EXPECT_EQ(t.Verify(none, AccessClaims::Kind::kAccess, 10).status().code(), Code::kUnauthenticated);
  std::string none_sig = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + payload + ".AAAA";
  EXPECT_EQ(t.Verify(none_sig, AccessClaims::Kind::kAccess, 10).status().code(), Code::kUnauthenticated);
  // Another payload under the original signature.
  auto other = t.Issue(Claims(AccessClaims::Kind::kAccess, 9000));
  ASSERT_TRUE(other.ok());
  std::string swapped = jwt->substr(0, dot1 + 1) + other->substr(other->find('.') + 1);
  swapped = swapped.substr(0, swapped.rfind('.')) + jwt->substr(dot2);
  EXPECT_EQ(t.Verify(swapped, AccessClaims::Kind::kAccess, 10).status().code(), Code::kUnauthenticated);
  for (const std::string& bad : std::vector<std::string>{"", "a.b", "a..b", "...", "x.y.z", std::string(9000, 'a') + ".b.c"})
    EXPECT_FALSE(t.Verify(bad, AccessClaims::Kind::kAccess, 10).ok()) << bad;
}

TEST(AccessTokens, SignaturesCheckOnlyTheirMessageAndKey) {
  AccessTokens t(std::string(32, 'k'));
  std::string sig = t.Sign("PUT ws/p a/b 123");
  EXPECT_TRUE(t.CheckSignature("PUT ws/p a/b 123", sig));
  EXPECT_FALSE(t.CheckSignature("PUT ws/p a/b 124", sig));
  EXPECT_FALSE(t.CheckSignature("PUT ws/p a/b 123", ""));
  EXPECT_FALSE(AccessTokens(std::string(32, 'x')).CheckSignature("PUT ws/p a/b 123", sig));
}

TEST(AccessTokens, KeyFileIsMadeOnceAndKept) {
  std::string dir = testing::TempDir() + "/access_tokens_key";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto a = AccessTokens::Open(dir);
  ASSERT_TRUE(a.ok()) << a.status().message();
  auto jwt = (*a)->Issue(Claims(AccessClaims::Kind::kRefresh, 5000));
  ASSERT_TRUE(jwt.ok());
  auto b = AccessTokens::Open(dir);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE((*b)->Verify(*jwt, AccessClaims::Kind::kRefresh, 10).ok());
  auto perms = std::filesystem::status(dir + "/access-token.key").permissions();
  EXPECT_EQ(perms & std::filesystem::perms::group_all, std::filesystem::perms::none);
  EXPECT_EQ(perms & std::filesystem::perms::others_all, std::filesystem::perms::none);
}

// An operator's key file: every server given it issues and accepts the
// same tokens; a file others can read, of the wrong size, missing or a
// folder is refused with a message that says which and how to fix it.
TEST(AccessTokens, OperatorKeyFileIsSharedAndChecked) {
  namespace fs = std::filesystem;
  std::string dir = testing::TempDir() + "/access_tokens_operator";
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& bytes, fs::perms mode) {
    std::string path = dir + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    fs::permissions(path, mode);
    return path;
  };
  const auto owner = fs::perms::owner_read | fs::perms::owner_write;
  std::string key(32, '\0');
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<char>(i * 7 + 1);
  std::string good = write("good.key", key, owner);
  auto a = AccessTokens::FromFile(good), b = AccessTokens::FromFile(good);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().message();
  auto jwt = (*a)->Issue(Claims(AccessClaims::Kind::kAccess, 5000));
  ASSERT_TRUE(jwt.ok());
  EXPECT_TRUE((*b)->Verify(*jwt, AccessClaims::Kind::kAccess, 10).ok());
  EXPECT_EQ((*a)->Sign("url"), (*b)->Sign("url"));
  // Another key refuses it.
  std::string other = key;
  other[0] ^= 1;
  auto c = AccessTokens::FromFile(write("other.key", other, owner));
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE((*c)->Verify(*jwt, AccessClaims::Kind::kAccess, 10).ok());

  auto refused = [&](const std::string& path, const std::string& says) {
    auto r = AccessTokens::FromFile(path);
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find(says), std::string::npos) << r.status().message();
  };
  refused(write("shared.key", key, owner | fs::perms::group_read), "can be read by others (mode 640)");
  refused(write("short.key", key.substr(1), owner), "must hold exactly 32 bytes");
  refused(write("long.key", key + "\n", owner), "openssl rand -out");
  refused(dir + "/missing.key", "No such file");
  refused(dir, "not a regular file");
}

}  // namespace
}  // namespace sextant::auth
