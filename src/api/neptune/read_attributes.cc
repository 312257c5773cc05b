// Attribute definitions and values (read_routes.cc): which attributes
// (name, type) some runs or a whole project have, selected by type and name
// regexes (definitions/query, JSON), and their values per run
// (attributes/query, protobuf), from Tracker::LastValues / FindAttributes
// plus the system attributes kept as run properties (SysAttributes).
#include <map>
#include <set>
#include <unordered_set>

#include "api/neptune/ingest_decode.h"
#include "api/neptune/neptune.h"
#include "api/neptune/nql.h"
#include "api/neptune/read_common.h"
#include "api/neptune/respond.h"

namespace sextant::api::neptune {
namespace {

bool SameProject(const model::ProjectName& a, const model::ProjectName& b) {
  return a.workspace == b.workspace && a.name == b.name;
}

// The runs of experimentIdsFilter (nullopt when absent) and the project,
// from projectIdentifiers, the query string or the run identifiers.
struct Scope {
  model::ProjectName project;
  std::optional<std::vector<std::string>> run_ids;
};

Result<Scope> ParseScope(const Context& c, const nlohmann::json& body) {
  std::optional<model::ProjectName> project;
  auto take = [&](const model::ProjectName& p) -> Status {
    if (project && !SameProject(*project, p))
      return Status::InvalidArgument("one project per request: got '" + project->Full() + "' and '" + p.Full() + "'");
    project = p;
    return Status::Ok();
  };
  ASSIGN_OR_RETURN(const nlohmann::json* projects, OptArray(body, "projectIdentifiers", "projectIdentifiers"));
  if (projects) {
    for (const auto& id : *projects) {
      if (!id.is_string()) return Status::InvalidArgument("projectIdentifiers: each entry is a string");
      ASSIGN_OR_RETURN(auto p, ParseProjectIdentifier(id.get<std::string>()));
      RETURN_IF_ERROR(take(p));
    }
  }
  if (std::string q = c.query.Get("projectIdentifier"); !q.empty()) {
    ASSIGN_OR_RETURN(auto p, ParseProjectIdentifier(q));
    RETURN_IF_ERROR(take(p));
  }
  Scope s;
  ASSIGN_OR_RETURN(const nlohmann::json* ids, OptArray(body, "experimentIdsFilter", "experimentIdsFilter"));
  if (ids) {
    if (ids->size() > model::kNeptuneMaxReadRuns)
      return Status::InvalidArgument("experimentIdsFilter: at most " + std::to_string(model::kNeptuneMaxReadRuns) +
                                     " runs per request");
    s.run_ids.emplace();
    std::unordered_set<std::string> seen;
    for (const auto& id : *ids) {
      if (!id.is_string()) return Status::InvalidArgument("experimentIdsFilter: each entry is a string");
      ASSIGN_OR_RETURN(RunRef r, ParseRunIdentifier(id.get<std::string>()));
      RETURN_IF_ERROR(take(r.project));
      if (seen.insert(r.run_id).second) s.run_ids->push_back(std::move(r.run_id));
    }
  }
  if (!project)
    return Status::InvalidArgument("name the project: projectIdentifiers, the query parameter projectIdentifier, "
                                   "or experimentIdsFilter");
  s.project = *project;
  return s;
}

// A run's attributes under their Neptune names: the system ones first, then
// the stored ones (a stored attribute named like a system one is hidden).
Result<std::vector<storage::AttributeInfo>> AllAttributes(core::Tracker* t, const storage::RunInfo& run) {
  std::vector<storage::AttributeInfo> out = SysAttributes(run);
  std::unordered_set<std::string> sys;
  for (const auto& a : out) sys.insert(a.path);
  ASSIGN_OR_RETURN(auto stored, t->LastValues(run));
  for (auto& a : stored)
    if (!sys.count(a.path)) out.push_back(std::move(a));
  return out;
}

// Found runs; runs that do not exist are skipped (as Neptune does).
Result<std::vector<storage::RunInfo>> FindRuns(core::Tracker* t, const Scope& s) {
  std::vector<storage::RunInfo> runs;
  for (const auto& id : *s.run_ids) {
    auto run = t->GetRun(s.project, id);
    if (run.ok()) {
      runs.push_back(std::move(run).value());
    } else if (run.status().code() != Code::kNotFound) {
      return run.status();
    }
  }
  return runs;
}

}  // namespace

Result<http::Response> QueryDefinitions(Context& c, Neptune* n) {
  ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonObject(c.req.body));
  ASSIGN_OR_RETURN(Scope scope, ParseScope(c, body));
  RETURN_IF_ERROR(Require(c, scope.project, auth::Role::kViewer));
  ASSIGN_OR_RETURN(AttributeSelector sel, AttributeSelector::FromJson(body));
  size_t limit = model::kNeptuneMaxDefinitionsPage, offset = 0;
  ASSIGN_OR_RETURN(const nlohmann::json* next, OptObject(body, "nextPage", "nextPage"));
  if (next) {
    ASSIGN_OR_RETURN(auto l, OptInt(*next, "limit", "nextPage.limit"));
    if (l && (*l < 1 || static_cast<uint64_t>(*l) > model::kNeptuneMaxDefinitionsPage))
      return Status::InvalidArgument("nextPage.limit: expected an integer from 1 to " +
                                     std::to_string(model::kNeptuneMaxDefinitionsPage));
    if (l) limit = static_cast<size_t>(*l);
    ASSIGN_OR_RETURN(auto token, OptString(*next, "nextPageToken", "nextPage.nextPageToken"));
    if (token && !token->empty()) {
      char* end = nullptr;
      unsigned long long o = std::strtoull(token->c_str(), &end, 10);
      if (*end || token->size() > 12) return Status::InvalidArgument("nextPage.nextPageToken: not issued by this server");
      offset = static_cast<size_t>(o);
    }
  }
  std::set<std::pair<std::string, model::AttrType>> defs;
  auto add = [&](const std::string& name, model::AttrType type) {
    if (sel.Matches(name, type)) defs.insert({name, type});
  };
  if (scope.run_ids) {
    ASSIGN_OR_RETURN(auto runs, FindRuns(n->tracker(), scope));
    for (const auto& run : runs) {
      ASSIGN_OR_RETURN(auto attrs, AllAttributes(n->tracker(), run));
      for (const auto& a : attrs) add(a.path, a.type);
    }
  } else {
    storage::RunInfo any;
    any.experiment = "x";
    for (const auto& a : SysAttributes(any)) add(a.path, a.type);
    ASSIGN_OR_RETURN(auto paths, n->tracker()->ProjectPaths(scope.project));
    for (const auto& s : paths)
      for (const auto& [type, count] : s.types)
        if (!SysAttribute(any, s.path)) add(s.path, type);
  }
  nlohmann::json entries = nlohmann::json::array();
  size_t i = 0;
  for (const auto& [name, type] : defs) {
    if (i++ < offset) continue;
    if (entries.size() == limit) break;
    entries.push_back({{"name", name}, {"type", std::string(NeptuneType(type))}});
  }
  nlohmann::json page = nlohmann::json::object();
  if (offset + entries.size() < defs.size()) {
    page["nextPageToken"] = std::to_string(offset + entries.size());
    page["limit"] = limit;
  }
  nlohmann::json out = {{"entries", std::move(entries)}, {"nextPage", std::move(page)}};
  return Json(out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Result<http::Response> QueryAttributes(Context& c, Neptune* n) {
  ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonObject(c.req.body));
  ASSIGN_OR_RETURN(Scope scope, ParseScope(c, body));
  RETURN_IF_ERROR(Require(c, scope.project, auth::Role::kViewer));
  if (!scope.run_ids) return Status::InvalidArgument("experimentIdsFilter is required");
  ASSIGN_OR_RETURN(const nlohmann::json* names_json, OptArray(body, "attributeNamesFilter", "attributeNamesFilter"));
  std::optional<std::vector<std::string>> names;
  std::map<std::string, std::vector<std::string>> by_path;  // Sextant path → Neptune names asked for
  if (names_json) {
    if (names_json->size() > model::kNeptuneMaxReadAttributes)
      return Status::InvalidArgument("attributeNamesFilter: at most " +
                                     std::to_string(model::kNeptuneMaxReadAttributes) + " names");
    names.emplace();
    std::unordered_set<std::string> seen;
    for (const auto& v : *names_json) {
      if (!v.is_string()) return Status::InvalidArgument("attributeNamesFilter: each entry is a string");
      std::string name = v.get<std::string>();
      if (!seen.insert(name).second) continue;
      names->push_back(name);
      std::string path = SextantPath(name);
      if (model::ValidatePath(path).ok()) by_path[path].push_back(name);
    }
  }
  ASSIGN_OR_RETURN(AttributeSelector sel, AttributeSelector::FromJson(body));
  ASSIGN_OR_RETURN(auto runs, FindRuns(n->tracker(), scope));
  pb::ProtoQueryAttributesResultDTO out;
  for (const auto& run : runs) {
    auto* e = out.add_entries();
    e->set_experimentid(run.run_id);
    e->set_experimentshortid(run.run_id);
    FileLookup files = RunFiles(n->tracker(), scope.project, run.run_id);
    if (names) {
      std::vector<std::string> stored_paths;
      for (const auto& name : *names) {
        if (auto a = SysAttribute(run, name)) {
          ToProtoAttribute(name, *a, files, e->add_attributes());
        }
      }
      for (const auto& [path, ns] : by_path) stored_paths.push_back(path);
      ASSIGN_OR_RETURN(auto found, n->tracker()->FindAttributes(run, stored_paths));
      for (const auto& a : found) {
        auto it = by_path.find(a.path);
        if (it == by_path.end()) continue;
        for (const auto& name : it->second) {
          if (SysAttribute(run, name)) continue;
          if (!sel.AnyType() && !sel.Matches(name, a.type)) continue;
          ToProtoAttribute(name, a, files, e->add_attributes());
        }
      }
    } else {
      ASSIGN_OR_RETURN(auto attrs, AllAttributes(n->tracker(), run));
      for (const auto& a : attrs)
        if (sel.Matches(a.path, a.type)) ToProtoAttribute(a.path, a, files, e->add_attributes());
    }
  }
  out.mutable_nextpage();  // no token: everything was answered
  return Proto(out);
}

}  // namespace sextant::api::neptune
