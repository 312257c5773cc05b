// sextant token create --neptune (commands.h).
#include <cstdio>
#include <filesystem>

#include "api/neptune/api_token.h"
#include "api/neptune/ingest_decode.h"
#include "cli/commands.h"
#include "core/tracker.h"
#include "storage/open_backend.h"

namespace sextant::cli {

Status CreateNeptuneToken(auth::Accounts& a, const NeptuneTokenRequest& r) {
  auth::Caller local = auth::Accounts::Local();
  ASSIGN_OR_RETURN(model::ProjectName project, api::neptune::ParseProjectIdentifier(r.project));
  std::string user = r.user;
  if (user.empty()) {
    ASSIGN_OR_RETURN(auto principals, a.ListPrincipals(local));
    std::vector<std::string> owners;
    for (const auto& p : principals)
      if (p.owner && !p.disabled && !p.service) owners.push_back(p.name);
    if (owners.empty())
      return Status::InvalidArgument("no accounts yet: create the owner first with `sextant admin init`");
    if (owners.size() > 1) return Status::InvalidArgument("several owners: say whose token it is with --user NAME");
    user = owners[0];
  }
  if (r.url.rfind("http://", 0) != 0 && r.url.rfind("https://", 0) != 0)
    return Status::InvalidArgument("--url must start with http:// or https://");

  // Neptune's clients need the project to exist (they do not create it).
  storage::StoreOptions so;
  so.url = r.store;
  so.default_sqlite_path = (std::filesystem::path(r.data_dir) / "sextant.db").string();
  std::error_code ec;
  std::filesystem::create_directories(r.data_dir, ec);
  ASSIGN_OR_RETURN(auto backend, storage::OpenBackend(so));
  auto made = backend->CreateProject(project, core::NowMicros());
  bool created = made.ok();
  if (!made.ok() && made.status().code() != Code::kAlreadyExists) return made.status();
  RETURN_IF_ERROR(backend->Close());

  auth::NewToken t;
  t.principal = user;
  t.name = r.label;
  t.projects = {project.Full()};
  ASSIGN_OR_RETURN(auto token, a.CreateToken(local, t));
  std::string url = r.url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  std::printf("%s project '%s'; created API token %lld for '%s', limited to it.\n",
              created ? "created" : "using", project.Full().c_str(), static_cast<long long>(token.token.id),
              user.c_str());
  std::printf("Use it as NEPTUNE_API_TOKEN (with NEPTUNE_PROJECT=%s); it is shown only now:\n",
              project.Full().c_str());
  std::printf("%s\n", api::neptune::EncodeApiToken({url, token.secret}).c_str());
  return Status::Ok();
}

}  // namespace sextant::cli
