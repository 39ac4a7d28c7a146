// SPDX-License-Identifier: MIT
#pragma once
// Options several commands share, declared once: their spelling, range and help are the same
// wherever they appear (`--threads` means one thing in every command).

#include "cli/options.h"

namespace cwb::cli {

// --threads T in min..1024; with min 0, 0 means all cores.
[[nodiscard]] OptionSpec threadsOption(int64_t min = 0,
                                       const std::string &defaultValue = "all cores");
[[nodiscard]] int threadsOf(const ParsedArgs &args, int fallback = 0);

// --memory-budget MIB: the working memory of the tensors compressed at once
// (CompressParams::memoryBudgetBytes), 0 = half of physical memory.
[[nodiscard]] OptionSpec memoryBudgetOption(const std::string &defaultValue = "0");
[[nodiscard]] uint64_t memoryBudgetOf(const ParsedArgs &args, uint64_t fallbackMiB = 0);

// --json: print the machine-readable report instead of the table.
[[nodiscard]] OptionSpec jsonOption();

// --calib FILE, --sequences N, --seq-len N: the calibration text and how much of it is run
// (analyze and compress; their defaults differ).
[[nodiscard]] OptionSpec calibrationOption(const std::string &help);
[[nodiscard]] OptionSpec sequencesOption(const std::string &defaultValue);
[[nodiscard]] OptionSpec seqLenOption(const std::string &defaultValue);

} // namespace cwb::cli
