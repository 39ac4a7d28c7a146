// SPDX-License-Identifier: MIT
// cwb: the command-line twin of the workbench. Argument parsing and printing only; every
// command calls the same core functions the GUI uses.

#include "bench/open_bench.h"
#include "io/open_model.h"
#include "jobs/job_context.h"
#include "model/model_report.h"
#include "util/error.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr const char *kUsage = R"(usage: cwb <command> [options]

commands:
  inspect MODEL [--json]     format, architecture, hyper-parameters, every tensor, totals
                             MODEL: .gguf, .safetensors, model.safetensors.index.json,
                             a Hugging Face directory, a llama2.c .bin or a Keras .h5
  bench open [--gb N] [--cold]
                             generate a ~N GB (default 2) sharded safetensors model in a temp
                             directory; print open time, RSS growth and read+convert GB/s next
                             to a STREAM triad bandwidth; --cold drops the page cache first
  help                       this text
  --version                  print the version
)";

int usageError(const std::string &msg)
{
    std::cerr << "cwb: " << msg << "\n\n" << kUsage;
    return 2;
}

// Ctrl-C sets this; long commands poll it through JobContext and stop cleanly (temp files removed).
std::atomic<bool> gCancel{false};

extern "C" void onSigint(int)
{
    gCancel.store(true);
}

cwb::JobContext cliJob()
{
    cwb::JobContext ctx;
    ctx.cancelFlag = &gCancel;
    ctx.progress = [last = -1](double f, const std::string &what) mutable {
        const int pct = static_cast<int>(f * 100.0);
        if (pct != last) {
            last = pct;
            std::fprintf(stderr, "\r%3d%% %s\033[K", pct, what.c_str());
            std::fflush(stderr);
        }
    };
    return ctx;
}

int cmdBenchOpen(const std::vector<std::string> &args)
{
    cwb::bench::OpenBenchParams p;
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--gb" && i + 1 < args.size()) {
            const double gb = std::atof(args[++i].c_str());
            if (!(gb > 0.0 && gb <= 256.0))
                return usageError("bench open: --gb must be in (0, 256]");
            p.modelBytes = static_cast<uint64_t>(gb * 1024.0 * 1024.0 * 1024.0);
        } else if (args[i] == "--cold") {
            p.dropPageCache = true;
        } else {
            return usageError("bench open: unknown option " + args[i]);
        }
    }
    const auto r = cwb::bench::runOpenBench(p, cliJob());
    std::fprintf(stderr, "\n");
    std::printf("model       %.0f MiB in %d shards, %lld tensors, %lld parameters (dim %lld, %lld layers), written in %.1f s\n",
                r.modelBytes / 1048576.0, r.shards, static_cast<long long>(r.tensors),
                static_cast<long long>(r.parameters), static_cast<long long>(r.dim),
                static_cast<long long>(r.layers), r.writeSeconds);
    std::printf("open        %.2f ms, RSS growth %.1f MiB (%.1f -> %.1f MiB)\n", r.openSeconds * 1e3,
                r.rssGrowthOpenMiB, r.rssBeforeOpenMiB, r.rssAfterOpenMiB);
    std::printf("convert     %.2f s, %.2f GB/s of stored bytes to float32%s\n", r.convertSeconds,
                r.convertGBps, p.dropPageCache ? " (page cache dropped first)" : " (from page cache)");
    std::printf("triad       %.2f GB/s (STREAM-style, same run); convert / triad = %.0f%%\n", r.triadGBps,
                r.triadGBps > 0 ? 100.0 * r.convertGBps / r.triadGBps : 0.0);
    std::printf("targets     open < 50 ms: %s; RSS growth < 50 MiB: %s\n",
                r.openSeconds < 0.05 ? "met" : "MISSED", r.rssGrowthOpenMiB < 50 ? "met" : "MISSED");
    return 0;
}

int cmdBench(const std::vector<std::string> &args)
{
    if (args.empty())
        return usageError("bench: name a benchmark (open)");
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "open")
        return cmdBenchOpen(rest);
    return usageError("bench: unknown benchmark '" + args[0] + "'");
}

int cmdInspect(const std::vector<std::string> &args)
{
    std::string path;
    bool json = false;
    for (const auto &a : args) {
        if (a == "--json")
            json = true;
        else if (a.starts_with("--"))
            return usageError("inspect: unknown option " + a);
        else if (path.empty())
            path = a;
        else
            return usageError("inspect: more than one model given");
    }
    if (path.empty())
        return usageError("inspect: no model given");
    const cwb::Model model = cwb::io::openModel(path);
    std::cout << (json ? cwb::inspectJson(model) : cwb::inspectText(model));
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
        std::cout << kUsage;
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version") {
        std::cout << "cwb " << CWB_VERSION << "\n";
        return 0;
    }
    const std::string cmd = args[0];
    args.erase(args.begin());
    try {
        std::signal(SIGINT, onSigint);
        if (cmd == "inspect")
            return cmdInspect(args);
        if (cmd == "bench")
            return cmdBench(args);
        return usageError("unknown command '" + cmd + "'");
    } catch (const cwb::Cancelled &) {
        std::cerr << "\ncwb: cancelled\n";
        return 130;
    } catch (const cwb::Error &e) {
        std::cerr << "cwb: error: " << e.what() << "\n";
        return 1;
    } catch (const std::exception &e) {
        std::cerr << "cwb: internal error: " << e.what() << "\n";
        return 3;
    }
}
