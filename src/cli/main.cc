// The `sextant` command.
//
//   sextant serve [options]                 the server (cli/serve.cc)
//   sextant admin init | user | token | member | audit   accounts (cli/account_commands.cc)
//   sextant version
#include <cstdio>
#include <string>

#include "cli/commands.h"

namespace {

constexpr char kUsage[] =
    "usage: sextant serve [--data DIR] [--host H] [--port P] [--web-dir DIR] [options]\n"
    "                                        run the server (sextant serve --help)\n"
    "       sextant admin init               create the first owner; prints a token\n"
    "       sextant user add|list|disable    users and service accounts\n"
    "       sextant token create|list|revoke API tokens\n"
    "       sextant member add|remove|list   roles on projects and workspaces\n"
    "       sextant audit                    the audit log\n"
    "       sextant version\n"
    "\n"
    "Account commands take --data DIR (default ./sextant-data) and work while the\n"
    "server runs; `sextant COMMAND --help` tells more.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "serve") return sextant::cli::Serve(argc, argv);
  if (cmd == "admin" || cmd == "user" || cmd == "token" || cmd == "member" || cmd == "audit")
    return sextant::cli::AccountCommand(argc, argv);
  if (cmd == "version" || cmd == "--version") {
    std::puts("sextant 0.1.0");
    return 0;
  }
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  return sextant::cli::Fail("unknown command '" + cmd + "'\n" + kUsage);
}
