// Users, service accounts, API tokens, memberships and the audit log over the
// API; the rules are in auth::Accounts (docs/security.md).
#include "api/json_writer.h"
#include "api/native/account_json.h"
#include "api/native/module.h"
#include "api/native/respond.h"
#include "api/native/write.h"

namespace sextant::api::native {
namespace {

constexpr char kProjectMembers[] = "/api/v1/projects/{workspace}/{project}/members";
constexpr char kWorkspaceMembers[] = "/api/v1/workspaces/{workspace}/members";
constexpr uint64_t kSmallBody = 64 << 10;

Result<auth::Role> RoleField(simdjson::dom::element obj, const char* key, bool required) {
  ASSIGN_OR_RETURN(auto s, StringField(obj, key));
  if (!s) {
    if (required) return Status::InvalidArgument(std::string(key) + ": viewer, writer or admin is required");
    return auth::Role::kNone;
  }
  auto r = auth::ParseRole(*s);
  if (!r) return Status::InvalidArgument(std::string(key) + ": '" + *s + "' is not viewer, writer or admin");
  return *r;
}

http::Response NoContent() {
  http::Response r;
  r.status = 204;
  return r;
}

template <typename Rows, typename WriteRow>
http::Response List(std::string_view key, const Rows& rows, WriteRow write, int status = 200) {
  JsonWriter w;
  w.BeginObject().Key(key).BeginArray();
  for (const auto& row : rows) write(w, row);
  w.EndArray().EndObject();
  return Json(status, w.Take());
}

void AddUserRoutes(Router::Module& m, auth::Accounts* a) {
  m.Add({"GET", "/api/v1/admin/users", Permission::kAdmin, 0, [a](Context& c) -> Result<http::Response> {
           ASSIGN_OR_RETURN(auto users, a->ListPrincipals(c.caller));
           return List("users", users, WriteUser);
         }});
  m.Add({"POST", "/api/v1/admin/users", Permission::kAdmin, kSmallBody,
         [a](Context& c) -> Result<http::Response> {
           ASSIGN_OR_RETURN(auto doc, JsonBody(c));
           auth::NewPrincipal p;
           ASSIGN_OR_RETURN(auto name, StringField(doc.root, "name"));
           ASSIGN_OR_RETURN(auto kind, StringField(doc.root, "kind"));
           ASSIGN_OR_RETURN(auto owner, BoolField(doc.root, "owner"));
           ASSIGN_OR_RETURN(auto password, StringField(doc.root, "password"));
           if (!name) return Status::InvalidArgument("name: required");
           if (kind && *kind != "user" && *kind != "service")
             return Status::InvalidArgument("kind: 'user' or 'service'");
           p.name = *name;
           p.service = kind && *kind == "service";
           p.owner = owner.value_or(false);
           p.password = password.value_or("");
           ASSIGN_OR_RETURN(auto row, a->AddPrincipal(c.caller, p));
           JsonWriter w;
           w.BeginObject().Key("user");
           WriteUser(w, row);
           w.EndObject();
           return Json(201, w.Take());
         }});
  m.Add({"POST", "/api/v1/admin/users/{name}/disable", Permission::kAdmin, kSmallBody,
         [a](Context& c) -> Result<http::Response> {
           ASSIGN_OR_RETURN(auto row, a->DisablePrincipal(c.caller, c.Param("name")));
           JsonWriter w;
           w.BeginObject().Key("user");
           WriteUser(w, row);
           w.EndObject();
           return Json(200, w.Take());
         }});
}

void AddTokenRoutes(Router::Module& m, auth::Accounts* a) {
  m.Add({"GET", "/api/v1/tokens", Permission::kRead, 0, [a](Context& c) -> Result<http::Response> {
           bool all = c.query.Get("all") == "true";
           std::string principal = c.query.Get("principal");
           ASSIGN_OR_RETURN(auto tokens, a->ListTokens(c.caller, all, principal));
           return List("tokens", tokens, WriteToken);
         }});
  m.Add({"POST", "/api/v1/tokens", Permission::kWrite, kSmallBody, [a](Context& c) -> Result<http::Response> {
           ASSIGN_OR_RETURN(auto doc, JsonBody(c));
           auth::NewToken t;
           ASSIGN_OR_RETURN(auto name, StringField(doc.root, "name"));
           ASSIGN_OR_RETURN(auto principal, StringField(doc.root, "principal"));
           ASSIGN_OR_RETURN(t.projects, StringListField(doc.root, "projects"));
           ASSIGN_OR_RETURN(t.max_role, RoleField(doc.root, "role", false));
           ASSIGN_OR_RETURN(auto days, IntField(doc.root, "expires_in_days"));
           if (!name) return Status::InvalidArgument("name: required");
           t.name = *name;
           t.principal = principal.value_or("");
           if (days) {
             if (*days < 1 || *days > 3650) return Status::InvalidArgument("expires_in_days: 1 to 3650");
             t.expires_us = a->Now() + *days * 86'400'000'000LL;
           }
           ASSIGN_OR_RETURN(auto made, a->CreateToken(c.caller, t));
           JsonWriter w;
           w.BeginObject().Key("token");
           WriteToken(w, made.token);
           w.Key("secret").String(made.secret).EndObject();
           http::Response r = Json(201, w.Take());
           r.headers.Set("Cache-Control", "no-store");
           return r;
         }});
  m.Add({"DELETE", "/api/v1/tokens/{id}", Permission::kWrite, 0, [a](Context& c) -> Result<http::Response> {
           const std::string& s = c.Param("id");
           char* end = nullptr;
           long long id = std::strtoll(s.c_str(), &end, 10);
           if (s.empty() || *end || id <= 0) return Status::InvalidArgument("token id: a positive integer");
           RETURN_IF_ERROR(a->RevokeToken(c.caller, id));
           return NoContent();
         }});
}

void AddMemberRoutes(Router::Module& m, auth::Accounts* a) {
  // Checks are in Accounts (members need admin to change, viewer to list);
  // the route's permission is the least of them.
  for (const char* base : {kProjectMembers, kWorkspaceMembers}) {
    bool project = base == kProjectMembers;
    auto proj = [project](const Context& c) { return project ? c.Param("project") : std::string(); };
    m.Add({"GET", base, Permission::kRead, 0, [a, proj](Context& c) -> Result<http::Response> {
             ASSIGN_OR_RETURN(auto members, a->ListMembers(c.caller, c.Param("workspace"), proj(c)));
             return List("members", members, WriteMember);
           }});
    m.Add({"PUT", std::string(base) + "/{principal}", Permission::kAdmin, kSmallBody,
           [a, proj](Context& c) -> Result<http::Response> {
             ASSIGN_OR_RETURN(auto doc, JsonBody(c));
             ASSIGN_OR_RETURN(auto role, RoleField(doc.root, "role", true));
             ASSIGN_OR_RETURN(auto row, a->PutMember(c.caller, c.Param("workspace"), proj(c),
                                                     c.Param("principal"), role));
             JsonWriter w;
             w.BeginObject().Key("member");
             WriteMember(w, row);
             w.EndObject();
             return Json(200, w.Take());
           }});
    m.Add({"DELETE", std::string(base) + "/{principal}", Permission::kAdmin, 0,
           [a, proj](Context& c) -> Result<http::Response> {
             RETURN_IF_ERROR(a->RemoveMember(c.caller, c.Param("workspace"), proj(c), c.Param("principal")));
             return NoContent();
           }});
  }
}

void AddAuditRoutes(Router::Module& m, auth::Accounts* a) {
  m.Add({"GET", "/api/v1/admin/audit", Permission::kAdmin, 0, [a](Context& c) -> Result<http::Response> {
           storage::AuditFilter f;
           f.principal = c.query.Get("principal");
           f.action = c.query.Get("action");
           f.limit = 100;
           if (c.query.Has("limit")) {
             ASSIGN_OR_RETURN(f.limit, CountParam(c.query, "limit"));
             if (f.limit < 1 || f.limit > 1000) return Status::InvalidArgument("limit: 1 to 1000");
           }
           if (std::string s = c.query.Get("page_token"); !s.empty()) {
             char* end = nullptr;
             long long before = std::strtoll(s.c_str(), &end, 10);
             if (*end || before <= 0) return Status::InvalidArgument("page_token: not one this server gave");
             f.before_id = before;
           }
           ASSIGN_OR_RETURN(auto rows, a->ListAudit(c.caller, f));
           JsonWriter w;
           w.BeginObject().Key("entries").BeginArray();
           for (const auto& r : rows) WriteAudit(w, r);
           w.EndArray();
           WriteNextPageToken(w, rows.size() == f.limit && !rows.empty() ? std::to_string(rows.back().id) : "");
           w.EndObject();
           return Json(200, w.Take());
         }});
}

}  // namespace

void AddAccountRoutes(Router::Module& m, const Options& o) {
  AddUserRoutes(m, o.accounts);
  AddTokenRoutes(m, o.accounts);
  AddMemberRoutes(m, o.accounts);
  AddAuditRoutes(m, o.accounts);
}

}  // namespace sextant::api::native
