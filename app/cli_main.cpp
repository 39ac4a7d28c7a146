// SPDX-License-Identifier: MIT
// cwb: the command-line twin of the workbench. Argument parsing and printing only; every
// command calls the same core functions the GUI uses.

#include "io/open_model.h"
#include "model/model_report.h"
#include "util/error.h"

#include <cstdio>
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
  bench open [--gb N]        generate a ~N GB (default 2) sharded safetensors model in a temp
                             directory; print open time, RSS growth and read+convert GB/s
  help                       this text
  --version                  print the version
)";

int usageError(const std::string &msg)
{
    std::cerr << "cwb: " << msg << "\n\n" << kUsage;
    return 2;
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
        if (cmd == "inspect")
            return cmdInspect(args);
        return usageError("unknown command '" + cmd + "'");
    } catch (const cwb::Error &e) {
        std::cerr << "cwb: error: " << e.what() << "\n";
        return 1;
    } catch (const std::exception &e) {
        std::cerr << "cwb: internal error: " << e.what() << "\n";
        return 3;
    }
}
