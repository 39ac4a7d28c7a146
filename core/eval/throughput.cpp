// SPDX-License-Identifier: MIT
#include "eval/throughput.h"

#include "util/error.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <vector>

namespace cwb {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

int32_t argmax(const std::vector<float> &logits)
{
    return int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const size_t i = std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5));
    return v[i];
}

} // namespace

ThroughputResult measureThroughput(Engine &engine, const ThroughputParams &params,
                                   const JobContext &ctx)
{
    const int64_t limit = engine.contextLimit();
    if (params.promptTokens < 1 || params.genTokens < 1 || params.repetitions < 1
        || params.promptTokens > limit || params.genTokens + 1 > limit)
        throw Error("throughput: prompt " + std::to_string(params.promptTokens) + " and "
                    + std::to_string(params.genTokens) + " generated tokens (plus one) must be "
                    "at least 1 and fit the context of " + std::to_string(limit)
                    + ", with at least one repetition");
    std::mt19937_64 rng(params.seed);
    std::uniform_int_distribution<int32_t> pick(0, int32_t(engine.vocabSize() - 1));
    std::vector<int32_t> prompt(size_t(params.promptTokens));
    for (auto &t : prompt)
        t = pick(rng);

    ThroughputResult result;
    result.promptTokens = params.promptTokens;
    result.genTokens = params.genTokens;
    result.repetitions = params.repetitions;
    std::vector<float> logits;
    std::vector<double> stepMs;
    stepMs.reserve(size_t(params.genTokens * params.repetitions));

    const auto prefillOnce = [&] {
        engine.reset(std::max<int64_t>(2, params.promptTokens));
        const auto t0 = Clock::now();
        engine.eval(prompt, logits, false, ctx);
        return double(params.promptTokens) / secondsSince(t0);
    };
    const auto decodeOnce = [&](bool record) {
        engine.reset(params.genTokens + 1);
        int32_t token = 1 % int32_t(engine.vocabSize());
        const auto t0 = Clock::now();
        for (int64_t i = 0; i < params.genTokens; ++i) {
            ctx.checkCancelled();
            const auto s0 = Clock::now();
            engine.eval({&token, 1}, logits, false, ctx);
            token = argmax(logits);
            if (record)
                stepMs.push_back(secondsSince(s0) * 1e3);
        }
        return double(params.genTokens) / secondsSince(t0);
    };

    (void)prefillOnce(); // warm-up: page in weights, size buffers
    (void)decodeOnce(false);
    double prefillSum = 0, decodeSum = 0;
    for (int r = 0; r < params.repetitions; ++r) {
        ctx.checkCancelled();
        const double pp = prefillOnce();
        const double tg = decodeOnce(true);
        prefillSum += pp;
        decodeSum += tg;
        result.prefillTokensPerSecond = std::max(result.prefillTokensPerSecond, pp);
        result.decodeTokensPerSecond = std::max(result.decodeTokensPerSecond, tg);
        ctx.report(double(r + 1) / params.repetitions, "throughput run " + std::to_string(r + 1));
    }
    result.prefillTokensPerSecondMean = prefillSum / params.repetitions;
    result.decodeTokensPerSecondMean = decodeSum / params.repetitions;
    result.decodeP50Ms = percentile(stepMs, 0.50);
    result.decodeP95Ms = percentile(stepMs, 0.95);
    engine.reset(2);
    return result;
}

} // namespace cwb
