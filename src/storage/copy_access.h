// Copies the access store (storage/access.h) into another (`sextant
// migrate`): users and service accounts with their password hashes, API
// tokens (by digest, with their limits, last use and revocation), roles and
// the audit log, so that everyone signs in and every token works on the new
// store. Resumable: principals and tokens already there (by name, by digest)
// are kept, roles are set again, and the audit log is copied only into an
// empty one.
//
// Not copied: browser sessions (people sign in again) and the key that signs
// access tokens (a Neptune client exchanges its API token again).
#pragma once

#include <cstdint>

#include "common/status.h"
#include "storage/access.h"

namespace sextant::storage {

struct AccessCopyStats {
  int64_t principals = 0, tokens = 0, roles = 0, audit = 0;
};

Result<AccessCopyStats> CopyAccess(AccessStore& from, AccessStore& to);

}  // namespace sextant::storage
