// The access store's conformance suite: accounts, tokens, memberships,
// sessions, the audit log and shared keys behave the same in SQLite and in
// PostgreSQL, and a change made through one store instance (another process,
// another replica) is seen by the others.
#include <thread>

#include "storage/backend_test_env.h"

namespace sextant::storage {
namespace {

class AccessConformance : public BackendEnv {
 protected:
  std::unique_ptr<AccessStore> OpenStore() {
    auto s = OpenAccessStore(url_, dir_.empty() ? "" : (dir_ / "access.db").string());
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  int64_t AddUser(AccessStore& s, const std::string& name, bool owner = false) {
    PrincipalRow p;
    p.name = name;
    p.owner = owner;
    p.password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
    p.created_us = 1000;
    auto id = s.AddPrincipal(p);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }
};

TEST_P(AccessConformance, PrincipalsAreUniqueByName) {
  auto s = OpenStore();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->CountPrincipals().value(), 0);
  int64_t ada = AddUser(*s, "ada", true);
  int64_t bob = AddUser(*s, "bob.smith@example.com");
  EXPECT_NE(ada, bob);
  PrincipalRow dup;
  dup.name = "ada";
  EXPECT_EQ(s->AddPrincipal(dup).status().code(), Code::kAlreadyExists);
  EXPECT_EQ(s->CountPrincipals().value(), 2);

  auto found = s->FindPrincipal("ada");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, ada);
  EXPECT_TRUE((*found)->owner);
  EXPECT_FALSE((*found)->service);
  EXPECT_EQ((*found)->password_hash, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA");
  EXPECT_EQ((*found)->created_us, 1000);
  EXPECT_FALSE(s->FindPrincipal("nobody")->has_value());

  ASSERT_TRUE(s->SetDisabled(bob, true).ok());
  EXPECT_TRUE((s->GetPrincipal(bob).value())->disabled);
  auto all = s->ListPrincipals();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "ada");  // by name
}

TEST_P(AccessConformance, TokensKeepEveryField) {
  auto s = OpenStore();
  ASSERT_TRUE(s);
  int64_t ada = AddUser(*s, "ada");
  TokenRow t;
  t.principal_id = ada;
  t.name = "ci";
  t.hash = std::string(64, 'a');
  t.created_us = 5;
  t.expires_us = 99;
  t.projects = {"ws/p", "team/*"};
  t.max_role = 2;
  auto id = s->AddToken(t);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  TokenRow plain = t;
  plain.hash = std::string(64, 'b');
  plain.expires_us.reset();
  plain.projects.clear();
  plain.max_role = 0;
  ASSERT_TRUE(s->AddToken(plain).ok());
  EXPECT_FALSE(s->AddToken(plain).ok());  // digests are unique

  auto got = s->FindToken(t.hash);
  ASSERT_TRUE(got.ok() && got->has_value());
  const TokenRow& r = **got;
  EXPECT_EQ(r.id, *id);
  EXPECT_EQ(r.principal, "ada");
  EXPECT_EQ(r.name, "ci");
  EXPECT_EQ(r.expires_us, std::optional<int64_t>(99));
  EXPECT_EQ(r.projects, (std::vector<std::string>{"ws/p", "team/*"}));
  EXPECT_EQ(r.max_role, 2);
  EXPECT_FALSE(r.last_used_us);
  EXPECT_FALSE(r.revoked_us);
  auto other = s->FindToken(plain.hash);
  ASSERT_TRUE(other.ok() && other->has_value());
  EXPECT_FALSE((*other)->expires_us);
  EXPECT_TRUE((*other)->projects.empty());

  ASSERT_TRUE(s->TouchToken(*id, 7).ok());
  ASSERT_TRUE(s->RevokeToken(*id, 8).ok());
  ASSERT_TRUE(s->RevokeToken(*id, 9).ok());  // the first revocation time stays
  auto after = s->GetToken(*id);
  EXPECT_EQ((*after)->last_used_us, std::optional<int64_t>(7));
  EXPECT_EQ((*after)->revoked_us, std::optional<int64_t>(8));

  EXPECT_TRUE(s->NoteTokenAddress(*id, "10.0.0.1").value());
  EXPECT_FALSE(s->NoteTokenAddress(*id, "10.0.0.1").value());
  EXPECT_TRUE(s->NoteTokenAddress(*id, "10.0.0.2").value());

  EXPECT_EQ(s->ListTokens(std::nullopt)->size(), 2u);
  EXPECT_EQ(s->ListTokens(ada)->size(), 2u);
  EXPECT_EQ(s->ListTokens(ada + 1000)->size(), 0u);
}

TEST_P(AccessConformance, MembershipsReplaceAndList) {
  auto s = OpenStore();
  ASSERT_TRUE(s);
  int64_t ada = AddUser(*s, "ada"), bob = AddUser(*s, "bob");
  ASSERT_TRUE(s->PutMember({ada, "", "ws", "p", 1}).ok());
  ASSERT_TRUE(s->PutMember({ada, "", "ws", "p", 3}).ok());  // replaces
  ASSERT_TRUE(s->PutMember({bob, "", "ws", "", 2}).ok());   // the whole workspace
  ASSERT_TRUE(s->PutMember({bob, "", "other", "q", 1}).ok());
  auto members = s->ListMembers("ws", "p");
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 2u);
  EXPECT_EQ((*members)[0].principal, "ada");
  EXPECT_EQ((*members)[0].role, 3);
  EXPECT_EQ((*members)[1].principal, "bob");
  EXPECT_EQ((*members)[1].project, "");
  EXPECT_EQ(s->RolesOf(bob)->size(), 2u);
  ASSERT_TRUE(s->RemoveMember(ada, "ws", "p").ok());
  EXPECT_EQ(s->RemoveMember(ada, "ws", "p").code(), Code::kNotFound);
  EXPECT_EQ(s->ListMembers("ws", "p")->size(), 1u);
}

TEST_P(AccessConformance, SessionsExpireAndEnd) {
  auto s = OpenStore();
  ASSERT_TRUE(s);
  int64_t ada = AddUser(*s, "ada"), bob = AddUser(*s, "bob");
  ASSERT_TRUE(s->AddSession({"h1", ada, 1, 100}).ok());
  ASSERT_TRUE(s->AddSession({"h2", ada, 1, 200}).ok());
  ASSERT_TRUE(s->AddSession({"h3", bob, 1, 300}).ok());
  auto h1 = s->FindSession("h1");
  ASSERT_TRUE(h1.ok() && h1->has_value());
  EXPECT_EQ((*h1)->principal_id, ada);
  EXPECT_EQ((*h1)->expires_us, 100);
  ASSERT_TRUE(s->DeleteExpiredSessions(100).ok());
  EXPECT_FALSE(s->FindSession("h1")->has_value());
  EXPECT_TRUE(s->FindSession("h2")->has_value());
  ASSERT_TRUE(s->DeleteSessionsOf(ada).ok());
  EXPECT_FALSE(s->FindSession("h2")->has_value());
  ASSERT_TRUE(s->DeleteSession("h3").ok());
  EXPECT_FALSE(s->FindSession("h3")->has_value());
}

TEST_P(AccessConformance, AuditFiltersAndPagesNewestFirst) {
  auto s = OpenStore();
  ASSERT_TRUE(s);
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(s->AppendAudit({0, i, i % 2 ? "bob" : "ada", "10.0.0.1", i < 3 ? "login" : "user.add",
                                "t" + std::to_string(i), "d"})
                    .ok());
  AuditFilter all;
  auto rows = s->ListAudit(all);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 5u);
  EXPECT_EQ((*rows)[0].target, "t4");
  EXPECT_GT((*rows)[0].id, (*rows)[1].id);

  AuditFilter ada;
  ada.principal = "ada";
  EXPECT_EQ(s->ListAudit(ada)->size(), 3u);
  AuditFilter logins;
  logins.action = "login";
  logins.limit = 2;
  auto page = s->ListAudit(logins);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].target, "t2");
  logins.before_id = (*page)[1].id;
  auto next = s->ListAudit(logins);
  ASSERT_EQ(next->size(), 1u);
  EXPECT_EQ((*next)[0].target, "t0");
  EXPECT_EQ((*next)[0].principal, "ada");
  EXPECT_EQ((*next)[0].address, "10.0.0.1");
}

// What replicas rely on: a change through one store is seen through another
// (the change counter moves), and a shared key is made once.
TEST_P(AccessConformance, ChangesAndKeysAreShared) {
  auto a = OpenStore(), b = OpenStore();
  ASSERT_TRUE(a && b);
  int64_t before = a->ChangeCounter().value();
  int64_t ada = AddUser(*b, "ada");
  int64_t after_add = a->ChangeCounter().value();
  EXPECT_NE(after_add, before);
  EXPECT_TRUE(a->FindPrincipal("ada")->has_value());
  ASSERT_TRUE(b->PutMember({ada, "", "ws", "p", 1}).ok());
  EXPECT_NE(a->ChangeCounter().value(), after_add);

  // Both ask at once with different candidates: one key wins for both.
  std::string ka, kb;
  std::thread t1([&] { ka = a->SharedKey("access-token", "candidate-a").value(); });
  std::thread t2([&] { kb = b->SharedKey("access-token", "candidate-b").value(); });
  t1.join();
  t2.join();
  EXPECT_EQ(ka, kb);
  EXPECT_TRUE(ka == "candidate-a" || ka == "candidate-b");
  EXPECT_EQ(OpenStore()->SharedKey("access-token", "later").value(), ka);
  EXPECT_EQ(a->SharedKey("other", "x").value(), "x");
}

INSTANTIATE_TEST_SUITE_P(Backends, AccessConformance, ::testing::ValuesIn(BackendKinds()), BackendName);

}  // namespace
}  // namespace sextant::storage
