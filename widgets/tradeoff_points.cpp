// SPDX-License-Identifier: MIT
#include "tradeoff_points.h"

#include "evaluation_runs_model.h"

#include "recipe/recipe.h"
#include "sweep/history_chart.h"

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

std::vector<TradeoffPoint> tradeoffPointsOf(const std::vector<cwb::HistoryPoint> &history,
                                            const std::map<std::string, std::string> &evaluation)
{
    // The chart's own filter, by a measure every point has (perplexity).
    const cwb::HistoryChart same = cwb::historyChart(history, cwb::HistoryX::Bytes,
                                                     cwb::HistoryY::Perplexity, evaluation);
    std::vector<TradeoffPoint> points;
    for (const cwb::HistoryChartPoint &c : same.points) {
        const cwb::HistoryPoint &h = history[c.history];
        TradeoffPoint p;
        p.name = QString::fromStdString(h.name);
        p.bytes = h.bytes > 0 ? double(h.bytes) : NAN;
        p.bitsPerWeight = h.bitsPerWeight > 0 ? h.bitsPerWeight : NAN;
        p.perplexity = h.ppl > 0 ? h.ppl : NAN;
        p.kld = h.hasKld ? h.kldMean : NAN;
        p.decodeMsPerToken =
            h.hasLatency && h.decodeTokPerS > 0 ? 1000.0 / h.decodeTokPerS : NAN;
        p.memoryBytes = h.weightBytes > 0 ? double(h.weightBytes + h.kvBytes) : NAN;
        p.reference = c.reference;
        p.summary = QString::fromStdString(c.summary);
        p.recipeJson = QString::fromStdString(h.recipeJson);
        points.push_back(std::move(p));
    }
    return points;
}

} // namespace cwb::gui
