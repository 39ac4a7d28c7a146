// SPDX-License-Identifier: MIT
#include "cli/common_options.h"

namespace cwb::cli {

OptionSpec threadsOption(int64_t min, const std::string &defaultValue)
{
    return {.name = "--threads",
            .kind = ValueKind::Integer,
            .metavar = "T",
            .help = "worker threads",
            .defaultValue = defaultValue,
            .intMin = min,
            .intMax = 1024,
            .rangeNote = min == 0 ? "0 = all cores" : ""};
}

int threadsOf(const ParsedArgs &args, int fallback)
{
    return static_cast<int>(args.integer("--threads", fallback));
}

OptionSpec memoryBudgetOption(const std::string &defaultValue)
{
    return {.name = "--memory-budget",
            .kind = ValueKind::Integer,
            .metavar = "MIB",
            .help = "working memory of the tensors compressed at once (an estimate\n"
                    "per tensor: 8 bytes a weight, plus its Hessian for the methods\n"
                    "that need one); a tensor starts when it fits beside those running",
            .defaultValue = defaultValue,
            .intMin = 0,
            .intMax = int64_t(1) << 30,
            .rangeNote = "0 = half of physical memory"};
}

uint64_t memoryBudgetOf(const ParsedArgs &args, uint64_t fallbackMiB)
{
    return uint64_t(args.integer("--memory-budget", int64_t(fallbackMiB))) << 20;
}

OptionSpec jsonOption()
{
    return {.name = "--json", .help = "print JSON instead of the table"};
}

OptionSpec calibrationOption(const std::string &help)
{
    return {.name = "--calib", .kind = ValueKind::Path, .metavar = "FILE", .help = help};
}

OptionSpec sequencesOption(const std::string &defaultValue)
{
    return {.name = "--sequences",
            .kind = ValueKind::Integer,
            .metavar = "N",
            .help = "calibration sequences, fewer when the text runs out",
            .defaultValue = defaultValue,
            .intMin = 1,
            .intMax = int64_t{1} << 20};
}

OptionSpec seqLenOption(const std::string &defaultValue)
{
    return {.name = "--seq-len",
            .kind = ValueKind::Integer,
            .metavar = "N",
            .help = "tokens per calibration sequence, BOS included",
            .defaultValue = defaultValue,
            .intMin = 2,
            .intMax = int64_t{1} << 20};
}

} // namespace cwb::cli
