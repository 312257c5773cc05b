// The `sextant` command.
//
//   sextant serve [options]                 the server (cli/serve.cc)
//   sextant admin init | user | token | member | audit   accounts (cli/account_commands.cc)
//   sextant migrate --from URL --to URL     copy a store (cli/migrate.cc)
//   sextant version
//   sextant sync | import | export          the Python package's commands
//
// One CLI: the server binary runs the Python package's commands through
// `python3 -m sextant` ($SEXTANT_PYTHON to choose the interpreter), and the
// Python package's `sextant` script runs the server's commands through this
// binary, so either `sextant` on PATH takes every command.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

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
    "       sextant migrate --from URL --to URL   copy a store (SQLite <-> PostgreSQL)\n"
    "       sextant version\n"
    "       sextant sync|import|export       the Python package's commands (pip install sextant)\n"
    "\n"
    "Account commands take --data DIR (default ./sextant-data) and work while the\n"
    "server runs; `sextant COMMAND --help` tells more.\n";

// Runs `python3 -m sextant ARGS` in place of this process; on failure says
// how to get the Python package.
int RunPythonCommand(int argc, char** argv) {
  const char* env = std::getenv("SEXTANT_PYTHON");
  std::string python = env && *env ? env : "python3";
  // Checked in Python, so that a missing package gets a clear message rather
  // than "No module named sextant".
  static const char kScript[] =
      "import sys\n"
      "try:\n"
      "    from sextant._cli import main\n"
      "except ImportError as e:\n"
      "    sys.stderr.write('sextant ' + sys.argv[1] + ': this command is in the Python package, '\n"
      "                     'which ' + sys.executable + ' cannot import (' + str(e) + '): '\n"
      "                     'pip install \"sextant[import]\" (from clients/python)\\n')\n"
      "    sys.exit(2)\n"
      "sys.exit(main(sys.argv[1:]))\n";
  std::vector<char*> args;
  args.push_back(python.data());
  std::string dash_c = "-c", script = kScript;
  args.push_back(dash_c.data());
  args.push_back(script.data());
  for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  execvp(python.c_str(), args.data());
  return sextant::cli::Fail("sextant " + std::string(argv[1]) + ": could not run " + python +
                            " for this Python package command (set SEXTANT_PYTHON, or "
                            "pip install sextant and run it from there)");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "serve") return sextant::cli::Serve(argc, argv);
  if (cmd == "migrate") return sextant::cli::Migrate(argc, argv);
  if (cmd == "admin" || cmd == "user" || cmd == "token" || cmd == "member" || cmd == "audit")
    return sextant::cli::AccountCommand(argc, argv);
  if (cmd == "sync" || cmd == "import" || cmd == "export") return RunPythonCommand(argc, argv);
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
