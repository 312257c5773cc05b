#include "auth/caller.h"

#include <algorithm>

namespace sextant::auth {
namespace {

bool TokenAllows(const Caller& c, const std::string& workspace, const std::string* project) {
  if (c.token_projects.empty()) return true;
  for (const auto& pattern : c.token_projects) {
    size_t slash = pattern.find('/');
    if (slash == std::string::npos || pattern.compare(0, slash, workspace) != 0 || slash != workspace.size())
      continue;
    std::string_view rest = std::string_view(pattern).substr(slash + 1);
    if (rest == "*") return true;
    if (project && rest == *project) return true;
  }
  return false;
}

Role Cap(const Caller& c, Role r) {
  if (c.token_max_role != Role::kNone && static_cast<int>(r) > static_cast<int>(c.token_max_role))
    return c.token_max_role;
  return r;
}

}  // namespace

bool Caller::IsOwner() const {
  if (via == Via::kOpen || via == Via::kLocal) return true;
  return owner && signed_in() && !restricted();
}

Role Caller::RoleOn(const model::ProjectName& p) const {
  if (via == Via::kOpen || via == Via::kLocal) return Role::kAdmin;
  if (!signed_in() || !TokenAllows(*this, p.workspace, &p.name)) return Role::kNone;
  if (owner) return Cap(*this, Role::kAdmin);
  int best = 0;
  for (const auto& m : roles)
    if (m.workspace == p.workspace && (m.project.empty() || m.project == p.name))
      best = std::max(best, m.role);
  return Cap(*this, static_cast<Role>(best));
}

Role Caller::RoleOnWorkspace(const std::string& workspace) const {
  if (via == Via::kOpen || via == Via::kLocal) return Role::kAdmin;
  if (!signed_in() || !TokenAllows(*this, workspace, nullptr)) return Role::kNone;
  if (owner) return Cap(*this, Role::kAdmin);
  int best = 0;
  for (const auto& m : roles)
    if (m.workspace == workspace && m.project.empty()) best = std::max(best, m.role);
  return Cap(*this, static_cast<Role>(best));
}

std::string DisplayName(const Caller& c) {
  switch (c.via) {
    case Caller::Via::kAnonymous: return "";
    case Caller::Via::kOpen: return "(anonymous, no accounts)";
    case Caller::Via::kLocal: return "(local command)";
    default: return c.name;
  }
}

}  // namespace sextant::auth
