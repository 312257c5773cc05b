// Projects, as neptune-scale's project helpers call them (module.h):
//
//   POST /api/backend/v1/projects  {name, organizationIdentifier, ...} → 200 / 409
//   GET  /api/backend/v1/projects  → {"entries": [{name, organizationName, ...}]}
#include <nlohmann/json.hpp>

#include "api/neptune/module.h"
#include "api/neptune/neptune.h"
#include "api/neptune/respond.h"
#include "auth/accounts.h"
#include "model/types.h"

namespace sextant::api::neptune {
namespace {

nlohmann::json Entry(const storage::ProjectInfo& p) {
  return {{"id", std::to_string(p.id)},
          {"name", p.name},
          {"organizationName", p.workspace},
          {"organizationId", p.workspace},
          {"projectKey", p.name},
          {"visibility", "priv"},
          {"description", ""},
          {"runsCount", p.num_runs}};
}

std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

void AddProjectRoutes(Router::Module& m, Neptune* n) {
  m.Add({"POST", "/api/backend/v1/projects", Permission::kWrite, 64 * 1024,
         [n](Context& c) -> Result<http::Response> {
           auto body = nlohmann::json::parse(c.req.body, nullptr, false);
           if (body.is_discarded() || !body.is_object())
             return Status::InvalidArgument("the body must be a JSON object");
           std::string ws = Str(body, "organizationIdentifier"), name = Str(body, "name");
           // "workspace/name" in `name` is accepted too, as the client's helper allows.
           if (size_t slash = name.find('/'); slash != std::string::npos && ws.empty()) {
             ws = name.substr(0, slash);
             name = name.substr(slash + 1);
           }
           if (ws.empty()) return Status::InvalidArgument("organizationIdentifier (the workspace) is required");
           model::ProjectName p{ws, name};
           RETURN_IF_ERROR(model::ValidateProjectName(p));
           RETURN_IF_ERROR(Require(c, p, auth::Role::kWriter));
           auto made = n->tracker()->CreateProject(p);
           if (!made.ok()) {
             if (made.status().code() == Code::kAlreadyExists)
               return Status::AlreadyExists("project '" + p.Full() + "' already exists");
             return made.status();
           }
           return Json(Entry(*made).dump());
         }});

  m.Add({"GET", "/api/backend/v1/projects", Permission::kRead, 0,
         [n](Context& c) -> Result<http::Response> {
           std::function<bool(const model::ProjectName&)> visible;
           if (c.accounts && !c.caller.IsOwner())
             visible = [&c](const model::ProjectName& p) { return c.caller.RoleOn(p) != auth::Role::kNone; };
           nlohmann::json entries = nlohmann::json::array();
           core::PageRequest page;
           page.limit = model::kMaxPageLimit;
           for (;;) {
             ASSIGN_OR_RETURN(auto got, n->tracker()->ListProjects(page, visible));
             for (const auto& p : got.items) entries.push_back(Entry(p));
             if (got.next_page_token.empty()) break;
             page.page_token = got.next_page_token;
           }
           return Json(nlohmann::json{{"entries", entries}, {"totalItemCount", entries.size()}}.dump());
         }});
}

}  // namespace sextant::api::neptune
