// SPDX-License-Identifier: MIT
#include "eval/latency.h"

#include "util/error.h"

#include <algorithm>
#include <chrono>
#include <string>

namespace cwb::eval {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

void checkFits(const Engine &engine, int64_t positions)
{
    if (positions > engine.contextLimit())
        throwIn("latency", std::to_string(positions) + " positions exceed the model's context of "
                               + std::to_string(engine.contextLimit()));
}

} // namespace

int32_t argmaxToken(std::span<const float> logits)
{
    if (logits.empty())
        throwIn("latency", "no logits to choose a token from");
    return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

double percentile(std::vector<double> values, double fraction)
{
    if (values.empty())
        return 0.0;
    std::sort(values.begin(), values.end());
    const double pos = std::clamp(fraction, 0.0, 1.0) * static_cast<double>(values.size() - 1);
    const auto i = static_cast<size_t>(pos);
    const size_t j = std::min(i + 1, values.size() - 1);
    const double t = pos - static_cast<double>(i);
    return (1 - t) * values[i] + t * values[j];
}

PrefillTiming measurePrefill(Engine &engine, std::span<const int32_t> prompt, int repeats,
                             const JobContext &ctx)
{
    if (prompt.empty())
        throwIn("latency", "the prefill prompt is empty");
    const auto n = static_cast<int64_t>(prompt.size());
    checkFits(engine, n);
    PrefillTiming t;
    t.tokens = n;
    std::vector<float> logits;
    for (int r = 0; r < std::max(repeats, 1); ++r) {
        ctx.checkCancelled();
        engine.reset(std::max<int64_t>(n, 2));
        const auto t0 = Clock::now();
        engine.eval(prompt, logits, false, ctx);
        const double s = secondsSince(t0);
        if (r == 0 || s < t.seconds)
            t.seconds = s;
    }
    t.tokPerS = t.seconds > 0 ? static_cast<double>(n) / t.seconds : 0.0;
    return t;
}

DecodeTiming measureDecode(Engine &engine, std::span<const int32_t> context, int32_t firstToken,
                           int64_t steps, const JobContext &ctx)
{
    if (steps < 1)
        throwIn("latency", "decode needs at least one step");
    const auto positions = static_cast<int64_t>(context.size()) + steps;
    checkFits(engine, positions);
    engine.reset(std::max<int64_t>(positions, 2));
    std::vector<float> logits;
    if (!context.empty())
        engine.eval(context, logits, false, ctx);

    DecodeTiming t;
    t.tokens = steps;
    t.stepMs.reserve(static_cast<size_t>(steps));
    t.generated.reserve(static_cast<size_t>(steps));
    int32_t token = firstToken;
    for (int64_t s = 0; s < steps; ++s) {
        ctx.checkCancelled();
        const auto t0 = Clock::now();
        engine.eval(std::span<const int32_t>(&token, 1), logits, false, ctx);
        const double sec = secondsSince(t0);
        t.seconds += sec;
        t.stepMs.push_back(sec * 1e3);
        token = argmaxToken(logits);
        t.generated.push_back(token);
    }
    t.tokPerS = t.seconds > 0 ? static_cast<double>(steps) / t.seconds : 0.0;
    t.p50Ms = percentile(t.stepMs, 0.50);
    t.p95Ms = percentile(t.stepMs, 0.95);
    return t;
}

LatencySummary measureLatency(Engine &engine, std::span<const int32_t> source, int64_t promptTokens,
                              int64_t generateTokens, int threads, const JobContext &ctx)
{
    if (promptTokens < 1 || generateTokens < 1)
        throwIn("latency", "prompt and generation lengths must be positive (got "
                               + std::to_string(promptTokens) + " and "
                               + std::to_string(generateTokens) + ")");
    if (static_cast<int64_t>(source.size()) < promptTokens + 1)
        throwIn("latency", "the text holds " + std::to_string(source.size())
                               + " tokens, fewer than the " + std::to_string(promptTokens + 1)
                               + " the latency prompt needs");
    const auto prompt = source.first(static_cast<size_t>(promptTokens));
    const PrefillTiming pre = measurePrefill(engine, prompt, 1, ctx);
    const DecodeTiming dec = measureDecode(
        engine, prompt, source[static_cast<size_t>(promptTokens)], generateTokens, ctx);
    LatencySummary s;
    s.prefillTokPerS = pre.tokPerS;
    s.decodeTokPerS = dec.tokPerS;
    s.tokenP50Ms = dec.p50Ms;
    s.tokenP95Ms = dec.p95Ms;
    s.promptTokens = promptTokens;
    s.generatedTokens = generateTokens;
    s.threads = threads;
    return s;
}

} // namespace cwb::eval
