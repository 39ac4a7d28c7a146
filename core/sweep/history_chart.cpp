// SPDX-License-Identifier: MIT
#include "sweep/history_chart.h"

#include "recipe/recipe.h"
#include "solve/pareto.h"
#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

namespace cwb {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double xOf(const HistoryPoint &p, HistoryX x)
{
    return x == HistoryX::Bytes ? double(p.bytes) : p.bitsPerWeight;
}

// NaN where the point has no such value.
double yOf(const HistoryPoint &p, HistoryY y)
{
    switch (y) {
    case HistoryY::KldMean: return p.hasKld ? p.kldMean : kNaN;
    case HistoryY::KldP99: return p.hasKld ? p.kldP99 : kNaN;
    case HistoryY::Perplexity: return p.ppl;
    case HistoryY::Top1Disagreement: return p.hasKld ? 100.0 - p.top1Pct : kNaN;
    case HistoryY::DecodeMsPerToken:
        return p.hasLatency && p.decodeTokPerS > 0 ? 1000.0 / p.decodeTokPerS : kNaN;
    case HistoryY::PrefillMsPerToken:
        return p.hasLatency && p.prefillTokPerS > 0 ? 1000.0 / p.prefillTokPerS : kNaN;
    case HistoryY::MemoryBytes: return double(p.weightBytes + p.kvBytes);
    case HistoryY::PeakRssMiB: return p.peakRssMiB;
    }
    return kNaN;
}

bool sameEvaluation(const HistoryPoint &p, const std::map<std::string, std::string> &evaluation)
{
    for (const auto &[name, value] : evaluation) {
        if (!name.starts_with("eval."))
            continue;
        const auto it = p.settings.find(name);
        if (it == p.settings.end() || it->second != value)
            return false;
    }
    return true;
}

} // namespace

const char *axisLabel(HistoryX x)
{
    return x == HistoryX::Bytes ? "stored bytes" : "bits/weight";
}

const char *axisLabel(HistoryY y)
{
    switch (y) {
    case HistoryY::KldMean: return "mean KLD (nats)";
    case HistoryY::KldP99: return "p99 KLD (nats)";
    case HistoryY::Perplexity: return "perplexity";
    case HistoryY::Top1Disagreement: return "top-1 disagreement (%)";
    case HistoryY::DecodeMsPerToken: return "decode latency (ms/token)";
    case HistoryY::PrefillMsPerToken: return "prefill latency (ms/token)";
    case HistoryY::MemoryBytes: return "weights + KV cache (bytes)";
    case HistoryY::PeakRssMiB: return "peak RSS (MiB)";
    }
    return "";
}

HistoryChart historyChart(const std::vector<HistoryPoint> &history, HistoryX x, HistoryY y,
                          const std::map<std::string, std::string> &evaluation)
{
    HistoryChart c;
    c.xLabel = axisLabel(x);
    c.yLabel = axisLabel(y);
    std::vector<CostPoint> costs;
    std::vector<size_t> costPoint; // costs[k] is points[costPoint[k]]
    for (size_t i = 0; i < history.size(); ++i) {
        const HistoryPoint &h = history[i];
        if (!sameEvaluation(h, evaluation))
            continue;
        const double yv = yOf(h, y);
        if (!std::isfinite(yv)) {
            ++c.omitted;
            continue;
        }
        HistoryChartPoint p;
        p.history = i;
        p.key = h.key;
        p.name = h.name;
        p.summary = historySummary(h);
        p.x = xOf(h, x);
        p.y = yv;
        p.yError = y == HistoryY::Perplexity ? h.pplStderr : 0.0;
        p.reference = !h.referencePath.empty();
        p.original = h.recipeJson.empty() && !p.reference;
        if (!p.reference) { // drawn apart: a file we did not make is no plan of ours
            costs.push_back({p.x, p.y});
            costPoint.push_back(c.points.size());
        }
        c.points.push_back(std::move(p));
    }
    for (const size_t k : paretoFront(costs)) {
        c.front.push_back(costPoint[k]);
        c.points[costPoint[k]].onFront = true;
    }
    return c;
}

std::vector<HistoryEvaluation> historyEvaluations(const std::vector<HistoryPoint> &history)
{
    std::vector<HistoryEvaluation> out;
    for (const HistoryPoint &h : history) {
        std::map<std::string, std::string> eval;
        for (const auto &[name, value] : h.settings)
            if (name.starts_with("eval."))
                eval.emplace(name, value);
        auto it = std::find_if(out.begin(), out.end(),
                               [&](const HistoryEvaluation &e) { return e.settings == eval; });
        if (it == out.end()) {
            HistoryEvaluation e;
            e.settings = eval;
            const auto setting = [&](const char *name) {
                const auto s = eval.find(name);
                return s == eval.end() ? std::string("?") : s->second;
            };
            const std::string chunks = setting("eval.chunks");
            e.label = std::filesystem::path(h.textPath).filename().string() + ", n_ctx "
                      + setting("eval.n_ctx") + ", "
                      + (chunks == "0" ? std::string("all windows") : chunks + " windows");
            out.push_back(std::move(e));
            it = out.end() - 1;
        }
        ++it->points;
    }
    return out;
}

std::string historySummary(const HistoryPoint &point)
{
    if (!point.referencePath.empty())
        return "reference file " + point.referencePath;
    if (point.recipeJson.empty())
        return "original";
    try {
        return recipeSummary(parseRecipeLenient(point.recipeJson, point.name).recipe);
    } catch (const Error &) {
        return "unreadable recipe";
    }
}

} // namespace cwb
