#include "storage/copy_access.h"

#include <algorithm>
#include <unordered_map>

namespace sextant::storage {

Result<AccessCopyStats> CopyAccess(AccessStore& from, AccessStore& to) {
  AccessCopyStats stats;
  std::unordered_map<int64_t, int64_t> ids;  // source principal id -> target's
  ASSIGN_OR_RETURN(auto principals, from.ListPrincipals());
  for (const PrincipalRow& p : principals) {
    ASSIGN_OR_RETURN(auto there, to.FindPrincipal(p.name));
    if (there) {
      ids[p.id] = there->id;
      continue;
    }
    ASSIGN_OR_RETURN(int64_t id, to.AddPrincipal(p));
    if (p.disabled) RETURN_IF_ERROR(to.SetDisabled(id, true));
    ids[p.id] = id;
    ++stats.principals;
  }

  ASSIGN_OR_RETURN(auto tokens, from.ListTokens(std::nullopt));
  for (TokenRow t : tokens) {
    auto owner = ids.find(t.principal_id);
    if (owner == ids.end()) return Status::DataLoss("token " + std::to_string(t.id) + " has no owner");
    ASSIGN_OR_RETURN(auto there, to.FindToken(t.hash));
    if (there) continue;
    t.principal_id = owner->second;
    ASSIGN_OR_RETURN(int64_t id, to.AddToken(t));
    if (t.last_used_us) RETURN_IF_ERROR(to.TouchToken(id, *t.last_used_us));
    if (t.revoked_us) RETURN_IF_ERROR(to.RevokeToken(id, *t.revoked_us));
    ++stats.tokens;
  }

  for (const PrincipalRow& p : principals) {
    ASSIGN_OR_RETURN(auto roles, from.RolesOf(p.id));
    for (MemberRow m : roles) {
      m.principal_id = ids[p.id];
      RETURN_IF_ERROR(to.PutMember(m));
      ++stats.roles;
    }
  }

  AuditFilter newest;
  newest.limit = 1;
  ASSIGN_OR_RETURN(auto existing, to.ListAudit(newest));
  if (existing.empty()) {
    std::vector<AuditRow> all;  // newest first, a page at a time
    AuditFilter page;
    page.limit = 1000;
    for (;;) {
      ASSIGN_OR_RETURN(auto rows, from.ListAudit(page));
      if (rows.empty()) break;
      page.before_id = rows.back().id;
      all.insert(all.end(), rows.begin(), rows.end());
    }
    std::reverse(all.begin(), all.end());
    for (const AuditRow& a : all) {
      RETURN_IF_ERROR(to.AppendAudit(a));
      ++stats.audit;
    }
  }
  return stats;
}

}  // namespace sextant::storage
