// SPDX-License-Identifier: MIT
#include "prune/structure_analysis.h"

#include <algorithm>

namespace cwb {

ActivationStats structureStatistics(const Model &model, const std::string &calibrationPath,
                                    int64_t sequences, int64_t tokensPerSequence, int threads,
                                    const JobContext &ctx)
{
    ActivationParams ap;
    ap.sequences = sequences;
    ap.tokensPerSequence = tokensPerSequence;
    if (model.hparams.contextLength > 0)
        ap.tokensPerSequence = std::min(ap.tokensPerSequence, model.hparams.contextLength);
    ap.collectHessians = true;
    ap.threads = threads;
    return collectActivationStats(model, calibrationPath, ap, ctx);
}

StructureScores analyzeStructures(const Model &model, const StructureAnalysisParams &params,
                                  const JobContext &ctx)
{
    const auto part = [&](double from, double to) {
        JobContext sub;
        sub.cancelFlag = ctx.cancelFlag;
        if (ctx.progress)
            sub.progress = [&ctx, from, to](double f, const std::string &what) {
                ctx.report(from + (to - from) * f, what);
            };
        return sub;
    };
    const ActivationStats stats =
        structureStatistics(model, params.calibrationPath, params.sequences,
                            params.tokensPerSequence, params.threads,
                            part(0.0, params.blocks ? 0.6 : 1.0));
    StructureScores scores = scoreChannelsAndGroups(model, stats, params.score);
    if (params.blocks) {
        BlockPassParams bp;
        bp.windows.windows = params.windows;
        bp.windows.tokensPerWindow = model.hparams.contextLength > 0
                                         ? std::min(params.tokensPerSequence,
                                                    model.hparams.contextLength)
                                         : params.tokensPerSequence;
        bp.threads = params.threads;
        scoreBlocks(model, params.calibrationPath, bp, scores, part(0.6, 1.0));
    }
    return scores;
}

} // namespace cwb
