// SPDX-License-Identifier: MIT
#include "bench/tool_process.h"

#include "util/error.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char **environ;

namespace cwb::bench {
namespace {

std::string readWhole(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string toolName(const std::string &path)
{
    return std::filesystem::path(path).filename().string();
}

} // namespace

std::string textTail(const std::string &text, size_t n)
{
    if (text.size() <= n)
        return text;
    std::string t = text.substr(text.size() - n);
    const size_t nl = t.find('\n');
    return nl == std::string::npos ? t : t.substr(nl + 1);
}

std::string commandLine(const std::vector<std::string> &argv)
{
    std::string out;
    for (const std::string &a : argv) {
        if (!out.empty())
            out += ' ';
        const bool plain = !a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyz"
                                                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                             "0123456789_-+=./,:@%")
                                             == std::string::npos;
        if (plain) {
            out += a;
            continue;
        }
        out += '\'';
        for (const char c : a)
            out += c == '\'' ? std::string("'\\''") : std::string(1, c);
        out += '\'';
    }
    return out;
}

ToolOutput runTool(const ToolRun &run, const JobContext &ctx)
{
    if (run.argv.empty())
        throw Error("runTool: no command");
    const std::string &tool = run.argv.front();
    const std::string name = toolName(tool);
    if (::access(tool.c_str(), X_OK) != 0)
        throwIn(tool, name + " is not an executable file: " + std::strerror(errno));
    ctx.checkCancelled();
    const std::string outPath = run.workDir + "/" + run.logStem + ".out";
    const std::string errPath = run.workDir + "/" + run.logStem + ".err";
    std::vector<char *> argv;
    for (const auto &a : run.argv)
        argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, outPath.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, errPath.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, tool.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        throwIn(tool, "cannot start " + name + ": " + std::strerror(rc));

    int status = 0;
    for (;;) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid)
            break;
        if (done < 0 && errno != EINTR)
            throwIn(tool, "waiting for " + name + ": " + std::strerror(errno));
        if (ctx.cancelled()) {
            ::kill(pid, SIGTERM);
            ::waitpid(pid, &status, 0);
            ctx.checkCancelled();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ToolOutput output{readWhole(outPath), readWhole(errPath)};
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        const bool useErr = output.err.find_first_not_of(" \n\t") != std::string::npos;
        throwIn(tool, (WIFEXITED(status)
                           ? name + " exited with status " + std::to_string(WEXITSTATUS(status))
                           : name + " was killed by signal " + std::to_string(WTERMSIG(status)))
                          + " (" + commandLine(run.argv) + "); the end of its "
                          + (useErr ? "stderr" : "stdout") + ":\n"
                          + textTail(useErr ? output.err : output.out, 1500));
    }
    return output;
}

} // namespace cwb::bench
