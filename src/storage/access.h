// The access store: principals (users and service accounts), API tokens,
// memberships, browser sessions and the audit log. It only stores and
// retrieves; the rules (who may do what, validation, expiry, auditing) are in
// auth/accounts.h.
//
// Secrets never reach the store: tokens and sessions are kept as SHA-256
// digests of their secret, passwords as Argon2id encodings.
//
// Thread-safety: every method may be called from any thread. Other processes
// (the `sextant user|token|member` commands) may change the store while a
// server runs; a read always sees their committed changes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace sextant::storage {

struct PrincipalRow {
  int64_t id = 0;
  std::string name;
  bool service = false;  // a service account (CI, training jobs): tokens only
  bool owner = false;    // manages users; every role on every project
  bool disabled = false;
  std::string password_hash;  // Argon2id encoding; empty: no password login
  int64_t created_us = 0;
};

struct TokenRow {
  int64_t id = 0;
  int64_t principal_id = 0;
  std::string principal;  // name, filled on reads
  std::string name;       // a label chosen by its creator
  std::string hash;       // SHA-256 of the secret, hex
  int64_t created_us = 0;
  std::optional<int64_t> expires_us;
  std::vector<std::string> projects;  // "ws/p" or "ws/*"; empty: not restricted
  int max_role = 0;                   // auth::Role; 0: not restricted
  std::optional<int64_t> last_used_us;
  std::optional<int64_t> revoked_us;
};

// A role on a project, or on a whole workspace (project empty).
struct MemberRow {
  int64_t principal_id = 0;
  std::string principal;  // name, filled on reads
  std::string workspace, project;
  int role = 0;  // auth::Role
};

struct SessionRow {
  std::string hash;  // SHA-256 of the cookie's secret, hex
  int64_t principal_id = 0;
  int64_t created_us = 0, expires_us = 0;
};

struct AuditRow {
  int64_t id = 0;  // increasing
  int64_t time_us = 0;
  std::string principal;  // who acted ("" for an anonymous caller)
  std::string address;    // the client's address
  std::string action;     // "user.add", "login.failure", "http.delete" …
  std::string target;     // what it acted on
  std::string detail;     // anything else worth keeping (never a secret)
};

struct AuditFilter {
  std::string principal, action;  // empty: any
  std::optional<int64_t> before_id;  // paging: entries older than this id
  size_t limit = 100;
};

class AccessStore {
 public:
  virtual ~AccessStore() = default;

  // A number that changes whenever another connection (another process: the
  // `sextant` commands) has committed a change, for caches of what it reads.
  virtual Result<int64_t> ChangeCounter() = 0;

  virtual Result<int64_t> CountPrincipals() = 0;
  // AlreadyExists when the name is taken.
  virtual Result<int64_t> AddPrincipal(const PrincipalRow& p) = 0;
  virtual Result<std::optional<PrincipalRow>> FindPrincipal(const std::string& name) = 0;
  virtual Result<std::optional<PrincipalRow>> GetPrincipal(int64_t id) = 0;
  virtual Result<std::vector<PrincipalRow>> ListPrincipals() = 0;
  virtual Status SetDisabled(int64_t id, bool disabled) = 0;

  virtual Result<int64_t> AddToken(const TokenRow& t) = 0;
  virtual Result<std::optional<TokenRow>> FindToken(const std::string& hash) = 0;
  virtual Result<std::optional<TokenRow>> GetToken(int64_t id) = 0;
  // Every token, or those of one principal.
  virtual Result<std::vector<TokenRow>> ListTokens(std::optional<int64_t> principal_id) = 0;
  virtual Status RevokeToken(int64_t id, int64_t now_us) = 0;
  virtual Status TouchToken(int64_t id, int64_t now_us) = 0;
  // Remembers that a token was used from `address`; true the first time.
  virtual Result<bool> NoteTokenAddress(int64_t token_id, const std::string& address) = 0;

  // Sets (or replaces) a principal's role on a project or workspace.
  virtual Status PutMember(const MemberRow& m) = 0;
  // NotFound when there was none.
  virtual Status RemoveMember(int64_t principal_id, const std::string& workspace,
                              const std::string& project) = 0;
  // The project's members and its workspace's (project empty).
  virtual Result<std::vector<MemberRow>> ListMembers(const std::string& workspace,
                                                     const std::string& project) = 0;
  // Every role a principal holds.
  virtual Result<std::vector<MemberRow>> RolesOf(int64_t principal_id) = 0;

  virtual Status AddSession(const SessionRow& s) = 0;
  virtual Result<std::optional<SessionRow>> FindSession(const std::string& hash) = 0;
  virtual Status DeleteSession(const std::string& hash) = 0;
  virtual Status DeleteSessionsOf(int64_t principal_id) = 0;
  virtual Status DeleteExpiredSessions(int64_t now_us) = 0;

  virtual Status AppendAudit(const AuditRow& row) = 0;
  // Newest first.
  virtual Result<std::vector<AuditRow>> ListAudit(const AuditFilter& filter) = 0;

  // A key every server on this store shares (the signing key of access
  // tokens and signed URLs): the stored one, or `candidate`, stored now when
  // there is none. Two processes asking at once get the same key.
  virtual Result<std::string> SharedKey(const std::string& name, const std::string& candidate) = 0;
};

// The embedded store: one SQLite file (WAL), shared safely with other
// processes that open the same file.
Result<std::unique_ptr<AccessStore>> OpenSqliteAccessStore(const std::string& path);

}  // namespace sextant::storage
