// SPDX-License-Identifier: MIT
#include "analysis/activation_stats.h"

#include "analysis/activation_observer.h"
#include "eval/engine.h"
#include "util/error.h"

#include <algorithm>
#include <set>

namespace cwb {
namespace {

bool isNorm(const std::string &canonical)
{
    return canonical.find("norm") != std::string::npos;
}

// Canonical matrices of the model that no observed weight covers ("embed", "head", ...).
std::vector<std::string> unobservedMatrices(const Model &model, const ActivationStats &stats)
{
    std::set<std::string> observed;
    for (const auto &l : stats.linears)
        observed.insert(l.weight);
    std::vector<std::string> out;
    for (const Tensor &t : model.tensors) {
        const std::string &name = t.canonical;
        if (name.empty() || t.shape.size() != 2 || name.ends_with(".bias") || isNorm(name)
            || observed.count(name) || std::find(out.begin(), out.end(), name) != out.end())
            continue;
        out.push_back(name);
    }
    return out;
}

} // namespace

const LinearActivationStats *ActivationStats::find(std::string_view weight) const
{
    for (const auto &l : linears)
        if (l.weight == weight)
            return &l;
    return nullptr;
}

ActivationStats collectActivationStats(const Model &model, const std::string &textPath,
                                       const ActivationParams &params, const JobContext &ctx)
{
    analysis::checkActivationParams(params);
    const analysis::CalibrationStream calib = analysis::tokenizeCalibration(model, textPath);
    ActivationStats stats = collectActivationStats(model, calib.tokens, calib.bos, params, ctx);
    stats.coverage.source = textPath;
    return stats;
}

ActivationStats collectActivationStats(const Model &model, std::span<const int32_t> stream,
                                       int32_t bos, const ActivationParams &params,
                                       const JobContext &ctx)
{
    analysis::checkActivationParams(params);
    auto observer = std::make_shared<analysis::StatsObserver>(params.collectHessians);
    EngineOptions options;
    options.threads = params.threads;
    options.observer = observer;
    const auto engine = Engine::create(model, options);
    analysis::checkCalibrationInputs(model, *engine, stream, bos, params, false);

    const analysis::SequencePlan plan =
        analysis::planSequences(int64_t(stream.size()), bos, params);
    std::vector<int32_t> sequence;
    std::vector<float> logits;
    for (int64_t s = 0; s < plan.count; ++s) {
        ctx.checkCancelled();
        analysis::sequenceTokens(stream, bos, plan, s, sequence);
        engine->reset(std::max<int64_t>(plan.length, 2));
        engine->eval(sequence, logits, false, ctx);
        ctx.report(double(s + 1) / double(plan.count),
                   "sequence " + std::to_string(s + 1) + "/" + std::to_string(plan.count));
    }

    ActivationStats stats =
        analysis::statsOf(*observer, params, int64_t(stream.size()), bos, plan);
    stats.coverage.notObserved = unobservedMatrices(model, stats);
    return stats;
}

std::string coverageReport(const ActivationStats &stats)
{
    const ActivationCoverage &c = stats.coverage;
    std::string r = "calibration: " + std::to_string(c.sequences) + " sequences x "
                    + std::to_string(c.tokensPerSequence) + " tokens"
                    + (c.bosPrepended ? " (BOS first)" : "") + " = "
                    + std::to_string(c.tokensEvaluated) + " tokens per weight; "
                    + std::to_string(c.streamTokensUsed) + " of " + std::to_string(c.streamTokens)
                    + " stream tokens used, from " + c.source + "\n";
    if (c.shortWeights.empty()) {
        r += "all " + std::to_string(stats.linears.size()) + " observed weights saw "
             + std::to_string(c.tokensEvaluated) + " tokens\n";
    } else {
        for (const std::string &w : c.shortWeights)
            if (const LinearActivationStats *l = stats.find(w))
                r += "short: " + w + " saw " + std::to_string(l->tokens) + " tokens\n";
    }
    if (!c.notObserved.empty()) {
        r += "not observed:";
        for (const std::string &w : c.notObserved)
            r += " " + w;
        r += "\n";
    }
    if (stats.hasHessians)
        r += "Hessians: raw sums X^T X in double (GPTQ's H = 2 * sum / tokens)\n";
    return r;
}

} // namespace cwb
