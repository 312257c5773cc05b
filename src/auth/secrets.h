// Secrets: API tokens and session ids (random, stored as SHA-256 digests)
// and passwords (Argon2id, from libargon2).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace sextant::auth {

// 256 random bits from the OS (OpenSSL's RAND_bytes), base64url, after a
// prefix that tells what it is ("sxt_" for API tokens, so secret scanners and
// people recognise one).
std::string NewSecret(std::string_view prefix);

// Lowercase hex SHA-256: what the store keeps of a token or session secret.
// A fast hash is right here: the secret has 256 bits of entropy.
std::string DigestSecret(std::string_view secret);

// Argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane) and a 16-byte
// random salt, as a PHC string ($argon2id$v=19$m=…).
Result<std::string> HashPassword(std::string_view password);
// False for a wrong password or an unreadable encoding; constant time in the
// password.
bool VerifyPassword(const std::string& encoded, std::string_view password);

// Compares in time that depends only on the lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace sextant::auth
