#include "auth/accounts.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "auth/secrets.h"

namespace sextant::auth {
namespace {

class AccountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sextant_accounts_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    AccountsOptions o;
    o.now_us = [this] { return now_; };
    auto a = Accounts::Open(dir_.string(), o);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    accounts_ = std::move(a).value();
  }
  void TearDown() override {
    accounts_.reset();
    std::filesystem::remove_all(dir_);
  }

  Caller As(std::string_view token) {
    auto c = accounts_->Authenticate(token, "", "10.0.0.1");
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? c.value() : Caller{};
  }

  std::string TokenFor(const std::string& user, NewToken t = {}) {
    t.principal = user;
    if (t.name.empty()) t.name = "t";
    auto made = accounts_->CreateToken(Accounts::Local(), t);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? made->secret : "";
  }

  std::filesystem::path dir_;
  int64_t now_ = 1'700'000'000'000'000;
  std::unique_ptr<Accounts> accounts_;
};

TEST_F(AccountsTest, OpenUntilTheFirstAccount) {
  auto c = accounts_->Authenticate("", "", "127.0.0.1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->via, Caller::Via::kOpen);
  EXPECT_EQ(c->RoleOn({"a", "b"}), Role::kAdmin);
  ASSERT_TRUE(accounts_->AddPrincipal(Accounts::Local(), {"alice", false, true, "correct horse"}).ok());
  c = accounts_->Authenticate("", "", "127.0.0.1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->via, Caller::Via::kAnonymous);
  EXPECT_EQ(accounts_->RequireProject(*c, {"a", "b"}, Role::kViewer).code(), Code::kUnauthenticated);
}

TEST_F(AccountsTest, RolesComeFromProjectAndWorkspace) {
  ASSERT_TRUE(accounts_->AddPrincipal(Accounts::Local(), {"bob"}).ok());
  ASSERT_TRUE(accounts_->PutMember(Accounts::Local(), "vision", "", "bob", Role::kViewer).ok());
  ASSERT_TRUE(accounts_->PutMember(Accounts::Local(), "vision", "resnet", "bob", Role::kWriter).ok());
  Caller bob = As(TokenFor("bob"));
  EXPECT_EQ(bob.RoleOn({"vision", "resnet"}), Role::kWriter);
  EXPECT_EQ(bob.RoleOn({"vision", "vit"}), Role::kViewer);
  EXPECT_EQ(bob.RoleOn({"nlp", "bert"}), Role::kNone);
  EXPECT_EQ(accounts_->RequireProject(bob, {"nlp", "bert"}, Role::kViewer).code(), Code::kNotFound);
  EXPECT_EQ(accounts_->RequireProject(bob, {"vision", "vit"}, Role::kWriter).code(),
            Code::kPermissionDenied);
  EXPECT_TRUE(accounts_->RequireProject(bob, {"vision", "resnet"}, Role::kWriter).ok());
  EXPECT_EQ(accounts_->RequireOwner(bob).code(), Code::kPermissionDenied);
  // A writer cannot manage members.
  EXPECT_EQ(accounts_->PutMember(bob, "vision", "resnet", "bob", Role::kAdmin).status().code(),
            Code::kPermissionDenied);
}

TEST_F(AccountsTest, TokenLimitsCapTheRole) {
  ASSERT_TRUE(accounts_->AddPrincipal(Accounts::Local(), {"root", false, true}).ok());
  NewToken t;
  t.projects = {"vision/resnet"};
  t.max_role = Role::kViewer;
  Caller c = As(TokenFor("root", t));
  EXPECT_FALSE(c.IsOwner());
  EXPECT_EQ(c.RoleOn({"vision", "resnet"}), Role::kViewer);
  EXPECT_EQ(c.RoleOn({"vision", "other"}), Role::kNone);
  t.projects = {"vision/*"};
  t.max_role = Role::kNone;
  Caller w = As(TokenFor("root", t));
  EXPECT_EQ(w.RoleOn({"vision", "other"}), Role::kAdmin);
  EXPECT_EQ(w.RoleOn({"nlp", "x"}), Role::kNone);
  EXPECT_EQ(accounts_->CreateToken(c, {"", "wider"}).status().code(), Code::kPermissionDenied);
}

TEST_F(AccountsTest, RevokedAndExpiredTokensAreRefusedAtOnce) {
  ASSERT_TRUE(accounts_->AddPrincipal(Accounts::Local(), {"ci", true}).ok());
  NewToken t;
  t.expires_us = now_ + 1'000'000;
  std::string expiring = TokenFor("ci", t);
  auto made = accounts_->CreateToken(Accounts::Local(), {"ci", "revoked"});
  ASSERT_TRUE(made.ok());
  EXPECT_TRUE(accounts_->Authenticate(made->secret, "", "x").ok());
  ASSERT_TRUE(accounts_->RevokeToken(Accounts::Local(), made->token.id).ok());
  EXPECT_EQ(accounts_->Authenticate(made->secret, "", "x").status().code(), Code::kUnauthenticated);
  EXPECT_TRUE(accounts_->Authenticate(expiring, "", "x").ok());
  now_ += 2'000'000;
  auto late = accounts_->Authenticate(expiring, "", "x");
  EXPECT_EQ(late.status().code(), Code::kUnauthenticated);
  EXPECT_NE(late.status().message().find("expired"), std::string::npos);
  EXPECT_EQ(accounts_->Authenticate("sxt_nonsense", "", "x").status().code(), Code::kUnauthenticated);
}

TEST_F(AccountsTest, ChangesByAnotherProcessTakeEffectOnTheNextRequest) {
  // A second Accounts on the same folder is what the `sextant` commands are.
  auto cli = Accounts::Open(dir_.string(), {});
  ASSERT_TRUE(cli.ok());
  ASSERT_TRUE((*cli)->AddPrincipal(Accounts::Local(), {"frank"}).ok());
  auto made = (*cli)->CreateToken(Accounts::Local(), {"frank", "job"});
  ASSERT_TRUE(made.ok());
  Caller first = As(made->secret);  // now cached by the server
  EXPECT_EQ(first.RoleOn({"ws", "p"}), Role::kNone);
  ASSERT_TRUE((*cli)->PutMember(Accounts::Local(), "ws", "p", "frank", Role::kWriter).ok());
  EXPECT_EQ(As(made->secret).RoleOn({"ws", "p"}), Role::kWriter);
  ASSERT_TRUE((*cli)->RevokeToken(Accounts::Local(), made->token.id).ok());
  EXPECT_EQ(accounts_->Authenticate(made->secret, "", "x").status().code(), Code::kUnauthenticated);
}

TEST_F(AccountsTest, LoginSessionsExpireAndFailuresAreLimited) {
  ASSERT_TRUE(accounts_->AddPrincipal(Accounts::Local(), {"carol", false, false, "s3cret-pass"}).ok());
  auto s = accounts_->Login("carol", "s3cret-pass", "1.2.3.4");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto c = accounts_->Authenticate("", s->secret, "1.2.3.4");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->via, Caller::Via::kSession);
  EXPECT_EQ(c->name, "carol");
  now_ += accounts_->options().session_ttl_us;
  EXPECT_EQ(accounts_->Authenticate("", s->secret, "1.2.3.4").status().code(), Code::kUnauthenticated);

  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(accounts_->Login("carol", "wrong-pass", "1.2.3.4").status().code(), Code::kUnauthenticated);
  auto limited = accounts_->Login("carol", "s3cret-pass", "1.2.3.4");
  EXPECT_EQ(limited.status().code(), Code::kTooManyRequests);
  now_ += 61'000'000;
  EXPECT_TRUE(accounts_->Login("carol", "s3cret-pass", "1.2.3.4").ok());
}

TEST_F(AccountsTest, DisabledAccountsLoseTokensAndSessions) {
  ASSERT_TRUE(accounts_->AddPrincipal(Accounts::Local(), {"dave", false, false, "dave-pass-1"}).ok());
  std::string token = TokenFor("dave");
  auto s = accounts_->Login("dave", "dave-pass-1", "a");
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(accounts_->DisablePrincipal(Accounts::Local(), "dave").ok());
  EXPECT_EQ(accounts_->Authenticate(token, "", "a").status().code(), Code::kUnauthenticated);
  EXPECT_EQ(accounts_->Authenticate("", s->secret, "a").status().code(), Code::kUnauthenticated);
  EXPECT_EQ(accounts_->Login("dave", "dave-pass-1", "a").status().code(), Code::kUnauthenticated);
}

TEST_F(AccountsTest, AuditRecordsWithoutSecrets) {
  const std::string password = "unique-password-123";
  ASSERT_TRUE(accounts_->AddPrincipal(Accounts::Local(), {"erin", false, true, password}).ok());
  std::string token = TokenFor("erin");
  As(token);
  ASSERT_TRUE(accounts_->Login("erin", password, "9.9.9.9").ok());
  (void)accounts_->Login("erin", "bad-password", "9.9.9.9");
  auto entries = accounts_->ListAudit(Accounts::Local(), {});
  ASSERT_TRUE(entries.ok());
  std::set<std::string> actions;
  for (const auto& e : *entries) actions.insert(e.action);
  for (const char* a : {"user.add", "token.create", "token.new_address", "login.success", "login.failure"})
    EXPECT_TRUE(actions.count(a)) << a;
  accounts_.reset();
  // Neither the password nor the token is anywhere in the store's files.
  for (const auto& f : std::filesystem::directory_iterator(dir_)) {
    std::ifstream in(f.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ(ss.str().find(password), std::string::npos) << f.path();
    EXPECT_EQ(ss.str().find(token), std::string::npos) << f.path();
    EXPECT_EQ(ss.str().find(token.substr(4)), std::string::npos) << f.path();
  }
}

TEST(SecretsTest, PasswordsAndTokens) {
  auto h = HashPassword("hunter22hunter");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(VerifyPassword(*h, "hunter22hunter"));
  EXPECT_FALSE(VerifyPassword(*h, "hunter22hunteR"));
  EXPECT_FALSE(VerifyPassword("garbage", "x"));
  std::string a = NewSecret("sxt_"), b = NewSecret("sxt_");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 4u + 43u);
  EXPECT_EQ(DigestSecret("abc").size(), 64u);
}

TEST(NamesTest, Rules) {
  EXPECT_TRUE(ValidatePrincipalName("ci-bot@team.x").ok());
  EXPECT_FALSE(ValidatePrincipalName("-x").ok());
  EXPECT_FALSE(ValidatePrincipalName("a b").ok());
  EXPECT_FALSE(ValidatePrincipalName("").ok());
  EXPECT_TRUE(ValidateProjectPattern("ws/*").ok());
  EXPECT_TRUE(ValidateProjectPattern("ws/p").ok());
  EXPECT_FALSE(ValidateProjectPattern("ws").ok());
  EXPECT_FALSE(ValidateProjectPattern("ws/a/b").ok());
}

}  // namespace
}  // namespace sextant::auth
