// The `sextant` subcommands, one file each; main.cc dispatches.
#pragma once

#include <string>

namespace sextant::cli {

// Prints "sextant: <msg>" on stderr; returns the exit status 2.
int Fail(const std::string& msg);

int Serve(int argc, char** argv);  // sextant serve …
// sextant admin init | user … | token … | member … | audit …: work on the
// store in --data while a server runs or not.
int AccountCommand(int argc, char** argv);

}  // namespace sextant::cli
