// Short-lived signed access tokens (JWT, HS256, signed with libjwt) that
// stand for an API token, for clients that exchange a long-lived key for a
// bearer and refresh it (Neptune's clients, api/neptune/). A JWT names the
// API token by its digest (`sxt`), so revoking or expiring the API token, or
// disabling its account, refuses its access tokens from their next request:
// the gate resolves them with Accounts::AuthenticateDigest.
//
// The signing key is 256 random bits in <data>/access-token.key (mode 0600),
// made on first use. Servers that share clients (behind one balancer) must
// share the file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/access.h"

namespace sextant::auth {

struct AccessClaims {
  enum class Kind { kAccess, kRefresh };
  Kind kind = Kind::kAccess;
  std::string token_digest;  // the API token it stands for (DigestSecret)
  std::string subject;       // the principal's name (`sub`, also `username`)
  std::string issuer;        // `iss`: where to refresh
  std::string client_id;     // `azp`
  int64_t issued_s = 0;      // `iat`
  int64_t expires_s = 0;     // `exp`
};

class AccessTokens {
 public:
  static constexpr int64_t kAccessLifetimeS = 3600;
  static constexpr int64_t kRefreshLifetimeS = 30 * 24 * 3600;

  // Loads the key from `data_dir` or makes one (one server on its own data).
  static Result<std::unique_ptr<AccessTokens>> Open(const std::string& data_dir);
  // The key kept in the access store, made by whichever server asks first,
  // so that a token issued or a URL signed by one replica is good on every
  // other.
  static Result<std::unique_ptr<AccessTokens>> OpenShared(storage::AccessStore& store);
  // The key in an operator's file (`serve --signing-key`): exactly 32 bytes,
  // readable by its owner only; every replica given the same file shares it,
  // and nothing is kept in the store. InvalidArgument, naming the file and
  // what is wrong, otherwise.
  static Result<std::unique_ptr<AccessTokens>> FromFile(const std::string& path);
  explicit AccessTokens(std::string key) : key_(std::move(key)) {}

  Result<std::string> Issue(const AccessClaims& claims) const;
  // Checks the signature (HS256 only: any other `alg`, "none" included, is
  // refused), the kind and `exp` against `now_s`. Unauthenticated on failure.
  Result<AccessClaims> Verify(std::string_view jwt, AccessClaims::Kind kind, int64_t now_s) const;

  // A signature (HMAC-SHA256, base64url) of `message` with the same key: for
  // URLs that carry their own credential (Neptune's signed storage URLs).
  std::string Sign(std::string_view message) const;
  bool CheckSignature(std::string_view message, std::string_view signature) const;

  // Three base64url parts separated by dots: a bearer to hand to Verify
  // rather than to the API token lookup.
  static bool LooksLikeJwt(std::string_view bearer);

 private:
  std::string key_;
};

}  // namespace sextant::auth
