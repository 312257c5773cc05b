// Who is making a request, and what they may do: the principal behind the
// credential, its memberships, and the limits of the token it used. Pure
// data and rules, no I/O (auth/accounts.h builds one per request).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "auth/roles.h"
#include "model/operations.h"
#include "storage/access.h"

namespace sextant::auth {

struct Caller {
  enum class Via {
    kAnonymous,  // no credential
    kOpen,       // no credential, on a server that requires none: acts as owner
    kLocal,      // the `sextant` command on the server's own store
    kToken,      // Authorization: Bearer
    kSession,    // the browser's session cookie
  };
  Via via = Via::kAnonymous;
  int64_t principal_id = 0;
  std::string name;  // "" when anonymous
  bool service = false;
  bool owner = false;  // the principal is an owner (see IsOwner for the effective power)
  std::string address;  // the client's address, for the audit log

  // The token's limits (Via::kToken).
  int64_t token_id = 0;
  std::vector<std::string> token_projects;  // "ws/p" or "ws/*"; empty: any
  Role token_max_role = Role::kNone;        // kNone: no cap

  std::vector<storage::MemberRow> roles;  // the principal's memberships

  bool signed_in() const { return via == Via::kToken || via == Via::kSession || via == Via::kLocal; }
  bool restricted() const { return !token_projects.empty() || token_max_role != Role::kNone; }
  // Server-wide powers (users, audit, every project). A restricted token
  // never carries them, even an owner's.
  bool IsOwner() const;

  // The caller's role on a project: the greater of its workspace and project
  // memberships (admin everywhere for an owner), within the token's limits.
  Role RoleOn(const model::ProjectName& p) const;
  // The role on a whole workspace (workspace memberships only).
  Role RoleOnWorkspace(const std::string& workspace) const;
};

// The name the audit log and the API show for a caller.
std::string DisplayName(const Caller& c);

}  // namespace sextant::auth
