// sextant admin init | user | token | member | audit: accounts on the
// server's own store, as its operator (auth::Accounts::Local()). Each prints
// a new secret, when there is one, alone on its last line.
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "auth/accounts.h"
#include "auth/secrets.h"
#include "cli/commands.h"

namespace sextant::cli {
namespace {

constexpr char kAccountUsage[] =
    "usage: sextant admin init [--name NAME] [--password-stdin]\n"
    "       sextant user add NAME [--service] [--owner] [--password-stdin]\n"
    "       sextant user list\n"
    "       sextant user disable NAME\n"
    "       sextant token create --user NAME [--name LABEL] [--project WS/P|WS/*]...\n"
    "                            [--role viewer|writer|admin] [--expires DAYS]\n"
    "       sextant token create --neptune --project WS/P [--user NAME] [--url URL] [--store URL]\n"
    "                            a NEPTUNE_API_TOKEN for neptune-scale/neptune-query\n"
    "       sextant token list [--user NAME]\n"
    "       sextant token revoke ID\n"
    "       sextant member add PRINCIPAL WS/P|WS/* viewer|writer|admin\n"
    "       sextant member remove PRINCIPAL WS/P|WS/*\n"
    "       sextant member list WS/P|WS/*\n"
    "       sextant audit [--principal NAME] [--action ACTION] [--limit N]\n"
    "\n"
    "All take --data DIR (default ./sextant-data), and --store URL when the server\n"
    "runs with --store postgresql://… (accounts live beside the runs there).\n";

// Flags that take a value; the others are switches.
const std::set<std::string> kValueFlags = {"--data", "--store", "--name", "--user", "--project", "--role",
                                           "--expires", "--principal", "--action", "--limit", "--url"};
const std::set<std::string> kSwitches = {"--service", "--owner", "--password-stdin", "--neptune", "-h",
                                         "--help"};

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> flags;
  std::string Flag(const std::string& f, const std::string& fallback = "") const {
    auto it = flags.find(f);
    return it == flags.end() || it->second.empty() ? fallback : it->second.back();
  }
  bool Has(const std::string& f) const { return flags.count(f) > 0; }
};

Result<Args> Parse(int argc, char** argv, int from) {
  Args a;
  for (int i = from; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("-", 0) != 0) {
      a.positional.push_back(s);
    } else if (kValueFlags.count(s)) {
      if (i + 1 >= argc) return Status::InvalidArgument(s + " needs a value");
      a.flags[s].push_back(argv[++i]);
    } else if (kSwitches.count(s)) {
      a.flags[s];
    } else {
      return Status::InvalidArgument("unknown option '" + s + "'");
    }
  }
  return a;
}

std::string ReadPassword() {
  std::string line;
  std::getline(std::cin, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::string Time(std::optional<int64_t> us) {
  if (!us) return "-";
  std::time_t t = *us / 1'000'000;
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::gmtime(&t));
  return buf;
}

// "ws/p" → (ws, p); "ws/*" → (ws, "").
Result<std::pair<std::string, std::string>> Scope(const std::string& s) {
  RETURN_IF_ERROR(auth::ValidateProjectPattern(s));
  size_t slash = s.find('/');
  std::string project = s.substr(slash + 1);
  return std::make_pair(s.substr(0, slash), project == "*" ? "" : project);
}

Status Init(auth::Accounts& a, const Args& args) {
  ASSIGN_OR_RETURN(bool has_owner, a.HasOwner());
  if (has_owner) return Status::AlreadyExists("this server has an owner already; use `sextant user add`");
  auth::NewPrincipal p;
  p.name = args.Flag("--name", "admin");
  p.owner = true;
  if (args.Has("--password-stdin")) p.password = ReadPassword();
  ASSIGN_OR_RETURN(auto row, a.AddPrincipal(auth::Accounts::Local(), p));
  ASSIGN_OR_RETURN(auto token, a.CreateToken(auth::Accounts::Local(), {row.name, "admin init"}));
  std::printf("created owner '%s'%s and API token %lld; use it as SEXTANT_API_TOKEN:\n", row.name.c_str(),
              p.password.empty() ? " (no password: set one by passing --password-stdin)" : "",
              static_cast<long long>(token.token.id));
  std::printf("%s\n", token.secret.c_str());
  return Status::Ok();
}

Status User(auth::Accounts& a, const Args& args) {
  const auto& pos = args.positional;
  std::string verb = pos.size() > 0 ? pos[0] : "";
  auth::Caller local = auth::Accounts::Local();
  if (verb == "add" && pos.size() == 2) {
    auth::NewPrincipal p;
    p.name = pos[1];
    p.service = args.Has("--service");
    p.owner = args.Has("--owner");
    bool generated = false;
    if (args.Has("--password-stdin")) {
      p.password = ReadPassword();
    } else if (!p.service) {
      p.password = auth::NewSecret("").substr(0, 20);
      generated = true;
    }
    ASSIGN_OR_RETURN(auto row, a.AddPrincipal(local, p));
    if (p.service) {
      ASSIGN_OR_RETURN(auto token, a.CreateToken(local, {row.name, "created with the account"}));
      std::printf("created service account '%s' and API token %lld:\n", row.name.c_str(),
                  static_cast<long long>(token.token.id));
      std::printf("%s\n", token.secret.c_str());
    } else if (generated) {
      std::printf("created user '%s'%s; its password:\n", row.name.c_str(), p.owner ? " (owner)" : "");
      std::printf("%s\n", p.password.c_str());
    } else {
      std::printf("created user '%s'%s\n", row.name.c_str(), p.owner ? " (owner)" : "");
    }
    return Status::Ok();
  }
  if (verb == "list" && pos.size() == 1) {
    ASSIGN_OR_RETURN(auto users, a.ListPrincipals(local));
    std::printf("%-24s %-8s %-6s %-9s %s\n", "NAME", "KIND", "OWNER", "DISABLED", "CREATED");
    for (const auto& u : users)
      std::printf("%-24s %-8s %-6s %-9s %s\n", u.name.c_str(), u.service ? "service" : "user",
                  u.owner ? "yes" : "no", u.disabled ? "yes" : "no", Time(u.created_us).c_str());
    return Status::Ok();
  }
  if (verb == "disable" && pos.size() == 2) {
    RETURN_IF_ERROR(a.DisablePrincipal(local, pos[1]).status());
    std::printf("disabled '%s': its tokens and sessions stop working now\n", pos[1].c_str());
    return Status::Ok();
  }
  return Status::InvalidArgument("expected: user add NAME | user list | user disable NAME");
}

Status Token(auth::Accounts& a, const Args& args) {
  const auto& pos = args.positional;
  std::string verb = pos.size() > 0 ? pos[0] : "";
  auth::Caller local = auth::Accounts::Local();
  if (verb == "create" && pos.size() == 1 && args.Has("--neptune")) {
    if (!args.flags.count("--project") || args.flags.at("--project").size() != 1)
      return Status::InvalidArgument("token create --neptune needs one --project WS/P");
    return CreateNeptuneToken(a, {args.Flag("--data", "sextant-data"), args.Flag("--user"),
                                  args.Flag("--project"), args.Flag("--url", "http://127.0.0.1:5050"),
                                  args.Flag("--name", "neptune"), args.Flag("--store")});
  }
  if (verb == "create" && pos.size() == 1) {
    auth::NewToken t;
    t.principal = args.Flag("--user");
    if (t.principal.empty()) return Status::InvalidArgument("token create needs --user NAME");
    t.name = args.Flag("--name", "cli");
    if (args.flags.count("--project")) t.projects = args.flags.at("--project");
    if (args.Has("--role")) {
      auto r = auth::ParseRole(args.Flag("--role"));
      if (!r) return Status::InvalidArgument("--role: viewer, writer or admin");
      t.max_role = *r;
    }
    if (args.Has("--expires")) {
      std::string d = args.Flag("--expires");
      if (!d.empty() && d.back() == 'd') d.pop_back();
      char* end = nullptr;
      long days = std::strtol(d.c_str(), &end, 10);
      if (d.empty() || *end || days < 1 || days > 3650)
        return Status::InvalidArgument("--expires: a number of days from 1 to 3650");
      t.expires_us = a.Now() + days * 86'400'000'000LL;
    }
    ASSIGN_OR_RETURN(auto made, a.CreateToken(local, t));
    std::printf("created API token %lld for '%s' (expires %s); it is shown only now:\n",
                static_cast<long long>(made.token.id), made.token.principal.c_str(),
                Time(made.token.expires_us).c_str());
    std::printf("%s\n", made.secret.c_str());
    return Status::Ok();
  }
  if (verb == "list" && pos.size() == 1) {
    ASSIGN_OR_RETURN(auto tokens, a.ListTokens(local, true, args.Flag("--user")));
    std::printf("%-5s %-16s %-20s %-7s %-19s %-19s %s\n", "ID", "PRINCIPAL", "NAME", "ROLE", "EXPIRES",
                "LAST USED", "PROJECTS");
    for (const auto& t : tokens) {
      std::string projects;
      for (const auto& p : t.projects) projects += (projects.empty() ? "" : ",") + p;
      std::string role = t.revoked_us ? "REVOKED"
                         : t.max_role ? std::string(auth::RoleName(static_cast<auth::Role>(t.max_role)))
                                      : "-";
      std::printf("%-5lld %-16s %-20s %-7s %-19s %-19s %s\n", static_cast<long long>(t.id),
                  t.principal.c_str(), t.name.c_str(), role.c_str(), Time(t.expires_us).c_str(),
                  Time(t.last_used_us).c_str(), projects.empty() ? "*" : projects.c_str());
    }
    return Status::Ok();
  }
  if (verb == "revoke" && pos.size() == 2) {
    char* end = nullptr;
    long long id = std::strtoll(pos[1].c_str(), &end, 10);
    if (*end || id <= 0) return Status::InvalidArgument("token revoke ID: ID is a number (see token list)");
    RETURN_IF_ERROR(a.RevokeToken(local, id));
    std::printf("revoked token %lld: it is refused from its next request\n", id);
    return Status::Ok();
  }
  return Status::InvalidArgument("expected: token create --user NAME | token list | token revoke ID");
}

Status Member(auth::Accounts& a, const Args& args) {
  const auto& pos = args.positional;
  std::string verb = pos.size() > 0 ? pos[0] : "";
  auth::Caller local = auth::Accounts::Local();
  if (verb == "add" && pos.size() == 4) {
    ASSIGN_OR_RETURN(auto scope, Scope(pos[2]));
    auto role = auth::ParseRole(pos[3]);
    if (!role) return Status::InvalidArgument("the role is viewer, writer or admin");
    RETURN_IF_ERROR(a.PutMember(local, scope.first, scope.second, pos[1], *role).status());
    std::printf("%s is %s on %s\n", pos[1].c_str(), pos[3].c_str(), pos[2].c_str());
    return Status::Ok();
  }
  if (verb == "remove" && pos.size() == 3) {
    ASSIGN_OR_RETURN(auto scope, Scope(pos[2]));
    RETURN_IF_ERROR(a.RemoveMember(local, scope.first, scope.second, pos[1]));
    std::printf("removed %s from %s\n", pos[1].c_str(), pos[2].c_str());
    return Status::Ok();
  }
  if (verb == "list" && pos.size() == 2) {
    ASSIGN_OR_RETURN(auto scope, Scope(pos[1]));
    ASSIGN_OR_RETURN(auto members, a.ListMembers(local, scope.first, scope.second));
    std::printf("%-24s %-7s %s\n", "PRINCIPAL", "ROLE", "ON");
    for (const auto& m : members)
      std::printf("%-24s %-7s %s/%s\n", m.principal.c_str(),
                  std::string(auth::RoleName(static_cast<auth::Role>(m.role))).c_str(), m.workspace.c_str(),
                  m.project.empty() ? "*" : m.project.c_str());
    return Status::Ok();
  }
  return Status::InvalidArgument("expected: member add PRINCIPAL WS/P ROLE | member remove PRINCIPAL WS/P | member list WS/P");
}

Status Audit(auth::Accounts& a, const Args& args) {
  storage::AuditFilter f;
  f.principal = args.Flag("--principal");
  f.action = args.Flag("--action");
  char* end = nullptr;
  std::string limit = args.Flag("--limit", "100");
  long n = std::strtol(limit.c_str(), &end, 10);
  if (*end || n < 1 || n > 100000) return Status::InvalidArgument("--limit: 1 to 100000");
  f.limit = static_cast<size_t>(n);
  ASSIGN_OR_RETURN(auto rows, a.ListAudit(auth::Accounts::Local(), f));
  std::printf("%-19s %-20s %-16s %-18s %-28s %s\n", "TIME (UTC)", "PRINCIPAL", "ADDRESS", "ACTION", "TARGET",
              "DETAIL");
  for (auto it = rows.rbegin(); it != rows.rend(); ++it)
    std::printf("%-19s %-20s %-16s %-18s %-28s %s\n", Time(it->time_us).c_str(), it->principal.c_str(),
                it->address.c_str(), it->action.c_str(), it->target.c_str(), it->detail.c_str());
  return Status::Ok();
}

}  // namespace

int AccountCommand(int argc, char** argv) {
  std::string cmd = argv[1];
  auto args = Parse(argc, argv, 2);
  if (!args.ok()) return Fail(args.status().message() + "\n" + kAccountUsage);
  if (args->Has("--help") || args->Has("-h")) {
    std::fputs(kAccountUsage, stdout);
    return 0;
  }
  auto accounts = auth::Accounts::Open(args->Flag("--data", "sextant-data"), {}, args->Flag("--store"));
  if (!accounts.ok()) return Fail(accounts.status().ToString());
  auth::Accounts& a = *accounts.value();
  Status st;
  if (cmd == "admin") {
    if (args->positional.size() != 1 || args->positional[0] != "init")
      return Fail(std::string("expected: admin init\n") + kAccountUsage);
    st = Init(a, *args);
  } else if (cmd == "user") {
    st = User(a, *args);
  } else if (cmd == "token") {
    st = Token(a, *args);
  } else if (cmd == "member") {
    st = Member(a, *args);
  } else {
    st = Audit(a, *args);
  }
  if (!st.ok()) return Fail(st.message());
  return 0;
}

int Fail(const std::string& msg) {
  std::fprintf(stderr, "sextant: %s\n", msg.c_str());
  return 2;
}

}  // namespace sextant::cli
