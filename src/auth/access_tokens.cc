#include "auth/access_tokens.h"

#include <fcntl.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

#include "auth/secrets.h"
#include "common/base64.h"

namespace sextant::auth {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kMaxJwtBytes = 8192;

struct JwtDeleter {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

const char* KindName(AccessClaims::Kind k) {
  return k == AccessClaims::Kind::kAccess ? "access" : "refresh";
}

std::string GrantOr(jwt_t* j, const char* name) {
  const char* v = jwt_get_grant(j, name);
  return v ? std::string(v) : std::string();
}

// The bytes of a key file, at most one byte more than a key (so that a
// wrong file is not read whole); nullopt if it does not exist.
Result<std::optional<std::string>> ReadKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<std::string>();
    return Status::InvalidArgument("cannot read " + path + ": " + std::strerror(errno));
  }
  std::string key(kKeyBytes + 1, '\0');
  in.read(key.data(), static_cast<std::streamsize>(key.size()));
  key.resize(static_cast<size_t>(in.gcount()));
  return std::optional<std::string>(std::move(key));
}

}  // namespace

Result<std::unique_ptr<AccessTokens>> AccessTokens::FromFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return Status::InvalidArgument("signing key " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return Status::InvalidArgument("signing key " + path + " is not a regular file");
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    return Status::InvalidArgument("signing key " + path +
                                   " can be read by others (mode " +
                                   std::to_string((st.st_mode >> 6) & 7) + std::to_string((st.st_mode >> 3) & 7) +
                                   std::to_string(st.st_mode & 7) + "); chmod 600 it");
  ASSIGN_OR_RETURN(auto key, ReadKeyFile(path));
  if (!key) return Status::InvalidArgument("signing key " + path + ": no such file");
  if (key->size() != kKeyBytes)
    return Status::InvalidArgument("signing key " + path + " must hold exactly " +
                                   std::to_string(kKeyBytes) + " bytes (make one with: openssl rand -out " +
                                   path + " " + std::to_string(kKeyBytes) + ")");
  return std::make_unique<AccessTokens>(std::move(*key));
}

Result<std::unique_ptr<AccessTokens>> AccessTokens::Open(const std::string& data_dir) {
  std::string path = (std::filesystem::path(data_dir) / "access-token.key").string();
  ASSIGN_OR_RETURN(auto existing, ReadKeyFile(path));
  if (existing) {
    if (existing->size() != kKeyBytes)
      return Status::Internal(path + " is damaged (expected " + std::to_string(kKeyBytes) +
                              " bytes); delete it to make a new key (access tokens in use stop working)");
    return std::make_unique<AccessTokens>(std::move(*existing));
  }
  std::string key(kKeyBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), kKeyBytes) != 1)
    return Status::Internal("no random bytes for the access-token key");
  // O_EXCL: two processes starting at once must not both write a key.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Open(data_dir);
    return Status::Internal("creating " + path + ": " + std::strerror(errno));
  }
  bool ok = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return Status::Internal("writing " + path + ": " + std::strerror(errno));
  }
  return std::make_unique<AccessTokens>(std::move(key));
}

Result<std::unique_ptr<AccessTokens>> AccessTokens::OpenShared(storage::AccessStore& store) {
  std::string candidate(kKeyBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(candidate.data()), kKeyBytes) != 1)
    return Status::Internal("no random bytes for the access-token key");
  // base64url: the store keeps text.
  ASSIGN_OR_RETURN(std::string stored, store.SharedKey("access-token", EncodeBase64Url(candidate)));
  auto key = DecodeBase64Url(stored);
  if (!key.ok() || key->size() != kKeyBytes)
    return Status::Internal("the stored access-token key is damaged (expected " +
                            std::to_string(kKeyBytes) + " bytes, base64url)");
  return std::make_unique<AccessTokens>(std::move(key).value());
}

Result<std::string> AccessTokens::Issue(const AccessClaims& c) const {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return Status::Internal("jwt_new failed");
  JwtPtr j(raw);
  bool ok = jwt_add_grant(j.get(), "iss", c.issuer.c_str()) == 0 &&
            jwt_add_grant(j.get(), "azp", c.client_id.c_str()) == 0 &&
            jwt_add_grant(j.get(), "sub", c.subject.c_str()) == 0 &&
            jwt_add_grant(j.get(), "preferred_username", c.subject.c_str()) == 0 &&
            jwt_add_grant(j.get(), "typ", KindName(c.kind)) == 0 &&
            jwt_add_grant(j.get(), "sxt", c.token_digest.c_str()) == 0 &&
            jwt_add_grant_int(j.get(), "iat", static_cast<long>(c.issued_s)) == 0 &&
            jwt_add_grant_int(j.get(), "exp", static_cast<long>(c.expires_s)) == 0 &&
            jwt_set_alg(j.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(key_.data()),
                        static_cast<int>(key_.size())) == 0;
  if (!ok) return Status::Internal("building an access token failed");
  char* text = jwt_encode_str(j.get());
  if (!text) return Status::Internal("signing an access token failed");
  std::string out(text);
  std::free(text);
  return out;
}

Result<AccessClaims> AccessTokens::Verify(std::string_view token, AccessClaims::Kind kind,
                                          int64_t now_s) const {
  if (token.size() > kMaxJwtBytes || !LooksLikeJwt(token))
    return Status::Unauthenticated("the access token is malformed");
  std::string text(token);
  jwt_t* raw = nullptr;
  int rc = jwt_decode(&raw, text.c_str(), reinterpret_cast<const unsigned char*>(key_.data()),
                      static_cast<int>(key_.size()));
  JwtPtr j(raw);
  // The algorithm is checked here too: a token must never choose how it is verified.
  if (rc != 0 || !j || jwt_get_alg(j.get()) != JWT_ALG_HS256)
    return Status::Unauthenticated("the access token is not valid (signature)");
  AccessClaims c;
  std::string typ = GrantOr(j.get(), "typ");
  if (typ != KindName(kind))
    return Status::Unauthenticated(std::string("expected an ") + KindName(kind) + " token, got '" + typ + "'");
  c.kind = kind;
  c.token_digest = GrantOr(j.get(), "sxt");
  c.subject = GrantOr(j.get(), "sub");
  c.issuer = GrantOr(j.get(), "iss");
  c.client_id = GrantOr(j.get(), "azp");
  errno = 0;
  c.issued_s = jwt_get_grant_int(j.get(), "iat");
  c.expires_s = jwt_get_grant_int(j.get(), "exp");
  if (errno != 0 || c.token_digest.empty())
    return Status::Unauthenticated("the access token lacks its claims");
  if (c.expires_s <= now_s) return Status::Unauthenticated("the access token has expired; refresh it");
  return c;
}

std::string AccessTokens::Sign(std::string_view message) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  return EncodeBase64Url(std::string_view(reinterpret_cast<const char*>(mac), len));
}

bool AccessTokens::CheckSignature(std::string_view message, std::string_view signature) const {
  return ConstantTimeEquals(Sign(message), signature);
}

bool AccessTokens::LooksLikeJwt(std::string_view s) {
  int dots = 0;
  for (char ch : s) {
    if (ch == '.') {
      ++dots;
      continue;
    }
    bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_';
    if (!ok) return false;
  }
  return dots == 2 && s.size() >= 5 && s.front() != '.' && s.back() != '.';
}

}  // namespace sextant::auth
