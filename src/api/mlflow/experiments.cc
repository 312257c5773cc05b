#include "api/mlflow/experiments.h"

#include <algorithm>
#include <cstdlib>

#include "api/mlflow/respond.h"
#include "auth/accounts.h"

namespace sextant::api::mlflow {

namespace {

constexpr char kDefaultProject[] = "Default";
constexpr char kNameProperty[] = "mlflow.name";
constexpr char kLifecycleProperty[] = "mlflow.lifecycle";
constexpr char kTagPrefix[] = "mlflow.tag.";

bool IsProjectPart(std::string_view s) {
  return model::ValidateProjectPart(s, "name").ok();
}

// A project name for an experiment name that is not one.
std::string Slug(std::string_view name) {
  std::string out;
  for (char ch : name) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-';
    if (ok)
      out += ch;
    else if (!out.empty() && out.back() != '-')
      out += '-';
    if (out.size() >= 100) break;
  }
  while (!out.empty() && (out.back() == '-' || out.back() == '.')) out.pop_back();
  while (!out.empty() && out.front() == '.') out.erase(0, 1);
  return out.empty() ? std::string("experiment") : out;
}

Status NoExperimentId(const std::string& id) {
  return Status::NotFound("No Experiment with id=" + id + " exists");
}

}  // namespace

std::string ArtifactUri(const std::string& experiment_id, const std::string& run_id) {
  return "mlflow-artifacts:/" + experiment_id + "/" + run_id + "/artifacts";
}

Status Experiments::Require(Context& c, const model::ProjectName& p, auth::Role role) const {
  if (!c.accounts) return Status::Ok();
  return c.accounts->RequireProject(c.caller, p, role);
}

Result<Experiment> Experiments::FromProject(const storage::ProjectInfo& p) {
  Experiment e;
  e.project = {p.workspace, p.name};
  e.project_id = p.id;
  bool is_default = p.workspace == workspace_ && p.name == kDefaultProject;
  e.id = is_default ? "0" : std::to_string(p.id);
  e.created_us = e.updated_us = p.created_us;
  e.name = p.workspace == workspace_ ? p.name : p.workspace + "/" + p.name;
  ASSIGN_OR_RETURN(auto props, t_->ProjectProperties(p.id));
  for (auto& [k, v] : props) {
    if (k == kNameProperty) {
      e.name = v;
    } else if (k == kLifecycleProperty) {
      e.deleted = v == "deleted";
    } else if (k == core::Tracker::kUpdatedProperty) {
      e.updated_us = std::max<int64_t>(e.updated_us, std::atoll(v.c_str()));
    } else if (k.starts_with(kTagPrefix)) {
      e.tags.emplace_back(k.substr(sizeof(kTagPrefix) - 1), v);
    }
  }
  return e;
}

Result<Experiment> Experiments::Default() {
  model::ProjectName p{workspace_, kDefaultProject};
  auto info = t_->GetProject(p);
  if (info.ok()) return FromProject(*info);
  if (info.status().code() != Code::kNotFound) return info.status();
  Experiment e;  // not created yet: it appears with its first run
  e.id = "0";
  e.project = p;
  e.name = kDefaultProject;
  return e;
}

Result<Experiment> Experiments::Materialize(Experiment e) {
  if (e.project_id != 0) return e;
  auto created = t_->CreateProject(e.project);
  if (!created.ok() && created.status().code() != Code::kAlreadyExists) return created.status();
  ASSIGN_OR_RETURN(auto info, t_->GetProject(e.project));
  return FromProject(info);
}

Result<Experiment> Experiments::ById(Context& c, const std::string& id, auth::Role role) {
  Experiment e;
  if (id == "0") {
    ASSIGN_OR_RETURN(e, Default());
  } else {
    char* end = nullptr;
    long long n = std::strtoll(id.c_str(), &end, 10);
    if (id.empty() || *end || n <= 0) return NoExperimentId(id);
    auto info = t_->GetProjectById(n);
    if (!info.ok()) {
      if (info.status().code() == Code::kNotFound) return NoExperimentId(id);
      return info.status();
    }
    ASSIGN_OR_RETURN(e, FromProject(*info));
    if (e.id != id) return NoExperimentId(id);  // the default project is only "0"
  }
  Status st = Require(c, e.project, role);
  if (st.code() == Code::kNotFound) return NoExperimentId(id);
  RETURN_IF_ERROR(st);
  return e;
}

Result<Experiment> Experiments::ByName(Context& c, const std::string& name, auth::Role role) {
  auto missing = [&] {
    return Status::NotFound("Could not find experiment with name '" + name + "'");
  };
  std::optional<Experiment> found;
  ASSIGN_OR_RETURN(auto ids, t_->FindProjectsByProperty(kNameProperty, name));
  for (int64_t id : ids) {
    ASSIGN_OR_RETURN(auto info, t_->GetProjectById(id));
    ASSIGN_OR_RETURN(found, FromProject(info));
    break;
  }
  if (!found) {
    model::ProjectName p;
    size_t slash = name.find('/');
    if (slash != std::string::npos) {
      p = {name.substr(0, slash), name.substr(slash + 1)};
    } else {
      p = {workspace_, name};
    }
    if (!IsProjectPart(p.workspace) || !IsProjectPart(p.name)) return missing();
    if (p.workspace == workspace_ && p.name == kDefaultProject) {
      ASSIGN_OR_RETURN(found, Default());
    } else {
      auto info = t_->GetProject(p);
      if (!info.ok()) {
        if (info.status().code() == Code::kNotFound) return missing();
        return info.status();
      }
      ASSIGN_OR_RETURN(found, FromProject(*info));
    }
    if (found->name != name) return missing();  // renamed: known by its new name
  }
  Status st = Require(c, found->project, role);
  if (st.code() == Code::kNotFound) return missing();
  RETURN_IF_ERROR(st);
  return *found;
}

Result<Experiment> Experiments::Create(
    Context& c, const std::string& name,
    const std::vector<std::pair<std::string, std::string>>& tags) {
  if (name.empty())
    return Status::InvalidArgument("Invalid experiment name: ''. Experiment names must be non-empty");
  {
    auto existing = ByName(c, name, auth::Role::kViewer);
    if (existing.ok())
      return Status::AlreadyExists("Experiment '" + name + "' already exists.");
    if (existing.status().code() != Code::kNotFound) return existing.status();
  }
  model::ProjectName p;
  bool needs_name = false;
  size_t slash = name.find('/');
  if (slash != std::string::npos && IsProjectPart(name.substr(0, slash)) &&
      IsProjectPart(name.substr(slash + 1))) {
    p = {name.substr(0, slash), name.substr(slash + 1)};
  } else if (slash == std::string::npos && IsProjectPart(name)) {
    p = {workspace_, name};
  } else {
    p = {workspace_, Slug(name)};
    needs_name = true;
  }
  RETURN_IF_ERROR(Require(c, p, auth::Role::kWriter));
  std::string base = p.name;
  for (int attempt = 1;; ++attempt) {
    auto info = t_->CreateProject(p);
    if (info.ok()) {
      std::vector<std::pair<std::string, std::string>> props;
      if (needs_name) props.emplace_back(kNameProperty, name);
      for (const auto& [k, v] : tags) props.emplace_back(kTagPrefix + k, v);
      if (!props.empty()) RETURN_IF_ERROR(t_->UpdateProjectProperties(info->id, props, {}));
      return FromProject(*info);
    }
    if (info.status().code() != Code::kAlreadyExists) return info.status();
    if (!needs_name || attempt >= 100)
      return Status::AlreadyExists("Experiment '" + name + "' already exists.");
    p.name = base + "-" + std::to_string(attempt + 1);
  }
}

Result<std::vector<Experiment>> Experiments::List(Context& c) {
  std::vector<Experiment> out;
  bool have_default = false;
  core::PageRequest page;
  page.limit = model::kMaxPageLimit;
  for (;;) {
    ASSIGN_OR_RETURN(auto got, t_->ListProjects(page, [&](const model::ProjectName& p) {
      return Require(c, p, auth::Role::kViewer).ok();
    }));
    for (const auto& info : got.items) {
      ASSIGN_OR_RETURN(Experiment e, FromProject(info));
      if (e.id == "0") have_default = true;
      out.push_back(std::move(e));
    }
    if (got.next_page_token.empty()) break;
    page.page_token = got.next_page_token;
  }
  if (!have_default && Require(c, {workspace_, kDefaultProject}, auth::Role::kViewer).ok()) {
    ASSIGN_OR_RETURN(Experiment d, Default());
    out.push_back(std::move(d));
  }
  return out;
}

Status Experiments::Rename(const Experiment& e, const std::string& new_name) {
  if (new_name.empty())
    return Status::InvalidArgument("Invalid experiment name: ''. Experiment names must be non-empty");
  if (e.project_id == 0) return Status::InvalidArgument("The default experiment cannot be renamed");
  ASSIGN_OR_RETURN(auto ids, t_->FindProjectsByProperty(kNameProperty, new_name));
  for (int64_t id : ids)
    if (id != e.project_id)
      return Status::AlreadyExists("Experiment '" + new_name + "' already exists.");
  return t_->UpdateProjectProperties(e.project_id, {{kNameProperty, new_name}}, {});
}

Status Experiments::SetLifecycle(const Experiment& e, bool deleted) {
  if (e.id == "0" && deleted)
    return Status::InvalidArgument("Cannot delete the default experiment '0'. This is an internal "
                                   "experiment that must remain active.");
  ASSIGN_OR_RETURN(Experiment m, Materialize(e));
  if (deleted) return t_->UpdateProjectProperties(m.project_id, {{kLifecycleProperty, "deleted"}}, {});
  return t_->UpdateProjectProperties(m.project_id, {}, {kLifecycleProperty});
}

Status Experiments::SetTag(const Experiment& e, const std::string& key, const std::string& value) {
  ASSIGN_OR_RETURN(Experiment m, Materialize(e));
  return t_->UpdateProjectProperties(m.project_id, {{kTagPrefix + key, value}}, {});
}

Status Experiments::DeleteTag(const Experiment& e, const std::string& key) {
  bool has = false;
  for (const auto& [k, v] : e.tags) has = has || k == key;
  if (!has)
    return Status::NotFound("No tag with name: " + key + " in experiment with id " + e.id);
  return t_->UpdateProjectProperties(e.project_id, {}, {kTagPrefix + key});
}

Result<std::string> Experiments::RunIdArg(const Args& a) {
  ASSIGN_OR_RETURN(auto id, a.Str("run_id"));
  if (!id || id->empty()) {
    ASSIGN_OR_RETURN(id, a.Str("run_uuid"));
  }
  if (!id || id->empty())
    return Status::InvalidArgument("Missing value for required parameter 'run_id'. See the API "
                                   "docs for more information about request parameters.");
  return *id;
}

Result<RunRef> Experiments::Run(Context& c, const std::string& run_id, auth::Role role) {
  auto missing = [&] { return Status::NotFound("Run with id=" + run_id + " not found"); };
  if (!model::ValidateRunId(run_id).ok()) return missing();
  ASSIGN_OR_RETURN(auto runs, t_->FindRuns(run_id, 16));
  std::vector<RunRef> visible;
  for (auto& r : runs) {
    ASSIGN_OR_RETURN(auto info, t_->GetProjectById(r.project_id));
    if (!Require(c, {info.workspace, info.name}, auth::Role::kViewer).ok()) continue;
    ASSIGN_OR_RETURN(Experiment e, FromProject(info));
    visible.push_back({std::move(e), std::move(r)});
  }
  if (visible.empty()) return missing();
  if (visible.size() > 1) {
    std::string where;
    for (const auto& v : visible) where += (where.empty() ? "" : ", ") + v.experiment.project.Full();
    return Status::InvalidArgument("Run id '" + run_id + "' names runs in several projects (" +
                                   where + "); MLflow needs run ids that are unique on the server");
  }
  RETURN_IF_ERROR(Require(c, visible[0].experiment.project, role));
  return std::move(visible[0]);
}

}  // namespace sextant::api::mlflow
