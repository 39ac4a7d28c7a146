// SPDX-License-Identifier: MIT
#include "bench/llama_bench.h"

#include "util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <map>
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

// The last `n` characters, from a line start where there is one: enough of a tool's stderr to
// say why it failed.
std::string tail(const std::string &text, size_t n)
{
    if (text.size() <= n)
        return text;
    std::string t = text.substr(text.size() - n);
    const size_t nl = t.find('\n');
    return nl == std::string::npos ? t : t.substr(nl + 1);
}

} // namespace

std::vector<LlamaBenchFigure> parseLlamaBenchJson(std::string_view json, const std::string &source)
{
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(json);
    } catch (const nlohmann::json::parse_error &e) {
        throwAt(source, e.byte > 0 ? e.byte - 1 : 0,
                std::string("llama-bench printed no valid JSON: ") + e.what());
    }
    if (!doc.is_array())
        throwIn(source, "llama-bench's JSON is not an array of tests");
    std::vector<LlamaBenchFigure> out;
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < doc.size(); ++i) {
        const auto &t = doc[i];
        const auto field = [&](const char *name) -> const nlohmann::json & {
            if (!t.is_object() || !t.contains(name))
                throwIn(source, "test " + std::to_string(i) + " has no \"" + name + "\"");
            return t[name];
        };
        const auto &file = field("model_filename");
        const auto &nPrompt = field("n_prompt");
        const auto &nGen = field("n_gen");
        const auto &avg = field("avg_ts");
        if (!file.is_string() || !nPrompt.is_number() || !nGen.is_number() || !avg.is_number())
            throwIn(source, "test " + std::to_string(i)
                                + ": model_filename, n_prompt, n_gen or avg_ts has the wrong type");
        const std::string model = file.get<std::string>();
        auto [it, added] = index.emplace(model, out.size());
        if (added)
            out.push_back({model, 0, 0});
        LlamaBenchFigure &f = out[it->second];
        const int64_t p = nPrompt.get<int64_t>(), g = nGen.get<int64_t>();
        if (p > 0 && g == 0)
            f.prefillTokPerS = avg.get<double>();
        else if (p == 0 && g > 0)
            f.decodeTokPerS = avg.get<double>();
    }
    return out;
}

std::vector<std::string> llamaBenchArguments(const LlamaBenchParams &p)
{
    std::vector<std::string> a{p.tool};
    for (const auto &m : p.models) {
        a.push_back("-m");
        a.push_back(m);
    }
    for (const auto &[flag, value] :
         std::initializer_list<std::pair<const char *, std::string>>{
             {"-p", std::to_string(p.promptTokens)},
             {"-n", std::to_string(p.genTokens)},
             {"-t", std::to_string(p.threads)},
             {"-r", std::to_string(p.repetitions)},
             {"-ctk", p.cacheTypeK},
             {"-ctv", p.cacheTypeV},
             {"-o", "json"}}) {
        a.push_back(flag);
        a.push_back(value);
    }
    return a;
}

std::vector<LlamaBenchFigure> runLlamaBench(const LlamaBenchParams &p, const JobContext &ctx)
{
    if (p.models.empty())
        return {};
    if (::access(p.tool.c_str(), X_OK) != 0)
        throwIn(p.tool,
                "llama-bench is not an executable file: " + std::string(std::strerror(errno)));
    const std::string outPath = p.workDir + "/llama-bench.json";
    const std::string errPath = p.workDir + "/llama-bench.err";
    const std::vector<std::string> args = llamaBenchArguments(p);
    std::vector<char *> argv;
    for (const auto &a : args)
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
    const int rc = posix_spawn(&pid, p.tool.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        throwIn(p.tool, "cannot start llama-bench: " + std::string(std::strerror(rc)));

    int status = 0;
    for (;;) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid)
            break;
        if (done < 0 && errno != EINTR)
            throwIn(p.tool, "waiting for llama-bench: " + std::string(std::strerror(errno)));
        if (ctx.cancelled()) {
            ::kill(pid, SIGTERM);
            ::waitpid(pid, &status, 0);
            ctx.checkCancelled();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throwIn(p.tool, (WIFEXITED(status) ? "llama-bench exited with status "
                                                 + std::to_string(WEXITSTATUS(status))
                                           : "llama-bench was killed by signal "
                                                 + std::to_string(WTERMSIG(status)))
                            + "; the end of its stderr:\n" + tail(readWhole(errPath), 1500));

    const auto parsed = parseLlamaBenchJson(readWhole(outPath), p.tool + " -o json");
    std::vector<LlamaBenchFigure> out;
    for (const auto &m : p.models) {
        const auto it = std::find_if(parsed.begin(), parsed.end(),
                                     [&](const LlamaBenchFigure &f) { return f.model == m; });
        if (it == parsed.end())
            throwIn(p.tool, "llama-bench printed no test for " + m);
        out.push_back(*it);
    }
    return out;
}

} // namespace cwb::bench
