// SPDX-License-Identifier: MIT
#pragma once
// Measured speed of an engine: prefill (one eval of P prompt tokens, logits for the last only,
// from an empty cache) and decode (G single-token evals, each feeding back the greedy choice),
// with per-token latency percentiles. llama-bench measures pp<P> and tg<G> the same way: its
// generation test also starts from an empty cache.

#include "eval/engine.h"
#include "eval/evaluation.h"
#include "jobs/job_context.h"

#include <cstdint>
#include <span>
#include <vector>

namespace cwb::eval {

struct PrefillTiming {
    int64_t tokens = 0;
    double seconds = 0; // best of the repeats
    double tokPerS = 0;
};

struct DecodeTiming {
    int64_t tokens = 0;
    double seconds = 0; // all steps together
    double tokPerS = 0;
    std::vector<double> stepMs;     // per step, in order
    std::vector<int32_t> generated; // the greedy tokens (keeps the work observable)
    double p50Ms = 0;
    double p95Ms = 0;
};

// Evaluates `prompt` in one call from an empty cache `repeats` times; the best pass counts.
// Throws cwb::Error when the prompt is empty or longer than the engine's context.
[[nodiscard]] PrefillTiming measurePrefill(Engine &engine, std::span<const int32_t> prompt,
                                           int repeats, const JobContext &ctx = {});

// Resets the cache, evaluates `context` (may be empty: decoding then starts from
// `firstToken` at position 0) untimed, then times `steps` single-token evals starting with
// `firstToken` and feeding back each step's most likely token.
[[nodiscard]] DecodeTiming measureDecode(Engine &engine, std::span<const int32_t> context,
                                         int32_t firstToken, int64_t steps,
                                         const JobContext &ctx = {});

// Prefill of the first `promptTokens` of `source` and decode of `generateTokens` after it.
[[nodiscard]] LatencySummary measureLatency(Engine &engine, std::span<const int32_t> source,
                                            int64_t promptTokens, int64_t generateTokens,
                                            int threads, const JobContext &ctx = {});

// Index of the first largest value (greedy sampling).
[[nodiscard]] int32_t argmaxToken(std::span<const float> logits);

// Linear-interpolated percentile of unsorted values (fraction in 0..1); 0 for none.
[[nodiscard]] double percentile(std::vector<double> values, double fraction);

} // namespace cwb::eval
