// SPDX-License-Identifier: MIT
#include "prune/structure_analysis.h"

#include <algorithm>

namespace cwb {

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
    ActivationParams ap;
    ap.sequences = params.sequences;
    ap.tokensPerSequence = params.tokensPerSequence;
    if (model.hparams.contextLength > 0)
        ap.tokensPerSequence = std::min(ap.tokensPerSequence, model.hparams.contextLength);
    ap.collectHessians = true;
    ap.threads = params.threads;
    const ActivationStats stats =
        collectActivationStats(model, params.calibrationPath, ap, part(0.0, params.blocks ? 0.6 : 1.0));
    StructureScores scores = scoreChannelsAndGroups(model, stats, params.score);
    if (params.blocks) {
        BlockPassParams bp;
        bp.windows.windows = params.windows;
        bp.windows.tokensPerWindow = ap.tokensPerSequence;
        bp.threads = params.threads;
        scoreBlocks(model, params.calibrationPath, bp, scores, part(0.6, 1.0));
    }
    return scores;
}

} // namespace cwb
