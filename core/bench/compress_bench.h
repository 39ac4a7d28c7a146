// SPDX-License-Identifier: MIT
#pragma once
// The engine of `cwb bench compress`: throughput of the weight quantizers on generated
// N(0, 0.02^2) tensors (default 4096x4096 and 11008x4096, the shapes of a 7B llama's attention
// and MLP matrices). Per shape and case it measures the fast path's best-of-`repeats` wall time,
// reported as GB/s of float32 input next to the machine's STREAM triad bandwidth from the same
// run; the scalar reference once (for the speedup); the exact stored bytes; and the relative RMS
// error of the round trip, sqrt(sum (w - w')^2 / sum w^2).
//
// Cases are data, not code paths: a name and a function. defaultCompressBenchCases() holds
// rtn (4-bit, group 128), nf4, fp8_e4m3 and ggml's q4_k (ggmlQuantizeRows) for comparison.
// Methods that need more than the weights (GPTQ, SparseGPT: a calibration Hessian) add a case
// whose function builds what it needs from its own generated activations and return the same
// outcome; nothing else here changes.

#include "jobs/job_context.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cwb::bench {

struct CompressBenchOutcome {
    uint64_t storedBytes = 0;
    // Rebuilds the dense weights (called after timing, for the error figure).
    std::function<std::vector<float>()> reconstruct;
};

using CompressBenchFn = std::function<CompressBenchOutcome(const float *w, int64_t rows,
                                                           int64_t cols, const JobContext &job)>;

struct CompressBenchCase {
    std::string name;          // "rtn w4 g128"
    CompressBenchFn run;       // the fast path
    CompressBenchFn reference; // the scalar reference; empty: not timed
};

[[nodiscard]] std::vector<CompressBenchCase> defaultCompressBenchCases();

struct CompressBenchShape {
    int64_t rows = 0, cols = 0;
};

struct CompressBenchParams {
    std::vector<CompressBenchShape> shapes{{4096, 4096}, {11008, 4096}};
    std::vector<CompressBenchCase> cases = defaultCompressBenchCases();
    int repeats = 3;         // best of
    bool reference = true;   // time each case's reference once
    uint64_t triadBytes = 768ull << 20;
    int triadRepeats = 5;
    uint64_t seed = 1;
};

struct CompressBenchRow {
    std::string name;
    int64_t rows = 0, cols = 0;
    double seconds = 0;          // best fast-path time
    double inputGBps = 0;        // rows * cols * 4 / seconds / 1e9
    double referenceSeconds = 0; // 0: not measured
    uint64_t storedBytes = 0;
    double bitsPerWeight = 0;
    double relRmsError = 0;
};

struct CompressBenchResult {
    std::vector<CompressBenchRow> rows;
    double triadGBps = 0;
    int threads = 0; // oneTBB's default concurrency during the run
};

// Throws cwb::Error (bad shape, a case failing) and cwb::Cancelled.
[[nodiscard]] CompressBenchResult runCompressBench(const CompressBenchParams &params,
                                                   const JobContext &ctx = {});

} // namespace cwb::bench
