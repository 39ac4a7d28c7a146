// SPDX-License-Identifier: MIT
#pragma once
// `cwb` as a library call: the executable only installs the Ctrl-C handler and fills the
// Environment; everything from the argument list to the exit status happens here.

#include "cli/environment.h"

#include <string>
#include <vector>

namespace cwb::cli {

// Runs `cwb ARGS...` (argv without the program name) and returns the exit status:
//   0  done (also for `cwb help` and `cwb COMMAND --help`)
//   1  cwb::Error: "cwb: error: <message naming file, field, offset>" on err
//   2  usage error: "cwb <command>: <problem>" and that command's synopsis on err; no
//      arguments at all print the usage on out
//   3  any other exception: "cwb: internal error: ..."
//   130 cancelled (env.cancel was set): "cwb: cancelled"
[[nodiscard]] int runCli(const std::vector<std::string> &args, Environment &env);

} // namespace cwb::cli
