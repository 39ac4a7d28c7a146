// SPDX-License-Identifier: MIT
#include "prune/prune_report.h"

#include "analysis/sensitivity_table.h"
#include "util/text_format.h"

#include <algorithm>

namespace cwb {
namespace {

std::string ranking(const std::vector<int64_t> &order)
{
    std::string s;
    for (size_t i = 0; i < order.size(); ++i)
        s += (i ? " " : "") + std::to_string(order[i]);
    return s;
}

std::vector<double> sorted(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v;
}

} // namespace

double blockRankCorrelation(const StructureScores &scores)
{
    std::vector<double> a, b;
    for (const auto &s : scores.blocks) {
        a.push_back(s.angularDistance);
        b.push_back(s.deltaKld);
    }
    return spearman(a, b).value_or(1.0);
}

std::string blockScoresText(const StructureScores &scores)
{
    if (scores.blocks.empty())
        return {};
    std::string s = formatted("blocks (%lld KLD windows, %lld scored positions; KL of the "
                              "unmodified staged run %.2e)\n",
                              (long long)scores.windows, (long long)scores.positions,
                              scores.baseKld);
    s += "  layer  angular distance   dKLD skipped\n";
    for (const auto &b : scores.blocks)
        s += formatted("  %5lld  %16.5f  %13.5f\n", (long long)b.layer, b.angularDistance,
                       b.deltaKld);
    s += "  least important first, by angular distance: " + ranking(blockRanking(scores, false))
         + "\n";
    s += "  least important first, by dKLD:             " + ranking(blockRanking(scores, true))
         + "\n";
    s += formatted("  Spearman rank correlation: %.3f\n", blockRankCorrelation(scores));
    return s;
}

std::string channelScoresText(const StructureScores &scores, const StructuredPlan &plan)
{
    std::string s = "structure scores (" + std::string(structureScoreName(scores.kind))
                    + "): per layer min / median / max, and the score at the cut\n";
    s += "  layer  ffn channels                                   kv groups\n";
    for (size_t l = 0; l < scores.layers.size(); ++l) {
        const auto &ls = scores.layers[l];
        const std::vector<double> f = sorted(ls.ffnChannels), g = sorted(ls.kvGroups);
        std::string cut = "-";
        const int64_t keep = plan.ffnKeep.empty() ? -1 : plan.ffnKeep[l];
        if (keep > 0 && keep < int64_t(f.size()))
            cut = formatted("%.3g (keep %lld)", f[f.size() - size_t(keep)], (long long)keep);
        s += formatted("  %5zu  %.3g / %.3g / %.3g  cut %-18s  ", l, f.front(), f[f.size() / 2],
                       f.back(), cut.c_str());
        for (const double v : ls.kvGroups)
            s += formatted("%.3g ", v);
        s += "\n";
    }
    return s;
}

std::string pruneOutcomeText(const StructuredOutcome &o, const StructuredPlan &plan)
{
    std::string s = formatted("pruned (%s scores, %s)\n",
                              std::string(structureScoreName(plan.score)).c_str(),
                              plan.repair ? "least-squares repair" : "no repair");
    s += "  layer  tensor                what           before -> after   output error: "
         "removed   repaired\n";
    for (const auto &r : o.layers)
        s += formatted("  %5lld  %-20s  %-13s  %6lld -> %-6lld                 %8.4f   %s\n",
                       (long long)r.layer, r.tensor.c_str(), r.what.c_str(), (long long)r.before,
                       (long long)r.after, r.errorRemoved,
                       r.errorRepaired < 0 ? "-" : formatted("%8.4f", r.errorRepaired).c_str());
    const auto pct = [](double a, double b) { return a > 0 ? 100.0 * (a - b) / a : 0.0; };
    s += formatted("  parameters %lld -> %lld (-%.1f%%), bytes %llu -> %llu (-%.1f%%)\n",
                   (long long)o.parametersBefore, (long long)o.parametersAfter,
                   pct(double(o.parametersBefore), double(o.parametersAfter)),
                   (unsigned long long)o.bytesBefore, (unsigned long long)o.bytesAfter,
                   pct(double(o.bytesBefore), double(o.bytesAfter)));
    const HyperParams &h = o.model.hparams;
    s += formatted("  shapes: %lld blocks, FFN width %lld (widest), %lld heads / %lld KV heads "
                   "of %lld\n",
                   (long long)h.nLayers, (long long)h.hiddenDim, (long long)h.nHeads,
                   (long long)h.nKvHeads, (long long)h.headDim);
    return s;
}

} // namespace cwb
