// SPDX-License-Identifier: MIT
#include "tradeoff_points.h"

#include "evaluation_runs_model.h"

#include "recipe/recipe.h"

namespace cwb::gui {

std::vector<TradeoffPoint> tradeoffPointsOf(const std::vector<EvaluationRun> &runs)
{
    std::vector<TradeoffPoint> points;
    for (const EvaluationRun &run : runs) {
        const cwb::EvalResult &r = run.result;
        TradeoffPoint p;
        p.name = QString::fromStdString(r.modelLabel);
        p.bytes = r.weightBytes > 0 ? double(r.weightBytes) : NAN;
        p.bitsPerWeight = r.bitsPerWeight > 0 ? r.bitsPerWeight : NAN;
        p.perplexity = r.ppl > 0 ? r.ppl : NAN;
        p.kld = r.hasKld ? r.kld.mean : NAN;
        p.decodeMsPerToken = r.hasLatency && r.latency.decodeTokPerS > 0
                                 ? 1000.0 / r.latency.decodeTokPerS
                                 : NAN;
        p.memoryBytes = r.weightBytes > 0 ? double(r.weightBytes + r.kvCacheBytes) : NAN;
        p.recipeJson = run.recipeJson;
        if (!run.recipeJson.isEmpty()) {
            const cwb::ParsedRecipe parsed =
                cwb::parseRecipeLenient(run.recipeJson.toStdString(), "run");
            p.summary = QString::fromStdString(cwb::recipeSummary(parsed.recipe));
        }
        points.push_back(std::move(p));
    }
    return points;
}

} // namespace cwb::gui
