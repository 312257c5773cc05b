// Accounts: the rules of who may do what. Principals (users and service
// accounts), API tokens, memberships, browser sessions, logins and the audit
// log, over an AccessStore that only stores.
//
// Every operation that changes who can do what, every login and every token
// use from a new address is appended to the audit log; secrets never are.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "auth/caller.h"
#include "auth/login_limiter.h"
#include "auth/roles.h"
#include "common/status.h"
#include "model/operations.h"
#include "storage/access.h"

namespace sextant::auth {

struct AccountsOptions {
  bool require_auth = false;      // the server listens beyond loopback
  bool insecure_no_auth = false;  // ... and the user chose to run it open anyway
  int64_t session_ttl_us = 7LL * 24 * 3600 * 1'000'000;
  LoginLimits login_limits;
  std::function<int64_t()> now_us;  // the clock; empty: the system's
};

struct NewPrincipal {
  std::string name;
  bool service = false;
  bool owner = false;
  std::string password;  // users only; empty: no password login
};

struct NewToken {
  std::string principal;  // empty: the caller
  std::string name;
  std::vector<std::string> projects;  // "ws/p" or "ws/*"
  Role max_role = Role::kNone;        // kNone: no cap
  std::optional<int64_t> expires_us;
};

struct CreatedToken {
  storage::TokenRow token;
  std::string secret;  // shown once
};

struct NewSession {
  std::string secret;  // the cookie's value
  storage::PrincipalRow user;
  int64_t expires_us = 0;
};

class Accounts {
 public:
  // The store beside the runs (storage::OpenAccessStore): with SQLite (the
  // default, `store_url` empty) <data_dir>/access.db; with a postgresql://
  // URL the runs' database, shared by every replica.
  static Result<std::unique_ptr<Accounts>> Open(const std::string& data_dir, AccountsOptions options,
                                                const std::string& store_url = "");
  Accounts(std::unique_ptr<storage::AccessStore> store, AccountsOptions options);

  const AccountsOptions& options() const { return options_; }
  storage::AccessStore& store() { return *store_; }
  int64_t Now() const;

  // Whether a caller without credentials is refused: accounts exist, or the
  // server listens beyond loopback (unless --insecure-no-auth).
  Result<bool> AuthRequired();
  // True when authentication is known to be required without asking the
  // store (it may be required and this still false: then ask AuthRequired).
  bool AuthRequiredKnown() const {
    return !options_.insecure_no_auth &&
           (options_.require_auth || has_principals_.load(std::memory_order_relaxed));
  }
  Result<bool> HasOwner();

  // Resolves a request's credentials (the bearer token, the session cookie;
  // either may be empty). Unauthenticated for an unknown, expired or revoked
  // credential or a disabled account.
  Result<Caller> Authenticate(std::string_view token, std::string_view session,
                              const std::string& address);
  // An API token known by its digest (DigestSecret), as a verified access
  // token carries it (auth/access_tokens.h): the same checks as the token.
  Result<Caller> AuthenticateDigest(const std::string& digest, const std::string& address);
  // HTTP basic credentials (MLflow's MLFLOW_TRACKING_USERNAME/PASSWORD): the
  // password is the user's password or one of the user's API tokens. A
  // verified password is remembered (by digest) until the store changes, so
  // that a client sending it on every request does not pay Argon2 each time;
  // failures count against the sign-in limits.
  Result<Caller> AuthenticateBasic(const std::string& name, std::string_view password,
                                   const std::string& address);
  // The `sextant` command working on the store directly.
  static Caller Local();

  // Password login for a browser session. TooManyRequests (message gives the
  // seconds) after repeated failures; Unauthenticated for a wrong name or
  // password (one message for both).
  Result<NewSession> Login(const std::string& name, std::string_view password,
                           const std::string& address);
  Status Logout(std::string_view session_secret, const Caller& caller);
  // Seconds until a refused login may be tried again (0: now).
  int64_t LoginRetryAfter(const std::string& name, const std::string& address) {
    return limiter_.RetryAfter(name, address, Now());
  }

  // Users and service accounts (owner only).
  Result<storage::PrincipalRow> AddPrincipal(const Caller& actor, const NewPrincipal& p);
  Result<std::vector<storage::PrincipalRow>> ListPrincipals(const Caller& actor);
  Result<storage::PrincipalRow> DisablePrincipal(const Caller& actor, const std::string& name);

  // Tokens: anyone signed in for themselves; an owner for anyone.
  Result<CreatedToken> CreateToken(const Caller& actor, const NewToken& t);
  // The caller's tokens; `all` (owner only) every token, or `principal`'s.
  Result<std::vector<storage::TokenRow>> ListTokens(const Caller& actor, bool all,
                                                    const std::string& principal);
  Status RevokeToken(const Caller& actor, int64_t id);

  // Memberships: a project's (project non-empty) or a whole workspace's.
  // Changing them needs admin there; listing a project's needs viewer.
  Result<storage::MemberRow> PutMember(const Caller& actor, const std::string& workspace,
                                       const std::string& project, const std::string& principal,
                                       Role role);
  Status RemoveMember(const Caller& actor, const std::string& workspace, const std::string& project,
                      const std::string& principal);
  Result<std::vector<storage::MemberRow>> ListMembers(const Caller& actor,
                                                      const std::string& workspace,
                                                      const std::string& project);

  // Permission checks. Anonymous callers get Unauthenticated; a project the
  // caller has no role on is NotFound (its existence is not revealed); a role
  // too low is PermissionDenied.
  Status RequireOwner(const Caller& c) const;
  Status RequireSignedIn(const Caller& c) const;
  Status RequireProject(const Caller& c, const model::ProjectName& p, Role role) const;
  Status RequireWorkspace(const Caller& c, const std::string& workspace, Role role) const;

  // Appends to the audit log (failures are reported on stderr, not to the caller).
  void Audit(const Caller& actor, std::string action, std::string target, std::string detail = "");
  Result<std::vector<storage::AuditRow>> ListAudit(const Caller& actor,
                                                   const storage::AuditFilter& filter);

 private:
  Status CallerFromDigest(const std::string& digest, Caller* c);
  void NoteTokenUse(const Caller& c, const std::string& token_name, int64_t now);
  // Forgets cached token callers (after a change made in this process;
  // changes by other processes are noticed through the store's counter).
  void InvalidateCache();
  Status CallerFromSession(std::string_view session, Caller* c);
  Status LoadPrincipal(int64_t id, Caller* c);
  Result<storage::PrincipalRow> Principal(const std::string& name);

  std::unique_ptr<storage::AccessStore> store_;
  const AccountsOptions options_;
  LoginLimiter limiter_;
  std::atomic<bool> has_principals_{false};
  std::mutex mu_;
  std::set<std::pair<int64_t, std::string>> seen_addresses_;  // GUARDED_BY(mu_)
  std::unordered_map<int64_t, int64_t> touched_us_;           // GUARDED_BY(mu_)
  // Token digest -> the caller it resolved to (and the token's expiry), valid
  // while the store's change counter is cache_version_: a request with a
  // known token costs a digest and one counter read.
  struct CachedToken {
    Caller caller;
    std::optional<int64_t> expires_us;
    std::string name;
  };
  std::unordered_map<std::string, CachedToken> token_cache_;  // GUARDED_BY(mu_)
  int64_t cache_version_ = -1;                               // GUARDED_BY(mu_)
};

// Name rules: 1-64 of [A-Za-z0-9._@-], starting with a letter or digit.
Status ValidatePrincipalName(std::string_view name);
Status ValidatePassword(std::string_view password);
// "ws/p" or "ws/*".
Status ValidateProjectPattern(std::string_view pattern);

}  // namespace sextant::auth
