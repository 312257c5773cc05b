#include "auth/roles.h"

namespace sextant::auth {

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kNone: return "none";
    case Role::kViewer: return "viewer";
    case Role::kWriter: return "writer";
    case Role::kAdmin: return "admin";
  }
  return "none";
}

std::optional<Role> ParseRole(std::string_view s) {
  if (s == "viewer") return Role::kViewer;
  if (s == "writer") return Role::kWriter;
  if (s == "admin") return Role::kAdmin;
  return std::nullopt;
}

}  // namespace sextant::auth
