// The `sextant` subcommands, one file each; main.cc dispatches.
#pragma once

#include <string>

namespace sextant::cli {

// Prints "sextant: <msg>" on stderr; returns the exit status 2.
int Fail(const std::string& msg);

int Serve(int argc, char** argv);  // sextant serve …
int Migrate(int argc, char** argv);  // sextant migrate --from URL --to URL (cli/migrate.cc)
// sextant admin init | user … | token … | member … | audit …: work on the
// store in --data while a server runs or not.
int AccountCommand(int argc, char** argv);

}  // namespace sextant::cli

#include "auth/accounts.h"

namespace sextant::cli {

// sextant token create --neptune (cli/neptune_token.cc): a Neptune API token
// for `project` (created when missing) carrying a new Sextant token of
// `user` (empty: the server's only owner) limited to that project. Prints
// the token on the last line.
struct NeptuneTokenRequest {
  std::string data_dir, user, project, url, label;
  std::string store;  // --store URL; empty: SQLite in data_dir
};
Status CreateNeptuneToken(auth::Accounts& a, const NeptuneTokenRequest& r);

}  // namespace sextant::cli
