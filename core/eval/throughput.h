// SPDX-License-Identifier: MIT
#pragma once
// Prefill and decode speed of an Engine, measured the way llama-bench does (pp<N> / tg<N>):
//  - prefill: one eval() of `promptTokens` pseudo-random tokens from an empty cache, logits for
//    the last token only;
//  - decode: from an empty cache, `genTokens` single-token eval() calls, each feeding the
//    previous step's argmax (the first feeds token 1).
// One untimed warm-up of each precedes `repetitions` timed runs; rates are the best run and the
// mean over runs (shared machines are noisy: the best run is the one least disturbed). The
// thread count is the engine's (EngineOptions::threads). The engine's cache is reset after.

#include "eval/engine.h"
#include "jobs/job_context.h"

#include <cstdint>

namespace cwb {

struct ThroughputParams {
    int64_t promptTokens = 512; // llama-bench -p
    int64_t genTokens = 128;    // llama-bench -n
    int repetitions = 3;        // llama-bench -r
    uint64_t seed = 1;          // for the prompt tokens
};

struct ThroughputResult {
    double prefillTokensPerSecond = 0;     // best run
    double prefillTokensPerSecondMean = 0; // mean of the runs' rates
    double decodeTokensPerSecond = 0;      // best run
    double decodeTokensPerSecondMean = 0;
    double decodeP50Ms = 0; // per-token latency over every timed decode step of every run
    double decodeP95Ms = 0;
    int64_t promptTokens = 0;
    int64_t genTokens = 0;
    int repetitions = 0;
};

// Throws cwb::Error when promptTokens or genTokens + 1 exceed the engine's context, or either is
// below 1; polls ctx between runs and decode steps.
[[nodiscard]] ThroughputResult measureThroughput(Engine &engine, const ThroughputParams &params,
                                                 const JobContext &ctx = {});

} // namespace cwb
