// The token exchange of Neptune's clients (module.h):
//
//   GET  /api/backend/v1/clients/config                 where to authenticate
//   GET  /api/neptune/auth/.well-known/openid-configuration
//   GET  /api/backend/v1/authorization/oauth-token      X-Neptune-Api-Token → JWTs
//   POST /api/neptune/auth/protocol/openid-connect/token  refresh (a form)
//
// The access token is a JWT signed by this server (auth/access_tokens.h)
// naming the Sextant API token inside the Neptune token, so revoking that
// token ends the access tokens made from it. `iss` is where neptune-query
// refreshes ({iss}/protocol/openid-connect/token), `azp` the client id.
#include <nlohmann/json.hpp>

#include "api/neptune/api_token.h"
#include "api/neptune/module.h"
#include "api/neptune/neptune.h"
#include "api/neptune/respond.h"
#include "auth/accounts.h"
#include "auth/secrets.h"
#include "http/query.h"

namespace sextant::api::neptune {
namespace {

constexpr char kClientId[] = "neptune-cli";
constexpr char kAuthPrefix[] = "/api/neptune/auth";
constexpr char kForm[] = "application/x-www-form-urlencoded";

std::string Issuer(const Context& c, const Neptune* n) {
  return BaseUrl(c, n->options().external_url, n->options().tls) + kAuthPrefix;
}

// An access token and a refresh token for the API token `digest`.
Result<std::pair<std::string, std::string>> IssuePair(const Context& c, const Neptune* n,
                                                      const std::string& digest,
                                                      const std::string& subject) {
  const auth::AccessTokens* t = n->options().access_tokens;
  if (!t) return Status::Unavailable("this server issues no access tokens");
  int64_t now = c.accounts ? c.accounts->Now() / 1'000'000 : 0;
  auth::AccessClaims claims;
  claims.token_digest = digest;
  claims.subject = subject;
  claims.issuer = Issuer(c, n);
  claims.client_id = kClientId;
  claims.issued_s = now;
  claims.kind = auth::AccessClaims::Kind::kAccess;
  claims.expires_s = now + auth::AccessTokens::kAccessLifetimeS;
  ASSIGN_OR_RETURN(std::string access, t->Issue(claims));
  claims.kind = auth::AccessClaims::Kind::kRefresh;
  claims.expires_s = now + auth::AccessTokens::kRefreshLifetimeS;
  ASSIGN_OR_RETURN(std::string refresh, t->Issue(claims));
  return std::make_pair(std::move(access), std::move(refresh));
}

}  // namespace

void AddAuthRoutes(Router::Module& m, Neptune* n) {
  m.Add({"GET", "/api/backend/v1/clients/config", Permission::kPublic, 0,
         [n](Context& c) -> Result<http::Response> {
           std::string base = BaseUrl(c, n->options().external_url, n->options().tls);
           nlohmann::json j = {
               {"apiUrl", base},
               {"applicationUrl", base},
               {"pyLibVersions", nlohmann::json::object()},
               {"security",
                {{"clientId", kClientId},
                 {"openIdDiscovery", base + kAuthPrefix + "/.well-known/openid-configuration"}}}};
           return Json(j.dump());
         }});

  m.Add({"GET", std::string(kAuthPrefix) + "/.well-known/openid-configuration", Permission::kPublic, 0,
         [n](Context& c) -> Result<http::Response> {
           std::string issuer = Issuer(c, n);
           nlohmann::json j = {{"issuer", issuer},
                               {"authorization_endpoint", issuer + "/protocol/openid-connect/auth"},
                               {"token_endpoint", issuer + "/protocol/openid-connect/token"},
                               {"grant_types_supported", {"refresh_token"}}};
           return Json(j.dump());
         }});

  // The Neptune token in the header is the credential. A valid token is
  // exchanged whatever its roles (ingest answers 403 where one is missing):
  // the clients retry a failed exchange other than 401 for good.
  m.Add({"GET", "/api/backend/v1/authorization/oauth-token", Permission::kSigned, 0,
         [n](Context& c) -> Result<http::Response> {
           if (!c.accounts) return Status::Unavailable("this server has no accounts");
           ASSIGN_OR_RETURN(ApiToken token, DecodeApiToken(c.req.headers.GetOr("X-Neptune-Api-Token")));
           ASSIGN_OR_RETURN(auth::Caller caller, c.accounts->Authenticate(token.api_key, "", c.caller.address));
           if (!caller.signed_in()) return Status::Unauthenticated("the Neptune API token is not valid");
           ASSIGN_OR_RETURN(auto pair, IssuePair(c, n, auth::DigestSecret(token.api_key), caller.name));
           nlohmann::json j = {{"accessToken", pair.first}, {"refreshToken", pair.second}, {"username", caller.name}};
           return Json(j.dump());
         }});

  // OAuth's refresh grant is a form POST. Safe to take from anyone: the
  // refresh token in the body is the credential, and nothing changes.
  Route refresh{"POST", std::string(kAuthPrefix) + "/protocol/openid-connect/token", Permission::kSigned,
                16 * 1024, [n](Context& c) -> Result<http::Response> {
                  if (!c.accounts) return Status::Unavailable("this server has no accounts");
                  const auth::AccessTokens* t = n->options().access_tokens;
                  if (!t) return Status::Unavailable("this server issues no access tokens");
                  ASSIGN_OR_RETURN(auto form, http::QueryParams::Parse(c.req.body));
                  if (form.Get("grant_type") != "refresh_token")
                    return Status::InvalidArgument("grant_type must be refresh_token");
                  ASSIGN_OR_RETURN(auto claims, t->Verify(form.Get("refresh_token"),
                                                          auth::AccessClaims::Kind::kRefresh,
                                                          c.accounts->Now() / 1'000'000));
                  // The API token behind it must still be good.
                  ASSIGN_OR_RETURN(auth::Caller caller,
                                   c.accounts->AuthenticateDigest(claims.token_digest, c.caller.address));
                  ASSIGN_OR_RETURN(auto pair, IssuePair(c, n, claims.token_digest, caller.name));
                  nlohmann::json j = {{"access_token", pair.first},
                                      {"refresh_token", pair.second},
                                      {"token_type", "Bearer"},
                                      {"expires_in", auth::AccessTokens::kAccessLifetimeS}};
                  return Json(j.dump());
                }};
  refresh.accepts = {kForm};
  m.Add(std::move(refresh));
}

}  // namespace sextant::api::neptune
