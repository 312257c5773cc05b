#include "api/access.h"

#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "http/header_values.h"
#include "http/message.h"

namespace sextant::api {
namespace {

bool Unsafe(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

bool IsWildcard(std::string_view host) { return host.empty() || host == "0.0.0.0" || host == "::"; }

// Every address of this machine's interfaces, and its host name, for a
// server bound to all of them.
std::vector<std::string> LocalNames() {
  std::vector<std::string> out;
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) == 0 && name[0]) out.push_back(http::ToLower(name));
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) == 0) {
    for (ifaddrs* a = list; a; a = a->ifa_next) {
      if (!a->ifa_addr) continue;
      int family = a->ifa_addr->sa_family;
      if (family != AF_INET && family != AF_INET6) continue;
      char host[NI_MAXHOST];
      socklen_t len = family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
      if (getnameinfo(a->ifa_addr, len, host, sizeof host, nullptr, 0, NI_NUMERICHOST) == 0) {
        std::string h = host;
        if (auto pct = h.find('%'); pct != std::string::npos) h.resize(pct);  // fe80::1%eth0
        out.push_back(http::ToLower(h));
      }
    }
    freeifaddrs(list);
  }
  return out;
}

auth::Role RoleFor(Permission p) {
  switch (p) {
    case Permission::kRead: return auth::Role::kViewer;
    case Permission::kWrite: return auth::Role::kWriter;
    case Permission::kAdmin: return auth::Role::kAdmin;
    default: return auth::Role::kNone;
  }
}

}  // namespace

Access::Access(auth::Accounts* accounts, AccessOptions options,
               const auth::AccessTokens* access_tokens)
    : accounts_(accounts), access_tokens_(access_tokens), options_(std::move(options)) {
  hosts_ = {"localhost", "127.0.0.1", "::1"};
  if (IsWildcard(options_.bind_host)) {
    for (auto& n : LocalNames()) hosts_.push_back(std::move(n));
  } else {
    hosts_.push_back(http::HostName(options_.bind_host.find(':') != std::string::npos &&
                                      options_.bind_host.front() != '['
                                  ? "[" + options_.bind_host + "]"
                                  : options_.bind_host));
  }
  for (const auto& h : options_.allowed_hosts) hosts_.push_back(http::HostName(h));
}

bool Access::HostAllowed(std::string_view host_header) const {
  std::string h = http::HostName(host_header);
  if (h.empty()) return false;
  if (std::find(hosts_.begin(), hosts_.end(), h) != hosts_.end()) return true;
  // *.localhost resolves to loopback by definition (RFC 6761).
  return h.size() > 10 && h.compare(h.size() - 10, 10, ".localhost") == 0;
}

bool Access::TrustedPeer(const http::Request& req) const {
  return std::find(options_.trusted_proxies.begin(), options_.trusted_proxies.end(), req.peer) !=
         options_.trusted_proxies.end();
}

std::string Access::ClientAddress(const http::Request& req) const {
  if (!TrustedPeer(req)) return req.peer;
  std::string client = http::ForwardedClient(req.headers, options_.trusted_proxies);
  return client.empty() ? req.peer : client;
}

bool Access::Secure(const http::Request& req) const {
  if (req.secure) return true;
  return TrustedPeer(req) && http::ToLower(req.headers.GetOr("X-Forwarded-Proto")) == "https";
}

std::string Access::SessionCookie(const http::Request& req) {
  return http::CookieValue(req.headers, kSessionCookie);
}

Status Access::CheckOrigin(const http::Request& req) const {
  std::string_view site = http::TrimSpace(req.headers.GetOr("Sec-Fetch-Site"));
  if (site == "cross-site" || site == "same-site")
    return Status::PermissionDenied("cross-origin request refused (Sec-Fetch-Site: " + std::string(site) + ")");
  auto origin = req.headers.Get("Origin");
  if (!origin) return Status::Ok();
  std::string_view o = http::TrimSpace(*origin);
  std::string_view authority = http::OriginAuthority(o);
  if (authority.empty() || http::ToLower(authority) != http::ToLower(http::TrimSpace(req.headers.GetOr("Host"))))
    return Status::PermissionDenied("cross-origin request refused (Origin: " + std::string(o) + ")");
  return Status::Ok();
}

Status Access::CheckMediaType(const http::Request& req, const Route& route) const {
  std::string type = http::MediaType(req.headers.GetOr("Content-Type"));
  // A browser sends these three types cross-origin without asking first,
  // but only with GET, HEAD or POST (CORS "simple" requests). A PUT is
  // always preflighted, and Sextant allows no cross-origin preflight, so an
  // upload by PUT may say any type: the MLflow client labels artifacts by
  // their names (text/plain for .txt and .json).
  if (route.upload && req.method == "PUT") return Status::Ok();
  // An OAuth token endpoint takes a form: the credential is in the body, so
  // a cross-site form carries none, and the endpoint changes nothing.
  if (type == "application/x-www-form-urlencoded" && route.permission == Permission::kSigned &&
      std::find(route.accepts.begin(), route.accepts.end(), type) != route.accepts.end())
    return Status::Ok();
  if (type == "text/plain" || type == "application/x-www-form-urlencoded" || type == "multipart/form-data")
    return Status::UnsupportedMedia("content type '" + type + "' is not accepted here" +
                                    (route.upload ? "; send application/octet-stream"
                                                  : "; send application/json"));
  if (route.upload) return Status::Ok();
  if (type.empty() && req.body.empty()) return Status::Ok();
  if (route.accepts.empty()) {
    if (type == "application/json" ||
        (type.rfind("application/", 0) == 0 && type.size() > 5 && type.ends_with("+json")))
      return Status::Ok();
    return Status::UnsupportedMedia(type.empty() ? "a request body needs Content-Type: application/json"
                                                 : "unsupported content type '" + type +
                                                       "'; send application/json");
  }
  for (const auto& a : route.accepts)
    if (type == a) return Status::Ok();
  std::string list;
  for (const auto& a : route.accepts) list += (list.empty() ? "" : ", ") + a;
  return Status::UnsupportedMedia("unsupported content type '" + type + "'; send " + list);
}

Status Access::CheckPermission(Context& ctx, Permission p) const {
  const auth::Caller& c = ctx.caller;
  switch (p) {
    case Permission::kUndeclared:
      return Status::Internal("this route declares no permission");
    case Permission::kPublic:
    case Permission::kSigned:  // the handler checks the request's own credential
      return Status::Ok();
    default:
      break;
  }
  if (ctx.project) return accounts_->RequireProject(c, *ctx.project, RoleFor(p));
  const std::string& ws = ctx.Param("workspace");
  if (!ws.empty()) return accounts_->RequireWorkspace(c, ws, RoleFor(p));
  if (p == Permission::kAdmin) return accounts_->RequireOwner(c);
  return accounts_->RequireSignedIn(c);
}

Status Access::CheckHost(const http::Request& req) const {
  // HTTP/1.0 clients may omit Host (the transport requires it of 1.1);
  // browsers always send it, so its absence is no rebinding.
  std::optional<std::string_view> host_field = req.headers.Get("Host");
  std::string_view host = host_field.value_or("");
  if (host_field && !HostAllowed(host))
    return Status::InvalidArgument("Host '" + std::string(host) +
                                   "' is not a name of this server; start it with --allowed-host " +
                                   (http::HostName(host).empty() ? "NAME" : http::HostName(host)) +
                                   " to serve it under that name");
  return Status::Ok();
}

Status Access::Screen(const http::Request& head, const Route& route) {
  RETURN_IF_ERROR(CheckHost(head));
  if (Unsafe(head.method)) RETURN_IF_ERROR(CheckOrigin(head));
  // No credential on a server known to require one: refused before the
  // body is read, so an anonymous client cannot make it read 64 MiB first.
  if (route.permission != Permission::kPublic && route.permission != Permission::kSigned &&
      accounts_->AuthRequiredKnown() &&
      !head.headers.Has("Authorization") && SessionCookie(head).empty())
    return Status::Unauthenticated("sign in or send an API token");
  return Status::Ok();
}

Status Access::Admit(Context& ctx, const Route& route) {
  // Host and Origin were checked by Screen, which the router runs first.
  const http::Request& req = ctx.req;
  bool unsafe = Unsafe(req.method);
  if (unsafe && (route.upload || route.body_limit > 0)) RETURN_IF_ERROR(CheckMediaType(req, route));

  // Routes on the event loop (health) must not block: they are public, and
  // they get no caller beyond its address.
  if (route.on_event_loop) {
    if (route.permission != Permission::kPublic) return Status::Internal("an event-loop route must be public");
    ctx.caller.address = ClientAddress(req);
    return Status::Ok();
  }
  std::string token;
  ctx.accounts = accounts_;
  if (auto authz = req.headers.Get("Authorization")) {
    bool malformed = false;
    std::string user, password;
    if (http::BasicCredentials(*authz, &user, &password, &malformed)) {
      // Programs that only speak basic authentication (MLflow's client).
      if (malformed) return Status::Unauthenticated("malformed basic credentials");
      ASSIGN_OR_RETURN(ctx.caller, accounts_->AuthenticateBasic(user, password, ClientAddress(req)));
      return CheckPermission(ctx, route.permission);
    }
    token = http::BearerToken(*authz, &malformed);
    if (malformed) return Status::Unauthenticated("use 'Authorization: Bearer <API token>'");
    if (access_tokens_ && auth::AccessTokens::LooksLikeJwt(token)) {
      ASSIGN_OR_RETURN(auto claims, access_tokens_->Verify(token, auth::AccessClaims::Kind::kAccess,
                                                           accounts_->Now() / 1'000'000));
      ASSIGN_OR_RETURN(ctx.caller, accounts_->AuthenticateDigest(claims.token_digest, ClientAddress(req)));
      return CheckPermission(ctx, route.permission);
    }
  }
  std::string session = token.empty() ? SessionCookie(req) : "";
  ASSIGN_OR_RETURN(ctx.caller, accounts_->Authenticate(token, session, ClientAddress(req)));
  if (unsafe && ctx.caller.via == auth::Caller::Via::kSession &&
      http::TrimSpace(req.headers.GetOr(kCsrfHeader)).empty())
    return Status::PermissionDenied(std::string("a browser request that changes data needs the ") +
                                    kCsrfHeader + " header");
  return CheckPermission(ctx, route.permission);
}

void Access::Done(const Context& ctx, const Route& route, int status) {
  if (status < 200 || status >= 300) return;
  if (!route.audit.empty())
    accounts_->Audit(ctx.caller, route.audit, ctx.req.path);
  else if (ctx.req.method == "DELETE")
    accounts_->Audit(ctx.caller, "delete", ctx.req.path);
}

}  // namespace sextant::api
