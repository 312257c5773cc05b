#include "auth/accounts.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "auth/secrets.h"
#include "storage/open_backend.h"
#include "model/types.h"

namespace sextant::auth {
namespace {

constexpr char kTokenPrefix[] = "sxt_";
constexpr char kSessionPrefix[] = "sxs_";
constexpr size_t kMaxTokenName = 100;
constexpr size_t kMaxTokenProjects = 100;
constexpr int64_t kTouchEveryUs = 60'000'000;  // last_used_us is kept to the minute

std::string ScopeName(const std::string& workspace, const std::string& project) {
  return workspace + "/" + (project.empty() ? "*" : project);
}

}  // namespace

Status ValidatePrincipalName(std::string_view name) {
  if (name.empty() || name.size() > 64)
    return Status::InvalidArgument("a user name has 1 to 64 characters");
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-' && c != '@')))
      return Status::InvalidArgument("user name '" + std::string(name) +
                                     "': use letters, digits and . _ - @, starting with a letter or digit");
  }
  return Status::Ok();
}

Status ValidatePassword(std::string_view password) {
  if (password.size() < 8) return Status::InvalidArgument("a password has at least 8 characters");
  if (password.size() > 1024) return Status::InvalidArgument("a password has at most 1024 bytes");
  return Status::Ok();
}

Status ValidateProjectPattern(std::string_view pattern) {
  size_t slash = pattern.find('/');
  if (slash == std::string_view::npos)
    return Status::InvalidArgument("project '" + std::string(pattern) + "': write workspace/project or workspace/*");
  RETURN_IF_ERROR(model::ValidateProjectPart(pattern.substr(0, slash), "workspace"));
  std::string_view rest = pattern.substr(slash + 1);
  if (rest == "*") return Status::Ok();
  return model::ValidateProjectPart(rest, "project");
}

Result<std::unique_ptr<Accounts>> Accounts::Open(const std::string& data_dir, AccountsOptions options,
                                                 const std::string& store_url) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return Status::Internal("creating data folder " + data_dir + ": " + ec.message());
  std::string path = (std::filesystem::path(data_dir) / "access.db").string();
  // Hashes only, but still nobody else's business: owner-only, before SQLite creates it.
  mode_t old = umask(077);
  auto store = storage::OpenAccessStore(store_url, path);
  umask(old);
  if (!store.ok()) return store.status();
  auto accounts = std::make_unique<Accounts>(std::move(store).value(), std::move(options));
  RETURN_IF_ERROR(accounts->AuthRequired().status());  // learns whether accounts exist
  return accounts;
}

Accounts::Accounts(std::unique_ptr<storage::AccessStore> store, AccountsOptions options)
    : store_(std::move(store)), options_(std::move(options)), limiter_(options_.login_limits) {}

int64_t Accounts::Now() const {
  if (options_.now_us) return options_.now_us();
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

Result<bool> Accounts::AuthRequired() {
  if (options_.insecure_no_auth) return false;
  if (options_.require_auth || has_principals_.load(std::memory_order_relaxed)) return true;
  // Principals are never deleted, so once one exists this stays true; until
  // then every anonymous request asks, so that `sextant admin init` run
  // beside a running server takes effect on the next request.
  ASSIGN_OR_RETURN(int64_t n, store_->CountPrincipals());
  if (n > 0) has_principals_.store(true, std::memory_order_relaxed);
  return n > 0;
}

Result<bool> Accounts::HasOwner() {
  ASSIGN_OR_RETURN(auto all, store_->ListPrincipals());
  for (const auto& p : all)
    if (p.owner && !p.disabled) return true;
  return false;
}

Caller Accounts::Local() {
  Caller c;
  c.via = Caller::Via::kLocal;
  c.owner = true;
  c.address = "local";
  return c;
}

Status Accounts::LoadPrincipal(int64_t id, Caller* c) {
  ASSIGN_OR_RETURN(auto p, store_->GetPrincipal(id));
  if (!p) return Status::Unauthenticated("this credential's account no longer exists");
  if (p->disabled) return Status::Unauthenticated("account '" + p->name + "' is disabled");
  c->principal_id = p->id;
  c->name = p->name;
  c->service = p->service;
  c->owner = p->owner;
  ASSIGN_OR_RETURN(c->roles, store_->RolesOf(p->id));
  return Status::Ok();
}

Status Accounts::CallerFromDigest(const std::string& digest, Caller* c) {
  int64_t now = Now();
  ASSIGN_OR_RETURN(int64_t version, store_->ChangeCounter());
  std::string token_name;
  {
    std::lock_guard l(mu_);
    if (version != cache_version_) {
      token_cache_.clear();
      cache_version_ = version;
    }
    auto it = token_cache_.find(digest);
    if (it != token_cache_.end() && (!it->second.expires_us || *it->second.expires_us > now)) {
      std::string address = std::move(c->address);
      *c = it->second.caller;
      c->address = std::move(address);
      token_name = it->second.name;
    }
  }
  if (c->via == Caller::Via::kToken) {
    NoteTokenUse(*c, token_name, now);
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(auto t, store_->FindToken(digest));
  if (!t) return Status::Unauthenticated("the API token is not valid");
  if (t->revoked_us) return Status::Unauthenticated("the API token '" + t->name + "' was revoked");
  if (t->expires_us && *t->expires_us <= now)
    return Status::Unauthenticated("the API token '" + t->name + "' has expired");
  c->via = Caller::Via::kToken;
  RETURN_IF_ERROR(LoadPrincipal(t->principal_id, c));
  c->token_id = t->id;
  c->token_projects = t->projects;
  c->token_max_role = static_cast<Role>(t->max_role);
  {
    std::lock_guard l(mu_);
    if (version == cache_version_ && token_cache_.size() < 10'000)
      token_cache_[digest] = CachedToken{*c, t->expires_us, t->name};
  }
  NoteTokenUse(*c, t->name, now);
  return Status::Ok();
}

void Accounts::NoteTokenUse(const Caller& c, const std::string& token_name, int64_t now) {
  bool touch = false, check_address = false;
  {
    std::lock_guard l(mu_);
    int64_t& last = touched_us_[c.token_id];
    if (now - last >= kTouchEveryUs) last = now, touch = true;
    if (seen_addresses_.size() > 100'000) seen_addresses_.clear();
    check_address = seen_addresses_.emplace(c.token_id, c.address).second;
  }
  if (touch) (void)store_->TouchToken(c.token_id, now);
  if (check_address) {
    auto fresh = store_->NoteTokenAddress(c.token_id, c.address);
    if (fresh.ok() && *fresh) Audit(c, "token.new_address", "token " + std::to_string(c.token_id), token_name);
  }
}

void Accounts::InvalidateCache() {
  std::lock_guard l(mu_);
  token_cache_.clear();
}

Status Accounts::CallerFromSession(std::string_view session, Caller* c) {
  ASSIGN_OR_RETURN(auto s, store_->FindSession(DigestSecret(session)));
  if (!s || s->expires_us <= Now()) return Status::Unauthenticated("your session has ended; sign in again");
  c->via = Caller::Via::kSession;
  return LoadPrincipal(s->principal_id, c);
}

Result<Caller> Accounts::Authenticate(std::string_view token, std::string_view session,
                                      const std::string& address) {
  Caller c;
  c.address = address;
  if (!token.empty()) {
    RETURN_IF_ERROR(CallerFromDigest(DigestSecret(token), &c));
    return c;
  }
  if (!session.empty()) {
    Status st = CallerFromSession(session, &c);
    if (st.ok()) return c;
    // A stale cookie on an open server is no reason to refuse.
    ASSIGN_OR_RETURN(bool required, AuthRequired());
    if (required) return st;
    c = Caller{};
    c.address = address;
  }
  ASSIGN_OR_RETURN(bool required, AuthRequired());
  c.via = required ? Caller::Via::kAnonymous : Caller::Via::kOpen;
  return c;
}

Result<Caller> Accounts::AuthenticateDigest(const std::string& digest, const std::string& address) {
  Caller c;
  c.address = address;
  RETURN_IF_ERROR(CallerFromDigest(digest, &c));
  return c;
}

Result<Caller> Accounts::AuthenticateBasic(const std::string& name, std::string_view password,
                                           const std::string& address) {
  Caller c;
  c.address = address;
  if (password.starts_with(kTokenPrefix)) {
    RETURN_IF_ERROR(CallerFromDigest(DigestSecret(password), &c));
    if (c.name != name)
      return Status::Unauthenticated("the API token does not belong to user '" + name + "'");
    return c;
  }
  int64_t now = Now();
  std::string digest = "basic:" + DigestSecret(name + '\0' + std::string(password));
  ASSIGN_OR_RETURN(int64_t version, store_->ChangeCounter());
  {
    std::lock_guard l(mu_);
    if (version != cache_version_) {
      token_cache_.clear();
      cache_version_ = version;
    }
    auto it = token_cache_.find(digest);
    if (it != token_cache_.end() && *it->second.expires_us > now) {
      Caller cached = it->second.caller;
      cached.address = address;
      return cached;
    }
  }
  if (int64_t wait = limiter_.RetryAfter(name, address, now); wait > 0)
    return Status::TooManyRequests("too many failed sign-ins; try again in " + std::to_string(wait) + " s");
  ASSIGN_OR_RETURN(auto p, store_->FindPrincipal(name));
  static const std::string kDummy = HashPassword("not a real password").value();
  bool ok = VerifyPassword(p && !p->password_hash.empty() ? p->password_hash : kDummy, password);
  if (!ok || !p || p->password_hash.empty() || p->disabled) {
    limiter_.Failed(name, address, now);
    Caller who;
    who.address = address;
    if (p) who.name = name;
    Audit(who, "login.failure", p ? "user " + name : "unknown user", "basic authentication");
    return Status::Unauthenticated("wrong user name or password");
  }
  limiter_.Succeeded(name);
  c.via = Caller::Via::kToken;  // a program's credential: no browser session
  RETURN_IF_ERROR(LoadPrincipal(p->id, &c));
  {
    std::lock_guard l(mu_);
    if (version == cache_version_ && token_cache_.size() < 10'000)
      token_cache_[digest] = CachedToken{c, now + 300'000'000, ""};
  }
  return c;
}

Result<NewSession> Accounts::Login(const std::string& name, std::string_view password,
                                   const std::string& address) {
  int64_t now = Now();
  if (int64_t wait = limiter_.RetryAfter(name, address, now); wait > 0)
    return Status::TooManyRequests("too many failed sign-ins; try again in " + std::to_string(wait) + " s");
  Caller who;
  who.address = address;
  who.name = name;
  auto p = store_->FindPrincipal(name);
  if (!p.ok()) return p.status();
  // The hash is computed even for an unknown name, so timing does not tell
  // which names exist.
  static const std::string kDummy = HashPassword("not a real password").value();
  bool ok = VerifyPassword(*p && !(*p)->password_hash.empty() ? (*p)->password_hash : kDummy, password);
  if (!ok || !*p || (*p)->password_hash.empty() || (*p)->disabled) {
    limiter_.Failed(name, address, now);
    who.via = Caller::Via::kAnonymous;
    // An unknown name is not recorded: people type passwords into it.
    if (!*p) who.name.clear();
    Audit(who, "login.failure", *p ? "user " + name : "unknown user",
          *p && (*p)->disabled ? "account disabled" : "");
    return Status::Unauthenticated("wrong user name or password");
  }
  limiter_.Succeeded(name);
  NewSession s{NewSecret(kSessionPrefix), **p, now + options_.session_ttl_us};
  RETURN_IF_ERROR(store_->AddSession({DigestSecret(s.secret), (*p)->id, now, s.expires_us}));
  (void)store_->DeleteExpiredSessions(now);
  who.via = Caller::Via::kSession;
  Audit(who, "login.success", "user " + name);
  return s;
}

Status Accounts::Logout(std::string_view session_secret, const Caller& caller) {
  if (session_secret.empty()) return Status::Ok();
  RETURN_IF_ERROR(store_->DeleteSession(DigestSecret(session_secret)));
  if (caller.via == Caller::Via::kSession) Audit(caller, "logout", "user " + caller.name);
  return Status::Ok();
}

Status Accounts::RequireSignedIn(const Caller& c) const {
  if (c.via == Caller::Via::kAnonymous) return Status::Unauthenticated("sign in or send an API token");
  return Status::Ok();
}

Status Accounts::RequireOwner(const Caller& c) const {
  RETURN_IF_ERROR(RequireSignedIn(c));
  if (!c.IsOwner()) return Status::PermissionDenied("only a server owner may do this");
  return Status::Ok();
}

Status Accounts::RequireProject(const Caller& c, const model::ProjectName& p, Role role) const {
  RETURN_IF_ERROR(RequireSignedIn(c));
  Role have = c.RoleOn(p);
  if (have == Role::kNone) return Status::NotFound("project '" + p.Full() + "' not found");
  if (static_cast<int>(have) < static_cast<int>(role))
    return Status::PermissionDenied("this needs the " + std::string(RoleName(role)) + " role on " +
                                    p.Full() + "; you have " + std::string(RoleName(have)));
  return Status::Ok();
}

Status Accounts::RequireWorkspace(const Caller& c, const std::string& workspace, Role role) const {
  RETURN_IF_ERROR(RequireSignedIn(c));
  Role have = c.RoleOnWorkspace(workspace);
  if (static_cast<int>(have) < static_cast<int>(role))
    return Status::PermissionDenied("this needs the " + std::string(RoleName(role)) +
                                    " role on workspace " + workspace);
  return Status::Ok();
}

Result<storage::PrincipalRow> Accounts::Principal(const std::string& name) {
  ASSIGN_OR_RETURN(auto p, store_->FindPrincipal(name));
  if (!p) return Status::NotFound("no user or service account named '" + name + "'");
  return *p;
}

Result<storage::PrincipalRow> Accounts::AddPrincipal(const Caller& actor, const NewPrincipal& n) {
  RETURN_IF_ERROR(RequireOwner(actor));
  RETURN_IF_ERROR(ValidatePrincipalName(n.name));
  storage::PrincipalRow row;
  row.name = n.name;
  row.service = n.service;
  row.owner = n.owner;
  row.created_us = Now();
  if (n.service && !n.password.empty())
    return Status::InvalidArgument("a service account signs in with tokens, not a password");
  if (!n.password.empty()) {
    RETURN_IF_ERROR(ValidatePassword(n.password));
    ASSIGN_OR_RETURN(row.password_hash, HashPassword(n.password));
  }
  ASSIGN_OR_RETURN(row.id, store_->AddPrincipal(row));
  Audit(actor, "user.add", (n.service ? "service " : "user ") + n.name, n.owner ? "owner" : "");
  return row;
}

Result<std::vector<storage::PrincipalRow>> Accounts::ListPrincipals(const Caller& actor) {
  RETURN_IF_ERROR(RequireOwner(actor));
  return store_->ListPrincipals();
}

Result<storage::PrincipalRow> Accounts::DisablePrincipal(const Caller& actor, const std::string& name) {
  RETURN_IF_ERROR(RequireOwner(actor));
  ASSIGN_OR_RETURN(auto p, Principal(name));
  if (p.id == actor.principal_id) return Status::InvalidArgument("you cannot disable your own account");
  RETURN_IF_ERROR(store_->SetDisabled(p.id, true));
  RETURN_IF_ERROR(store_->DeleteSessionsOf(p.id));
  InvalidateCache();
  p.disabled = true;
  Audit(actor, "user.disable", "user " + name);
  return p;
}

Result<CreatedToken> Accounts::CreateToken(const Caller& actor, const NewToken& t) {
  RETURN_IF_ERROR(RequireSignedIn(actor));
  if (t.name.empty() || t.name.size() > kMaxTokenName)
    return Status::InvalidArgument("a token's name has 1 to 100 characters");
  for (char ch : t.name)
    if (static_cast<unsigned char>(ch) < 0x20) return Status::InvalidArgument("a token's name has no control characters");
  if (t.projects.size() > kMaxTokenProjects) return Status::InvalidArgument("a token names at most 100 projects");
  for (const auto& p : t.projects) RETURN_IF_ERROR(ValidateProjectPattern(p));
  int64_t now = Now();
  if (t.expires_us && *t.expires_us <= now) return Status::InvalidArgument("the expiry is in the past");
  storage::PrincipalRow owner;
  if (t.principal.empty() || t.principal == actor.name) {
    if (actor.via == Caller::Via::kOpen || actor.via == Caller::Via::kLocal)
      return Status::InvalidArgument("name the user or service account the token is for");
    ASSIGN_OR_RETURN(owner, Principal(actor.name));
    // A restricted token cannot mint a broader one.
    if (actor.restricted()) return Status::PermissionDenied("create tokens with an unrestricted credential");
  } else {
    RETURN_IF_ERROR(RequireOwner(actor));
    ASSIGN_OR_RETURN(owner, Principal(t.principal));
  }
  if (owner.disabled) return Status::InvalidArgument("account '" + owner.name + "' is disabled");
  CreatedToken out;
  out.secret = NewSecret(kTokenPrefix);
  storage::TokenRow& row = out.token;
  row.principal_id = owner.id;
  row.principal = owner.name;
  row.name = t.name;
  row.hash = DigestSecret(out.secret);
  row.created_us = now;
  row.expires_us = t.expires_us;
  row.projects = t.projects;
  row.max_role = static_cast<int>(t.max_role);
  ASSIGN_OR_RETURN(row.id, store_->AddToken(row));
  std::string detail = t.name;
  if (t.max_role != Role::kNone) detail += ", role " + std::string(RoleName(t.max_role));
  for (const auto& p : t.projects) detail += ", " + p;
  Audit(actor, "token.create", "token " + std::to_string(row.id) + " of " + owner.name, detail);
  return out;
}

Result<std::vector<storage::TokenRow>> Accounts::ListTokens(const Caller& actor, bool all,
                                                            const std::string& principal) {
  RETURN_IF_ERROR(RequireSignedIn(actor));
  if (all || !principal.empty() || actor.via == Caller::Via::kOpen || actor.via == Caller::Via::kLocal) {
    RETURN_IF_ERROR(RequireOwner(actor));
    if (principal.empty()) return store_->ListTokens(std::nullopt);
    ASSIGN_OR_RETURN(auto p, Principal(principal));
    return store_->ListTokens(p.id);
  }
  return store_->ListTokens(actor.principal_id);
}

Status Accounts::RevokeToken(const Caller& actor, int64_t id) {
  RETURN_IF_ERROR(RequireSignedIn(actor));
  ASSIGN_OR_RETURN(auto t, store_->GetToken(id));
  if (!t || (t->principal_id != actor.principal_id && !actor.IsOwner()))
    return Status::NotFound("no token " + std::to_string(id));
  if (t->revoked_us) return Status::Ok();
  RETURN_IF_ERROR(store_->RevokeToken(id, Now()));
  InvalidateCache();
  Audit(actor, "token.revoke", "token " + std::to_string(id) + " of " + t->principal, t->name);
  return Status::Ok();
}

Result<storage::MemberRow> Accounts::PutMember(const Caller& actor, const std::string& workspace,
                                               const std::string& project, const std::string& principal,
                                               Role role) {
  if (project.empty()) RETURN_IF_ERROR(RequireWorkspace(actor, workspace, Role::kAdmin));
  else RETURN_IF_ERROR(RequireProject(actor, {workspace, project}, Role::kAdmin));
  if (role == Role::kNone) return Status::InvalidArgument("the role is viewer, writer or admin");
  ASSIGN_OR_RETURN(auto p, Principal(principal));
  storage::MemberRow m{p.id, p.name, workspace, project, static_cast<int>(role)};
  RETURN_IF_ERROR(store_->PutMember(m));
  InvalidateCache();
  Audit(actor, "member.put", ScopeName(workspace, project), principal + " as " + std::string(RoleName(role)));
  return m;
}

Status Accounts::RemoveMember(const Caller& actor, const std::string& workspace,
                              const std::string& project, const std::string& principal) {
  if (project.empty()) RETURN_IF_ERROR(RequireWorkspace(actor, workspace, Role::kAdmin));
  else RETURN_IF_ERROR(RequireProject(actor, {workspace, project}, Role::kAdmin));
  ASSIGN_OR_RETURN(auto p, Principal(principal));
  Status st = store_->RemoveMember(p.id, workspace, project);
  if (st.ok()) InvalidateCache();
  if (st.code() == Code::kNotFound)
    return Status::NotFound(principal + " is not a member of " + ScopeName(workspace, project));
  RETURN_IF_ERROR(st);
  Audit(actor, "member.remove", ScopeName(workspace, project), principal);
  return Status::Ok();
}

Result<std::vector<storage::MemberRow>> Accounts::ListMembers(const Caller& actor,
                                                              const std::string& workspace,
                                                              const std::string& project) {
  if (project.empty()) RETURN_IF_ERROR(RequireWorkspace(actor, workspace, Role::kViewer));
  else RETURN_IF_ERROR(RequireProject(actor, {workspace, project}, Role::kViewer));
  return store_->ListMembers(workspace, project);
}

void Accounts::Audit(const Caller& actor, std::string action, std::string target, std::string detail) {
  storage::AuditRow row;
  row.time_us = Now();
  row.principal = actor.via == Caller::Via::kAnonymous ? actor.name : DisplayName(actor);
  row.address = actor.address;
  row.action = std::move(action);
  row.target = std::move(target);
  row.detail = std::move(detail);
  Status st = store_->AppendAudit(row);
  if (!st.ok()) std::fprintf(stderr, "sextant: writing the audit log: %s\n", st.ToString().c_str());
}

Result<std::vector<storage::AuditRow>> Accounts::ListAudit(const Caller& actor,
                                                           const storage::AuditFilter& filter) {
  RETURN_IF_ERROR(RequireOwner(actor));
  return store_->ListAudit(filter);
}

}  // namespace sextant::auth
