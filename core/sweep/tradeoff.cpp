// SPDX-License-Identifier: MIT
#include "sweep/tradeoff.h"

#include "methods/method_schema.h"
#include "methods/registry.h"
#include "recipe/recipe.h"
#include "solve/pareto.h"
#include "util/error.h"

#include <cmath>
#include <limits>

namespace cwb {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double xOf(const HistoryPoint &p, TradeoffX x)
{
    return x == TradeoffX::Bytes ? double(p.bytes) : p.bitsPerWeight;
}

// NaN where the point has no such value.
double yOf(const HistoryPoint &p, TradeoffY y)
{
    switch (y) {
    case TradeoffY::KldMean: return p.hasKld ? p.kldMean : kNaN;
    case TradeoffY::KldP99: return p.hasKld ? p.kldP99 : kNaN;
    case TradeoffY::Perplexity: return p.ppl;
    case TradeoffY::Top1Disagreement: return p.hasKld ? 100.0 - p.top1Pct : kNaN;
    case TradeoffY::DecodeMsPerToken:
        return p.hasLatency && p.decodeTokPerS > 0 ? 1000.0 / p.decodeTokPerS : kNaN;
    case TradeoffY::PrefillMsPerToken:
        return p.hasLatency && p.prefillTokPerS > 0 ? 1000.0 / p.prefillTokPerS : kNaN;
    case TradeoffY::WeightBytes: return double(p.weightBytes);
    case TradeoffY::KvBytes: return double(p.kvBytes);
    case TradeoffY::PeakRssMiB: return p.peakRssMiB;
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

std::string entryText(const MethodEntry &e)
{
    // The one entry naming no registered method empties its slot ({"method": "none"}).
    if (!findMethod(e.method))
        return "no " + std::string(slotName(e.slot));
    std::string s = e.method;
    if (e.params.empty())
        return s;
    s += "(";
    for (size_t i = 0; i < e.params.size(); ++i)
        s += (i ? ", " : "") + e.params[i].first + "=" + formatParamValue(e.params[i].second);
    return s + ")";
}

std::string entriesText(const std::vector<MethodEntry> &entries)
{
    std::string s;
    for (const MethodEntry &e : entries) {
        if (!s.empty())
            s += " -> ";
        s += entryText(e);
    }
    return s;
}

} // namespace

const char *axisLabel(TradeoffX x)
{
    return x == TradeoffX::Bytes ? "stored bytes" : "bits/weight";
}

const char *axisLabel(TradeoffY y)
{
    switch (y) {
    case TradeoffY::KldMean: return "mean KLD (nats)";
    case TradeoffY::KldP99: return "p99 KLD (nats)";
    case TradeoffY::Perplexity: return "perplexity";
    case TradeoffY::Top1Disagreement: return "top-1 disagreement (%)";
    case TradeoffY::DecodeMsPerToken: return "decode latency (ms/token)";
    case TradeoffY::PrefillMsPerToken: return "prefill latency (ms/token)";
    case TradeoffY::WeightBytes: return "weight memory (bytes)";
    case TradeoffY::KvBytes: return "KV cache (bytes)";
    case TradeoffY::PeakRssMiB: return "peak RSS (MiB)";
    }
    return "";
}

TradeoffChart tradeoffChart(const std::vector<HistoryPoint> &history, TradeoffX x, TradeoffY y,
                            const std::map<std::string, std::string> &evaluation)
{
    TradeoffChart c;
    c.xLabel = axisLabel(x);
    c.yLabel = axisLabel(y);
    std::vector<CostPoint> costs;
    for (size_t i = 0; i < history.size(); ++i) {
        const HistoryPoint &h = history[i];
        if (!sameEvaluation(h, evaluation))
            continue;
        const double yv = yOf(h, y);
        if (!std::isfinite(yv)) {
            ++c.omitted;
            continue;
        }
        TradeoffPoint p;
        p.history = i;
        p.key = h.key;
        p.label = h.name;
        p.recipeSummary = recipeSummary(h.recipeJson);
        p.x = xOf(h, x);
        p.y = yv;
        p.yError = y == TradeoffY::Perplexity ? h.pplStderr : 0.0;
        p.original = h.recipeJson.empty();
        c.points.push_back(std::move(p));
        costs.push_back({c.points.back().x, yv});
    }
    c.front = paretoFront(costs);
    for (const size_t i : c.front)
        c.points[i].onFront = true;
    return c;
}

std::string recipeSummary(const std::string &recipeJson, size_t width)
{
    if (recipeJson.empty())
        return "original";
    Recipe r;
    try {
        r = parseRecipeLenient(recipeJson, "recipe").recipe;
    } catch (const Error &) {
        return "unreadable recipe";
    }
    std::string s = r.name.empty() ? "" : r.name + ": ";
    std::string parts;
    const auto add = [&](const std::string &part) {
        if (!parts.empty())
            parts += "; ";
        parts += part;
    };
    if (!r.defaultMethods.empty())
        add(entriesText(r.defaultMethods) + " by default");
    for (const RecipeRule &rule : r.rules)
        add(entriesText(rule.methods) + " on " + rule.match);
    if (!r.overrides.empty())
        add(std::to_string(r.overrides.size())
            + (r.overrides.size() == 1 ? " override" : " overrides"));
    s += parts.empty() ? "keeps every tensor" : parts;
    if (s.size() > width && width > 3) {
        s.resize(width - 3);
        s += "...";
    }
    return s;
}

} // namespace cwb
