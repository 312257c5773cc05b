// The access store in its own SQLite file (docs/format/schema.md, "Access").
// Low traffic (a token lookup per request, a few writes a day), so one
// connection behind a mutex serves every thread; other processes (the CLI)
// write the same file, and SQLite's locks and WAL keep each read current.
#include <mutex>
#include <sstream>

#include "storage/access.h"
#include "storage/sqlite/db.h"

namespace sextant::storage {
namespace {

using sqlite::Db;
using sqlite::Stmt;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS principals (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  service INTEGER NOT NULL DEFAULT 0,
  owner INTEGER NOT NULL DEFAULT 0,
  disabled INTEGER NOT NULL DEFAULT 0,
  password_hash TEXT NOT NULL DEFAULT '',
  created_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
  id INTEGER PRIMARY KEY,
  principal_id INTEGER NOT NULL REFERENCES principals(id),
  name TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_us INTEGER NOT NULL,
  expires_us INTEGER,
  projects TEXT NOT NULL DEFAULT '',
  max_role INTEGER NOT NULL DEFAULT 0,
  last_used_us INTEGER,
  revoked_us INTEGER
);
CREATE INDEX IF NOT EXISTS tokens_by_principal ON tokens(principal_id);
CREATE TABLE IF NOT EXISTS token_addresses (
  token_id INTEGER NOT NULL,
  address TEXT NOT NULL,
  PRIMARY KEY (token_id, address)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS members (
  principal_id INTEGER NOT NULL REFERENCES principals(id),
  workspace TEXT NOT NULL,
  project TEXT NOT NULL,
  role INTEGER NOT NULL,
  PRIMARY KEY (principal_id, workspace, project)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS members_by_project ON members(workspace, project);
CREATE TABLE IF NOT EXISTS sessions (
  hash TEXT PRIMARY KEY,
  principal_id INTEGER NOT NULL,
  created_us INTEGER NOT NULL,
  expires_us INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time_us INTEGER NOT NULL,
  principal TEXT NOT NULL,
  address TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_principal ON audit(principal, id);
CREATE INDEX IF NOT EXISTS audit_by_action ON audit(action, id);
CREATE TABLE IF NOT EXISTS access_keys (
  name TEXT PRIMARY KEY,
  key TEXT NOT NULL
) WITHOUT ROWID;
)sql";

// Token project lists are stored one per line (names cannot hold newlines).
std::string JoinLines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : "\n") + s;
  return out;
}
std::vector<std::string> SplitLines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

std::optional<int64_t> OptInt(const Stmt& s, int col) {
  if (s.IsNull(col)) return std::nullopt;
  return s.Int(col);
}

PrincipalRow ReadPrincipal(const Stmt& s) {
  PrincipalRow p;
  p.id = s.Int(0);
  p.name = s.Text(1);
  p.service = s.Int(2) != 0;
  p.owner = s.Int(3) != 0;
  p.disabled = s.Int(4) != 0;
  p.password_hash = s.Text(5);
  p.created_us = s.Int(6);
  return p;
}
constexpr char kPrincipalCols[] =
    "SELECT id, name, service, owner, disabled, password_hash, created_us FROM principals ";

TokenRow ReadToken(const Stmt& s) {
  TokenRow t;
  t.id = s.Int(0);
  t.principal_id = s.Int(1);
  t.principal = s.Text(2);
  t.name = s.Text(3);
  t.hash = s.Text(4);
  t.created_us = s.Int(5);
  t.expires_us = OptInt(s, 6);
  t.projects = SplitLines(s.Text(7));
  t.max_role = static_cast<int>(s.Int(8));
  t.last_used_us = OptInt(s, 9);
  t.revoked_us = OptInt(s, 10);
  return t;
}
constexpr char kTokenCols[] =
    "SELECT t.id, t.principal_id, p.name, t.name, t.hash, t.created_us, t.expires_us, "
    "t.projects, t.max_role, t.last_used_us, t.revoked_us FROM tokens t "
    "JOIN principals p ON p.id = t.principal_id ";

class SqliteAccessStore final : public AccessStore {
 public:
  explicit SqliteAccessStore(std::unique_ptr<Db> db) : db_(std::move(db)) {}

  Result<int64_t> ChangeCounter() override {
    std::lock_guard l(mu_);
    return Count("PRAGMA data_version");
  }

  Result<int64_t> CountPrincipals() override {
    std::lock_guard l(mu_);
    return Count("SELECT count(*) FROM principals");
  }

 private:
  // REQUIRES: mu_ held.
  Result<int64_t> Count(const std::string& sql) {
    auto s = db_->Prepare(sql);
    if (!s.ok()) return s.status();
    auto row = (*s)->Step();
    if (!row.ok()) return row.status();
    int64_t n = (*s)->Int(0);
    (*s)->Reset();
    return n;
  }

 public:
  Result<int64_t> AddPrincipal(const PrincipalRow& p) override {
    std::lock_guard l(mu_);
    auto s = db_->Prepare(
        "INSERT INTO principals (name, service, owner, disabled, password_hash, created_us) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, p.name).Bind(2, int64_t{p.service}).Bind(3, int64_t{p.owner})
        .Bind(4, int64_t{p.disabled}).Bind(5, p.password_hash).Bind(6, p.created_us);
    RETURN_IF_ERROR((*s)->Exec());
    if (db_->Changes() == 0) return Status::AlreadyExists("a user or service account named '" + p.name + "' exists");
    return db_->LastInsertId();
  }

  Result<std::optional<PrincipalRow>> FindPrincipal(const std::string& name) override {
    std::lock_guard l(mu_);
    return One<PrincipalRow>(std::string(kPrincipalCols) + "WHERE name = ?",
                             [&](Stmt& s) { s.Bind(1, name); }, ReadPrincipal);
  }

  Result<std::optional<PrincipalRow>> GetPrincipal(int64_t id) override {
    std::lock_guard l(mu_);
    return One<PrincipalRow>(std::string(kPrincipalCols) + "WHERE id = ?",
                             [&](Stmt& s) { s.Bind(1, id); }, ReadPrincipal);
  }

  Result<std::vector<PrincipalRow>> ListPrincipals() override {
    std::lock_guard l(mu_);
    return All<PrincipalRow>(std::string(kPrincipalCols) + "ORDER BY name", [](Stmt&) {},
                             ReadPrincipal);
  }

  Status SetDisabled(int64_t id, bool disabled) override {
    std::lock_guard l(mu_);
    return Write("UPDATE principals SET disabled = ? WHERE id = ?",
                 [&](Stmt& s) { s.Bind(1, int64_t{disabled}).Bind(2, id); });
  }

  Result<int64_t> AddToken(const TokenRow& t) override {
    std::lock_guard l(mu_);
    RETURN_IF_ERROR(Write(
        "INSERT INTO tokens (principal_id, name, hash, created_us, expires_us, projects, max_role) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [&](Stmt& s) {
          s.Bind(1, t.principal_id).Bind(2, t.name).Bind(3, t.hash).Bind(4, t.created_us)
              .Bind(5, t.expires_us).Bind(6, JoinLines(t.projects)).Bind(7, int64_t{t.max_role});
        }));
    return db_->LastInsertId();
  }

  Result<std::optional<TokenRow>> FindToken(const std::string& hash) override {
    std::lock_guard l(mu_);
    return One<TokenRow>(std::string(kTokenCols) + "WHERE t.hash = ?",
                         [&](Stmt& s) { s.Bind(1, hash); }, ReadToken);
  }

  Result<std::optional<TokenRow>> GetToken(int64_t id) override {
    std::lock_guard l(mu_);
    return One<TokenRow>(std::string(kTokenCols) + "WHERE t.id = ?",
                         [&](Stmt& s) { s.Bind(1, id); }, ReadToken);
  }

  Result<std::vector<TokenRow>> ListTokens(std::optional<int64_t> principal_id) override {
    std::lock_guard l(mu_);
    if (!principal_id)
      return All<TokenRow>(std::string(kTokenCols) + "ORDER BY t.id", [](Stmt&) {}, ReadToken);
    return All<TokenRow>(std::string(kTokenCols) + "WHERE t.principal_id = ? ORDER BY t.id",
                         [&](Stmt& s) { s.Bind(1, *principal_id); }, ReadToken);
  }

  Status RevokeToken(int64_t id, int64_t now_us) override {
    std::lock_guard l(mu_);
    return Write("UPDATE tokens SET revoked_us = ? WHERE id = ? AND revoked_us IS NULL",
                 [&](Stmt& s) { s.Bind(1, now_us).Bind(2, id); });
  }

  Status TouchToken(int64_t id, int64_t now_us) override {
    std::lock_guard l(mu_);
    return Write("UPDATE tokens SET last_used_us = ? WHERE id = ?",
                 [&](Stmt& s) { s.Bind(1, now_us).Bind(2, id); });
  }

  Result<bool> NoteTokenAddress(int64_t token_id, const std::string& address) override {
    std::lock_guard l(mu_);
    RETURN_IF_ERROR(Write("INSERT OR IGNORE INTO token_addresses (token_id, address) VALUES (?, ?)",
                          [&](Stmt& s) { s.Bind(1, token_id).Bind(2, address); }));
    return db_->Changes() > 0;
  }

  Status PutMember(const MemberRow& m) override {
    std::lock_guard l(mu_);
    return Write(
        "INSERT INTO members (principal_id, workspace, project, role) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(principal_id, workspace, project) DO UPDATE SET role = excluded.role",
        [&](Stmt& s) {
          s.Bind(1, m.principal_id).Bind(2, m.workspace).Bind(3, m.project).Bind(4, int64_t{m.role});
        });
  }

  Status RemoveMember(int64_t principal_id, const std::string& workspace,
                      const std::string& project) override {
    std::lock_guard l(mu_);
    RETURN_IF_ERROR(
        Write("DELETE FROM members WHERE principal_id = ? AND workspace = ? AND project = ?",
              [&](Stmt& s) { s.Bind(1, principal_id).Bind(2, workspace).Bind(3, project); }));
    if (db_->Changes() == 0) return Status::NotFound("no such membership");
    return Status::Ok();
  }

  Result<std::vector<MemberRow>> ListMembers(const std::string& workspace,
                                             const std::string& project) override {
    std::lock_guard l(mu_);
    return All<MemberRow>(
        "SELECT m.principal_id, p.name, m.workspace, m.project, m.role FROM members m "
        "JOIN principals p ON p.id = m.principal_id "
        "WHERE m.workspace = ? AND (m.project = ? OR m.project = '') ORDER BY p.name, m.project",
        [&](Stmt& s) { s.Bind(1, workspace).Bind(2, project); }, ReadMember);
  }

  Result<std::vector<MemberRow>> RolesOf(int64_t principal_id) override {
    std::lock_guard l(mu_);
    return All<MemberRow>(
        "SELECT m.principal_id, p.name, m.workspace, m.project, m.role FROM members m "
        "JOIN principals p ON p.id = m.principal_id WHERE m.principal_id = ? "
        "ORDER BY m.workspace, m.project",
        [&](Stmt& s) { s.Bind(1, principal_id); }, ReadMember);
  }

  Status AddSession(const SessionRow& r) override {
    std::lock_guard l(mu_);
    return Write(
        "INSERT INTO sessions (hash, principal_id, created_us, expires_us) VALUES (?, ?, ?, ?)",
        [&](Stmt& s) { s.Bind(1, r.hash).Bind(2, r.principal_id).Bind(3, r.created_us).Bind(4, r.expires_us); });
  }

  Result<std::optional<SessionRow>> FindSession(const std::string& hash) override {
    std::lock_guard l(mu_);
    return One<SessionRow>(
        "SELECT hash, principal_id, created_us, expires_us FROM sessions WHERE hash = ?",
        [&](Stmt& s) { s.Bind(1, hash); },
        [](const Stmt& s) { return SessionRow{s.Text(0), s.Int(1), s.Int(2), s.Int(3)}; });
  }

  Status DeleteSession(const std::string& hash) override {
    std::lock_guard l(mu_);
    return Write("DELETE FROM sessions WHERE hash = ?", [&](Stmt& s) { s.Bind(1, hash); });
  }

  Status DeleteSessionsOf(int64_t principal_id) override {
    std::lock_guard l(mu_);
    return Write("DELETE FROM sessions WHERE principal_id = ?",
                 [&](Stmt& s) { s.Bind(1, principal_id); });
  }

  Status DeleteExpiredSessions(int64_t now_us) override {
    std::lock_guard l(mu_);
    return Write("DELETE FROM sessions WHERE expires_us <= ?", [&](Stmt& s) { s.Bind(1, now_us); });
  }

  Status AppendAudit(const AuditRow& a) override {
    std::lock_guard l(mu_);
    return Write(
        "INSERT INTO audit (time_us, principal, address, action, target, detail) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [&](Stmt& s) {
          s.Bind(1, a.time_us).Bind(2, a.principal).Bind(3, a.address).Bind(4, a.action)
              .Bind(5, a.target).Bind(6, a.detail);
        });
  }

  Result<std::vector<AuditRow>> ListAudit(const AuditFilter& f) override {
    std::lock_guard l(mu_);
    return All<AuditRow>(
        "SELECT id, time_us, principal, address, action, target, detail FROM audit "
        "WHERE (?1 = '' OR principal = ?1) AND (?2 = '' OR action = ?2) AND id < ?3 "
        "ORDER BY id DESC LIMIT ?4",
        [&](Stmt& s) {
          s.Bind(1, f.principal).Bind(2, f.action).Bind(3, f.before_id.value_or(INT64_MAX))
              .Bind(4, static_cast<int64_t>(f.limit));
        },
        [](const Stmt& s) {
          return AuditRow{s.Int(0), s.Int(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5), s.Text(6)};
        });
  }

  Result<std::string> SharedKey(const std::string& name, const std::string& candidate) override {
    std::lock_guard l(mu_);
    RETURN_IF_ERROR(Write("INSERT OR IGNORE INTO access_keys (name, key) VALUES (?, ?)",
                          [&](Stmt& s) { s.Bind(1, name).Bind(2, candidate); }));
    ASSIGN_OR_RETURN(auto key, One<std::string>("SELECT key FROM access_keys WHERE name = ?",
                                                [&](Stmt& s) { s.Bind(1, name); },
                                                [](const Stmt& s) { return s.Text(0); }));
    if (!key) return Status::Internal("the shared key '" + name + "' vanished");
    return *key;
  }

 private:
  static MemberRow ReadMember(const Stmt& s) {
    return MemberRow{s.Int(0), s.Text(1), s.Text(2), s.Text(3), static_cast<int>(s.Int(4))};
  }

  // REQUIRES: mu_ held.
  template <typename Bind>
  Status Write(const std::string& sql, Bind bind) {
    auto s = db_->Prepare(sql);
    if (!s.ok()) return s.status();
    bind(**s);
    return (*s)->Exec();
  }

  template <typename T, typename Bind, typename Read>
  Result<std::vector<T>> All(const std::string& sql, Bind bind, Read read) {
    auto s = db_->Prepare(sql);
    if (!s.ok()) return s.status();
    bind(**s);
    std::vector<T> out;
    while (true) {
      auto row = (*s)->Step();
      if (!row.ok()) {
        (*s)->Reset();
        return row.status();
      }
      if (!*row) break;
      out.push_back(read(**s));
    }
    (*s)->Reset();
    return out;
  }

  template <typename T, typename Bind, typename Read>
  Result<std::optional<T>> One(const std::string& sql, Bind bind, Read read) {
    auto all = All<T>(sql, bind, read);
    if (!all.ok()) return all.status();
    if (all->empty()) return std::optional<T>();
    return std::optional<T>(std::move(all->front()));
  }

  std::mutex mu_;
  std::unique_ptr<Db> db_;  // GUARDED_BY(mu_)
};

}  // namespace

Result<std::unique_ptr<AccessStore>> OpenSqliteAccessStore(const std::string& path) {
  auto db = Db::Open(path, false);
  if (!db.ok()) return db.status();
  RETURN_IF_ERROR((*db)->Exec("PRAGMA journal_mode=WAL"));
  RETURN_IF_ERROR((*db)->Exec("PRAGMA synchronous=FULL"));
  RETURN_IF_ERROR((*db)->Exec("PRAGMA foreign_keys=ON"));
  RETURN_IF_ERROR((*db)->Exec(kSchema).WithContext("creating the access tables in " + path));
  return std::unique_ptr<AccessStore>(new SqliteAccessStore(std::move(db).value()));
}

}  // namespace sextant::storage
