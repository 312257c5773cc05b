// The access store in PostgreSQL (storage/access.h): the same tables as the
// SQLite one (migration 2 in pg_schema.cc), in the schema the runs live in,
// so that every replica sees the same accounts, tokens, sessions and keys.
//
// Every statement is one round trip in its own transaction. A change to what
// a cached token caller depends on (principals, tokens, memberships) bumps
// access_version in the same statement (a data-modifying WITH), so a replica
// that reads the new counter also reads the change.
#include <condition_variable>
#include <limits>
#include <mutex>
#include <sstream>

#include "storage/access.h"
#include "storage/postgres/pg_conn.h"
#include "storage/postgres/pg_schema.h"
#include "storage/postgres/postgres.h"

namespace sextant::storage {
namespace {

using postgres::Conn;
using postgres::Params;
using postgres::Rows;

// Prefix of every statement that changes who may do what.
constexpr char kBump[] = "WITH bump AS (UPDATE access_version SET n = n + 1) ";

// Token project lists are stored one per line (names cannot hold newlines).
std::string JoinLines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : "\n") + s;
  return out;
}
std::vector<std::string> SplitLines(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

std::optional<int64_t> OptInt(const Rows& r, int row, int col) {
  if (r.IsNull(row, col)) return std::nullopt;
  return r.Int(row, col);
}

constexpr char kPrincipalCols[] =
    "SELECT id, name, service, owner, disabled, password_hash, created_us FROM principals ";
PrincipalRow ReadPrincipal(const Rows& r, int i) {
  PrincipalRow p;
  p.id = r.Int(i, 0);
  p.name = r.Text(i, 1);
  p.service = r.Int(i, 2) != 0;
  p.owner = r.Int(i, 3) != 0;
  p.disabled = r.Int(i, 4) != 0;
  p.password_hash = r.Text(i, 5);
  p.created_us = r.Int(i, 6);
  return p;
}

constexpr char kTokenCols[] =
    "SELECT t.id, t.principal_id, p.name, t.name, t.hash, t.created_us, t.expires_us, "
    "t.projects, t.max_role, t.last_used_us, t.revoked_us FROM tokens t "
    "JOIN principals p ON p.id = t.principal_id ";
TokenRow ReadToken(const Rows& r, int i) {
  TokenRow t;
  t.id = r.Int(i, 0);
  t.principal_id = r.Int(i, 1);
  t.principal = r.Text(i, 2);
  t.name = r.Text(i, 3);
  t.hash = r.Text(i, 4);
  t.created_us = r.Int(i, 5);
  t.expires_us = OptInt(r, i, 6);
  t.projects = SplitLines(r.Bytes(i, 7));
  t.max_role = static_cast<int>(r.Int(i, 8));
  t.last_used_us = OptInt(r, i, 9);
  t.revoked_us = OptInt(r, i, 10);
  return t;
}

constexpr char kMemberCols[] =
    "SELECT m.principal_id, p.name, m.workspace, m.project, m.role FROM members m "
    "JOIN principals p ON p.id = m.principal_id ";
MemberRow ReadMember(const Rows& r, int i) {
  return MemberRow{r.Int(i, 0), r.Text(i, 1), r.Text(i, 2), r.Text(i, 3),
                   static_cast<int>(r.Int(i, 4))};
}

template <typename T, typename Read>
std::vector<T> All(const Rows& rows, Read read) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (int i = 0; i < rows.size(); ++i) out.push_back(read(rows, i));
  return out;
}
template <typename T, typename Read>
std::optional<T> First(const Rows& rows, Read read) {
  if (!rows.size()) return std::nullopt;
  return read(rows, 0);
}

class PgAccessStore final : public AccessStore {
 public:
  explicit PgAccessStore(std::string url) : url_(std::move(url)) {}

  Result<int64_t> ChangeCounter() override {
    ASSIGN_OR_RETURN(Rows r, Query("SELECT n FROM access_version", Params()));
    return r.size() ? r.Int(0, 0) : 0;
  }

  Result<int64_t> CountPrincipals() override {
    ASSIGN_OR_RETURN(Rows r, Query("SELECT count(*) FROM principals", Params()));
    return r.Int(0, 0);
  }

  Result<int64_t> AddPrincipal(const PrincipalRow& p) override {
    ASSIGN_OR_RETURN(
        Rows r, Query(std::string(kBump) +
                          "INSERT INTO principals (name, service, owner, disabled, password_hash, "
                          "created_us) VALUES ($1, $2, $3, $4, $5, $6) "
                          "ON CONFLICT (name) DO NOTHING RETURNING id",
                      Params().Add(p.name).Add(int64_t{p.service}).Add(int64_t{p.owner})
                          .Add(int64_t{p.disabled}).Add(p.password_hash).Add(p.created_us)));
    if (!r.size()) return Status::AlreadyExists("a user or service account named '" + p.name + "' exists");
    return r.Int(0, 0);
  }

  Result<std::optional<PrincipalRow>> FindPrincipal(const std::string& name) override {
    ASSIGN_OR_RETURN(Rows r, Query(std::string(kPrincipalCols) + "WHERE name = $1", Params().Add(name)));
    return First<PrincipalRow>(r, ReadPrincipal);
  }

  Result<std::optional<PrincipalRow>> GetPrincipal(int64_t id) override {
    ASSIGN_OR_RETURN(Rows r, Query(std::string(kPrincipalCols) + "WHERE id = $1", Params().Add(id)));
    return First<PrincipalRow>(r, ReadPrincipal);
  }

  Result<std::vector<PrincipalRow>> ListPrincipals() override {
    ASSIGN_OR_RETURN(Rows r, Query(std::string(kPrincipalCols) + "ORDER BY name", Params()));
    return All<PrincipalRow>(r, ReadPrincipal);
  }

  Status SetDisabled(int64_t id, bool disabled) override {
    return Query(std::string(kBump) + "UPDATE principals SET disabled = $1 WHERE id = $2",
                 Params().Add(int64_t{disabled}).Add(id))
        .status();
  }

  Result<int64_t> AddToken(const TokenRow& t) override {
    ASSIGN_OR_RETURN(
        Rows r, Query(std::string(kBump) +
                          "INSERT INTO tokens (principal_id, name, hash, created_us, expires_us, "
                          "projects, max_role) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                      Params().Add(t.principal_id).Add(t.name).Add(t.hash).Add(t.created_us)
                          .Add(t.expires_us).Add(JoinLines(t.projects)).Add(int64_t{t.max_role})));
    return r.Int(0, 0);
  }

  Result<std::optional<TokenRow>> FindToken(const std::string& hash) override {
    ASSIGN_OR_RETURN(Rows r, Query(std::string(kTokenCols) + "WHERE t.hash = $1", Params().Add(hash)));
    return First<TokenRow>(r, ReadToken);
  }

  Result<std::optional<TokenRow>> GetToken(int64_t id) override {
    ASSIGN_OR_RETURN(Rows r, Query(std::string(kTokenCols) + "WHERE t.id = $1", Params().Add(id)));
    return First<TokenRow>(r, ReadToken);
  }

  Result<std::vector<TokenRow>> ListTokens(std::optional<int64_t> principal_id) override {
    ASSIGN_OR_RETURN(Rows r, principal_id
                                 ? Query(std::string(kTokenCols) +
                                             "WHERE t.principal_id = $1 ORDER BY t.id",
                                         Params().Add(*principal_id))
                                 : Query(std::string(kTokenCols) + "ORDER BY t.id", Params()));
    return All<TokenRow>(r, ReadToken);
  }

  Status RevokeToken(int64_t id, int64_t now_us) override {
    return Query(std::string(kBump) +
                     "UPDATE tokens SET revoked_us = $1 WHERE id = $2 AND revoked_us IS NULL",
                 Params().Add(now_us).Add(id))
        .status();
  }

  // Bookkeeping, not who may do what: no bump.
  Status TouchToken(int64_t id, int64_t now_us) override {
    return Query("UPDATE tokens SET last_used_us = $1 WHERE id = $2", Params().Add(now_us).Add(id))
        .status();
  }

  Result<bool> NoteTokenAddress(int64_t token_id, const std::string& address) override {
    ASSIGN_OR_RETURN(Rows r, Query("INSERT INTO token_addresses (token_id, address) VALUES ($1, $2) "
                                   "ON CONFLICT DO NOTHING",
                                   Params().Add(token_id).Add(address)));
    return r.Affected() > 0;
  }

  Status PutMember(const MemberRow& m) override {
    return Query(std::string(kBump) +
                     "INSERT INTO members (principal_id, workspace, project, role) "
                     "VALUES ($1, $2, $3, $4) ON CONFLICT (principal_id, workspace, project) "
                     "DO UPDATE SET role = excluded.role",
                 Params().Add(m.principal_id).Add(m.workspace).Add(m.project).Add(int64_t{m.role}))
        .status();
  }

  Status RemoveMember(int64_t principal_id, const std::string& workspace,
                      const std::string& project) override {
    ASSIGN_OR_RETURN(Rows r, Query(std::string(kBump) +
                                       "DELETE FROM members WHERE principal_id = $1 AND "
                                       "workspace = $2 AND project = $3",
                                   Params().Add(principal_id).Add(workspace).Add(project)));
    if (r.Affected() == 0) return Status::NotFound("no such membership");
    return Status::Ok();
  }

  Result<std::vector<MemberRow>> ListMembers(const std::string& workspace,
                                             const std::string& project) override {
    ASSIGN_OR_RETURN(Rows r, Query(std::string(kMemberCols) +
                                       "WHERE m.workspace = $1 AND (m.project = $2 OR m.project = "
                                       "''::bytea) ORDER BY p.name, m.project",
                                   Params().Add(workspace).Add(project)));
    return All<MemberRow>(r, ReadMember);
  }

  Result<std::vector<MemberRow>> RolesOf(int64_t principal_id) override {
    ASSIGN_OR_RETURN(Rows r, Query(std::string(kMemberCols) +
                                       "WHERE m.principal_id = $1 ORDER BY m.workspace, m.project",
                                   Params().Add(principal_id)));
    return All<MemberRow>(r, ReadMember);
  }

  Status AddSession(const SessionRow& s) override {
    return Query("INSERT INTO sessions (hash, principal_id, created_us, expires_us) "
                 "VALUES ($1, $2, $3, $4)",
                 Params().Add(s.hash).Add(s.principal_id).Add(s.created_us).Add(s.expires_us))
        .status();
  }

  Result<std::optional<SessionRow>> FindSession(const std::string& hash) override {
    ASSIGN_OR_RETURN(Rows r, Query("SELECT hash, principal_id, created_us, expires_us FROM sessions "
                                   "WHERE hash = $1",
                                   Params().Add(hash)));
    return First<SessionRow>(r, [](const Rows& r, int i) {
      return SessionRow{r.Text(i, 0), r.Int(i, 1), r.Int(i, 2), r.Int(i, 3)};
    });
  }

  Status DeleteSession(const std::string& hash) override {
    return Query("DELETE FROM sessions WHERE hash = $1", Params().Add(hash)).status();
  }

  Status DeleteSessionsOf(int64_t principal_id) override {
    return Query("DELETE FROM sessions WHERE principal_id = $1", Params().Add(principal_id)).status();
  }

  Status DeleteExpiredSessions(int64_t now_us) override {
    return Query("DELETE FROM sessions WHERE expires_us <= $1", Params().Add(now_us)).status();
  }

  Status AppendAudit(const AuditRow& a) override {
    return Query("INSERT INTO audit (time_us, principal, address, action, target, detail) "
                 "VALUES ($1, $2, $3, $4, $5, $6)",
                 Params().Add(a.time_us).Add(a.principal).Add(a.address).Add(a.action).Add(a.target)
                     .Add(a.detail))
        .status();
  }

  Result<std::vector<AuditRow>> ListAudit(const AuditFilter& f) override {
    int64_t limit = static_cast<int64_t>(
        std::min<size_t>(f.limit, std::numeric_limits<int64_t>::max()));
    ASSIGN_OR_RETURN(
        Rows r, Query("SELECT id, time_us, principal, address, action, target, detail FROM audit "
                      "WHERE ($1 = ''::bytea OR principal = $1) AND ($2 = ''::bytea OR action = $2) "
                      "AND id < $3 ORDER BY id DESC LIMIT $4",
                      Params().Add(f.principal).Add(f.action)
                          .Add(f.before_id.value_or(std::numeric_limits<int64_t>::max())).Add(limit)));
    return All<AuditRow>(r, [](const Rows& r, int i) {
      return AuditRow{r.Int(i, 0), r.Int(i, 1), r.Text(i, 2), r.Text(i, 3),
                      r.Text(i, 4), r.Text(i, 5), r.Text(i, 6)};
    });
  }

  Result<std::string> SharedKey(const std::string& name, const std::string& candidate) override {
    // Two replicas starting at once: one insert wins, both read its key
    // (the second statement sees the row the first one committed).
    RETURN_IF_ERROR(Query("INSERT INTO access_keys (name, key) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                          Params().Add(name).Add(candidate))
                        .status());
    ASSIGN_OR_RETURN(Rows r, Query("SELECT key FROM access_keys WHERE name = $1", Params().Add(name)));
    if (!r.size()) return Status::Internal("the shared key '" + name + "' vanished");
    return r.Text(0, 0);
  }

  Status Migrate() {
    ASSIGN_OR_RETURN(auto c, Conn::Open(url_));
    return postgres::EnsureSchema(*c);
  }

 private:
  // Few connections: a token check per request is one short statement.
  static constexpr int kMaxConns = 4;

  Result<Rows> Query(const std::string& sql, const Params& params) {
    ASSIGN_OR_RETURN(auto c, Acquire());
    auto r = c->Query(sql, params);
    Release(std::move(c));
    return r;
  }

  Result<std::unique_ptr<Conn>> Acquire() {
    {
      std::unique_lock l(mu_);
      cv_.wait(l, [&] { return !idle_.empty() || open_ < kMaxConns; });
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
      ++open_;
    }
    auto c = Conn::Open(url_);
    if (!c.ok()) {
      {
        std::lock_guard l(mu_);
        --open_;
      }
      cv_.notify_one();
    }
    return c;
  }

  void Release(std::unique_ptr<Conn> c) {
    {
      std::lock_guard l(mu_);
      if (c->Broken())
        --open_;  // dropped; the next Acquire opens a fresh one
      else
        idle_.push_back(std::move(c));
    }
    cv_.notify_one();
  }

  const std::string url_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> idle_;  // GUARDED_BY(mu_)
  int open_ = 0;                             // GUARDED_BY(mu_)
};

}  // namespace

Result<std::unique_ptr<AccessStore>> OpenPostgresAccessStore(const std::string& url) {
  auto store = std::make_unique<PgAccessStore>(url);
  RETURN_IF_ERROR(store->Migrate());
  return std::unique_ptr<AccessStore>(std::move(store));
}

}  // namespace sextant::storage
