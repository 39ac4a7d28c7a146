// SPDX-License-Identifier: MIT
#pragma once
// Runs llama.cpp's `llama-bench` (a reference tool the user names, never shipped or linked) on
// GGUF files and reads its `-o json` output: an array with one object per test, of which we use
// model_filename, n_prompt, n_gen and avg_ts (tokens/s, the mean of the repetitions):
//
//   [{"model_filename": "/tmp/x/F32.gguf", "n_prompt": 512, "n_gen": 0, "avg_ts": 1075.3, ...},
//    {"model_filename": "/tmp/x/F32.gguf", "n_prompt": 0, "n_gen": 128, "avg_ts": 139.4, ...}]
//
// pp = the test with n_prompt > 0 and n_gen == 0, tg = n_prompt == 0 and n_gen > 0.

#include "jobs/job_context.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cwb::bench {

struct LlamaBenchParams {
    std::string tool;                // path of the llama-bench executable
    std::vector<std::string> models; // GGUF files, benchmarked in this order in one process
    int threads = 2;                 // -t
    int64_t promptTokens = 512;      // -p
    int64_t genTokens = 128;         // -n
    int repetitions = 3;             // -r
    std::string cacheTypeK = "f16";  // -ctk / -ctv: llama-bench's own default
    std::string cacheTypeV = "f16";
    std::string workDir;             // where stdout/stderr are captured (must exist)
};

struct LlamaBenchFigure {
    std::string model;         // model_filename as llama-bench printed it
    double prefillTokPerS = 0; // avg_ts of the pp test, 0 when absent
    double decodeTokPerS = 0;  // avg_ts of the tg test, 0 when absent
};

// One figure per model_filename, in the order of first appearance. Throws cwb::Error naming
// `source` (and the byte offset for invalid JSON, the entry index for a missing field).
[[nodiscard]] std::vector<LlamaBenchFigure> parseLlamaBenchJson(std::string_view json,
                                                                const std::string &source);

// The command line runLlamaBench executes (argv[0] = params.tool), for the report.
[[nodiscard]] std::vector<std::string> llamaBenchArguments(const LlamaBenchParams &params);

// Runs the tool (bench/tool_process.h) and parses its output; the figures come back in
// params.models' order (a model llama-bench printed nothing for is an error). Throws cwb::Error
// when the tool cannot start, exits non-zero (with the end of its stderr) or prints no valid
// JSON; cwb::Cancelled (the process is killed) when ctx is cancelled.
[[nodiscard]] std::vector<LlamaBenchFigure> runLlamaBench(const LlamaBenchParams &params,
                                                          const JobContext &ctx = {});

} // namespace cwb::bench
