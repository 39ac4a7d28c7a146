// SPDX-License-Identifier: MIT
#include "choose/ffn_keep_damage.h"

#include "analysis/activation_stats.h"
#include "eval/engine.h"
#include "prune/pruned_model.h"
#include "prune/structure_analysis.h"
#include "prune/structure_scores.h"
#include "prune/structured_plan.h"
#include "util/error.h"

#include <algorithm>
#include <cmath>

namespace cwb {

namespace {

double deltaKldOf(const Model &pruned, const KldWindows &windows, int threads,
                  const JobContext &ctx)
{
    EngineOptions o;
    o.threads = threads;
    const auto engine = Engine::create(pruned, o);
    return std::max(0.0, windows.measure(*engine, ctx));
}

} // namespace

std::vector<FfnKeepDamage> measureFfnKeepDamage(const Model &model, const FfnKeepParams &params,
                                                const JobContext &ctx)
{
    if (model.family != ArchFamily::Llama)
        throw Error("FFN keep candidates: structured pruning runs on the llama family only");
    for (const double k : params.keeps)
        if (!(k > 0 && k < 1))
            throw Error("FFN keep candidates: " + std::to_string(k)
                        + " is not a fraction in (0, 1)");
    const ActivationStats stats =
        structureStatistics(model, params.calibrationPath, params.statisticsSequences,
                            params.statisticsTokensPerSequence, params.threads,
                            ctx.stage(0.0, 0.2, "statistics"));
    const StructureScores scores =
        scoreChannelsAndGroups(model, stats, StructureScore::Activation);
    EngineOptions o;
    o.threads = params.threads;
    const auto base = Engine::create(model, o);
    const KldWindows windows(model, params.calibrationPath, params.windows,
                             stats.coverage.streamTokensUsed, *base,
                             ctx.stage(0.2, 0.25, "KLD windows"));

    const std::vector<int64_t> widths = ffnWidths(model);
    const int64_t layers = model.hparams.nLayers;
    std::vector<FfnKeepDamage> out;
    const double runs = double(params.keeps.size() * size_t(layers + 1));
    double done = 0;
    for (const double k : params.keeps) {
        FfnKeepDamage d;
        d.keep = k;
        d.counts = uniformFfnKeep(widths, k);
        for (int64_t l = 0; l < layers; ++l) {
            StructuredPlan one;
            one.ffnKeep.assign(size_t(layers), -1);
            one.ffnKeep[size_t(l)] = d.counts[size_t(l)];
            const StructuredOutcome pruned = applyStructuredPlan(model, stats, scores, one);
            d.perLayer.push_back(deltaKldOf(pruned.model, windows, params.threads,
                                            ctx.stage(0.25 + 0.75 * done / runs,
                                                      0.25 + 0.75 * (done + 1) / runs,
                                                      "FFN keep " + std::to_string(k))));
            d.summed += d.perLayer.back();
            ++done;
        }
        StructuredPlan all;
        all.ffnKeep = d.counts;
        const StructuredOutcome pruned = applyStructuredPlan(model, stats, scores, all);
        d.together = deltaKldOf(pruned.model, windows, params.threads, ctx);
        ++done;
        out.push_back(std::move(d));
    }
    return out;
}

} // namespace cwb
