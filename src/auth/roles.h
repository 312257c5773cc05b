// Roles on a project or workspace, from least to most.
#pragma once

#include <optional>
#include <string_view>

namespace sextant::auth {

enum class Role : int {
  kNone = 0,
  kViewer = 1,  // read
  kWriter = 2,  // create and log runs, upload files, save views
  kAdmin = 3,   // delete, manage members
};

std::string_view RoleName(Role r);  // "viewer" … ("none" for kNone)
std::optional<Role> ParseRole(std::string_view s);  // viewer | writer | admin

}  // namespace sextant::auth
