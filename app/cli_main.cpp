// SPDX-License-Identifier: MIT
// cwb: the command-line twin of the workbench. The commands, their options and their reports
// are library code (core/cli); this executable adds what only it has: the Ctrl-C handler, the
// version it was built as, and LAPACK as the reference of `cwb bench analyze`.

#include "cli/cli.h"

#include "lapack_svd.h"

#include <atomic>
#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

// Ctrl-C sets this; long commands poll it through JobContext and stop cleanly (temp files removed).
std::atomic<bool> gCancel{false};

extern "C" void onSigint(int)
{
    gCancel.store(true);
}

} // namespace

int main(int argc, char **argv)
{
    std::signal(SIGINT, onSigint);
    cwb::cli::Environment env;
    env.cancel = &gCancel;
    env.version = CWB_VERSION;
    env.errIsTerminal = isatty(STDERR_FILENO) != 0;
    std::error_code ec;
    env.executable = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    env.referenceSvd = [](std::string &name) { return lapackReferenceSvd(name); };
    return cwb::cli::runCli(std::vector<std::string>(argv + 1, argv + argc), env);
}
