// Browser sessions: who am I, sign in, sign out (docs/security.md).
#include "api/access.h"
#include "api/json_writer.h"
#include "api/native/account_json.h"
#include "api/native/module.h"
#include "api/native/respond.h"

namespace sextant::api::native {
namespace {

std::string SessionCookieHeader(const std::string& value, int64_t max_age_s, bool secure) {
  std::string c = std::string(kSessionCookie) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                  std::to_string(max_age_s);
  if (secure) c += "; Secure";
  return c;
}

}  // namespace

void AddSessionRoutes(Router::Module& m, const Options& o) {
  auth::Accounts* accounts = o.accounts;
  const Access* access = o.access;

  m.Add({"GET", "/api/v1/auth/me", Permission::kPublic, 0, [accounts](Context& c) -> Result<http::Response> {
           ASSIGN_OR_RETURN(bool required, accounts->AuthRequired());
           JsonWriter w;
           w.BeginObject().Key("auth_required").Bool(required);
           w.Key("insecure_no_auth").Bool(accounts->options().insecure_no_auth).Key("user");
           if (c.caller.signed_in()) {
             w.BeginObject().Key("name").String(c.caller.name);
             w.Key("kind").String(c.caller.service ? "service" : "user");
             w.Key("owner").Bool(c.caller.IsOwner()).EndObject();
           } else {
             w.Null();
           }
           w.EndObject();
           return Json(200, w.Take());
         }});

  m.Add({"POST", "/api/v1/auth/login", Permission::kPublic, 64 << 10,
         [accounts, access](Context& c) -> Result<http::Response> {
           ASSIGN_OR_RETURN(auto doc, JsonBody(c));
           ASSIGN_OR_RETURN(auto name, StringField(doc.root, "name"));
           ASSIGN_OR_RETURN(auto password, StringField(doc.root, "password"));
           if (!name || !password) return Status::InvalidArgument("send {\"name\": ..., \"password\": ...}");
           auto s = accounts->Login(*name, *password, c.caller.address);
           if (!s.ok()) {
             if (s.status().code() != Code::kTooManyRequests) return s.status();
             http::Response r = Error(429, CodeName(Code::kTooManyRequests), s.status().message());
             r.headers.Set("Retry-After", std::to_string(accounts->LoginRetryAfter(*name, c.caller.address)));
             return r;
           }
           JsonWriter w;
           w.BeginObject().Key("user");
           WriteUser(w, s->user);
           w.EndObject();
           http::Response r = Json(200, w.Take());
           int64_t ttl_s = (s->expires_us - accounts->Now()) / 1'000'000;
           r.headers.Set("Set-Cookie", SessionCookieHeader(s->secret, ttl_s, access->Secure(c.req)));
           r.headers.Set("Cache-Control", "no-store");
           return r;
         }});

  m.Add({"POST", "/api/v1/auth/logout", Permission::kPublic, 64 << 10,
         [accounts, access](Context& c) -> Result<http::Response> {
           RETURN_IF_ERROR(accounts->Logout(Access::SessionCookie(c.req), c.caller));
           http::Response r;
           r.status = 204;
           r.headers.Set("Set-Cookie", SessionCookieHeader("", 0, access->Secure(c.req)));
           return r;
         }});
}

}  // namespace sextant::api::native
