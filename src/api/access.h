// Access control at the router (docs/security.md): the Gate every request
// passes before its handler runs.
//
//  1. Host: the Host header must name this server (localhost, 127.0.0.1,
//     [::1], the bound address, --allowed-host names), which defeats DNS
//     rebinding.
//  2. Cross-origin writes: a state-changing request whose Origin is not the
//     server's own, or whose Sec-Fetch-Site is cross-site or same-site, is
//     refused; one authenticated by the session cookie must also carry the
//     X-Requested-By header, which no page can add cross-origin without a
//     preflight that this server never grants.
//  3. Media types: JSON routes take only JSON; nothing takes forms or
//     text/plain.
//  4. The caller: a bearer token (an API token, or an access token made from
//     one: auth/access_tokens.h), basic credentials, the session cookie, or
//     nobody; then the route's permission against the caller's role.
//
// Every successful DELETE, and every route that names an audit action, is
// written to the audit log.
#pragma once

#include <string>
#include <vector>

#include "api/router.h"
#include "auth/access_tokens.h"
#include "auth/accounts.h"

namespace sextant::api {

struct AccessOptions {
  std::string bind_host;                   // the address the server listens on
  std::vector<std::string> allowed_hosts;  // more names clients may use (--allowed-host)
  // Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (a reverse proxy).
  std::vector<std::string> trusted_proxies;
};

inline constexpr char kSessionCookie[] = "sextant_session";
inline constexpr char kCsrfHeader[] = "X-Requested-By";

class Access final : public Gate {
 public:
  // `access_tokens` (may be null: then no access token is accepted).
  Access(auth::Accounts* accounts, AccessOptions options,
         const auth::AccessTokens* access_tokens = nullptr);

  Status Screen(const http::Request& head, const Route& route) override;
  Status Admit(Context& ctx, const Route& route) override;
  void Done(const Context& ctx, const Route& route, int status) override;

  // The client's address: the peer, or what a trusted proxy forwarded.
  std::string ClientAddress(const http::Request& req) const;
  // Whether the client reached the server over TLS (directly or at a trusted proxy).
  bool Secure(const http::Request& req) const;
  // The session cookie's value, or "".
  static std::string SessionCookie(const http::Request& req);
  bool HostAllowed(std::string_view host_header) const;

 private:
  Status CheckHost(const http::Request& req) const;
  Status CheckOrigin(const http::Request& req) const;
  Status CheckMediaType(const http::Request& req, const Route& route) const;
  Status CheckPermission(Context& ctx, Permission p) const;
  bool TrustedPeer(const http::Request& req) const;

  auth::Accounts* accounts_;
  const auth::AccessTokens* access_tokens_;
  AccessOptions options_;
  std::vector<std::string> hosts_;  // lowercase names, IPv6 without brackets
};

}  // namespace sextant::api
