// SPDX-License-Identifier: MIT
#include "prune/structured_plan.h"

#include "model/canonical_name.h"
#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace cwb {

std::string_view pruneTargetName(PruneTarget t)
{
    switch (t) {
    case PruneTarget::Engine: return "cwb";
    case PruneTarget::Gguf: return "gguf";
    case PruneTarget::Safetensors: return "safetensors";
    }
    return "?";
}

std::vector<int64_t> uniformFfnKeep(const std::vector<int64_t> &widths, double fraction)
{
    std::vector<int64_t> keep;
    for (const int64_t w : widths)
        keep.push_back(std::clamp<int64_t>(std::llround(fraction * double(w)), 1, w));
    return keep;
}

std::vector<int64_t> countFfnKeep(const std::vector<int64_t> &widths, int64_t count)
{
    return std::vector<int64_t>(widths.size(), count);
}

std::vector<int64_t> globalFfnKeep(const std::vector<std::vector<double>> &scores, double fraction)
{
    struct Entry {
        double score;
        size_t layer;
    };
    std::vector<Entry> all;
    for (size_t l = 0; l < scores.size(); ++l)
        for (const double s : scores[l])
            all.push_back({s, l});
    const int64_t budget = std::llround(fraction * double(all.size()));
    std::stable_sort(all.begin(), all.end(),
                     [](const Entry &a, const Entry &b) { return a.score > b.score; });
    std::vector<int64_t> keep(scores.size(), 0);
    for (int64_t i = 0; i < int64_t(all.size()) && i < budget; ++i)
        ++keep[all[size_t(i)].layer];
    for (auto &k : keep)
        k = std::max<int64_t>(k, 1);
    return keep;
}

int64_t layerAfterDrops(int64_t layer, const std::vector<int64_t> &dropped)
{
    int64_t below = 0;
    for (const int64_t d : dropped) {
        if (d == layer)
            return -1;
        below += d < layer ? 1 : 0;
    }
    return layer - below;
}

int64_t layerBeforeDrops(int64_t layer, const std::vector<int64_t> &dropped)
{
    std::vector<int64_t> sorted = dropped;
    std::sort(sorted.begin(), sorted.end());
    for (const int64_t d : sorted)
        if (d <= layer)
            ++layer;
    return layer;
}

namespace {

std::string renamed(const std::string &canonical, int64_t layer)
{
    if (layer < 0)
        return {};
    return layerTensorName(layer, splitLayerTensorName(canonical)->role);
}

} // namespace

std::string nameAfterDrops(const std::string &canonical, const std::vector<int64_t> &dropped)
{
    const int64_t l = canonicalLayerIndex(canonical);
    return l < 0 ? canonical : renamed(canonical, layerAfterDrops(l, dropped));
}

std::string nameBeforeDrops(const std::string &canonical, const std::vector<int64_t> &dropped)
{
    const int64_t l = canonicalLayerIndex(canonical);
    return l < 0 ? canonical : renamed(canonical, layerBeforeDrops(l, dropped));
}

std::vector<int64_t> ffnWidths(const Model &model)
{
    std::vector<int64_t> widths;
    for (int64_t l = 0; l < model.hparams.nLayers; ++l) {
        const Tensor *down = model.findTensor(layerPrefix(l) + "mlp.down");
        widths.push_back(down && down->shape.size() == 2 ? down->shape[1]
                                                         : model.hparams.hiddenDim);
    }
    return widths;
}

int64_t parametersRemoved(const Model &model, const StructuredPlan &plan)
{
    const HyperParams &h = model.hparams;
    const std::vector<int64_t> widths = ffnWidths(model);
    const std::set<int64_t> dropped(plan.dropBlocks.begin(), plan.dropBlocks.end());
    int64_t removed = 0;
    for (int64_t l = 0; l < h.nLayers; ++l) {
        const std::string p = layerPrefix(l);
        if (dropped.contains(l)) {
            for (const auto &t : model.tensors)
                if (canonicalLayerIndex(t.canonical) == l)
                    removed += t.numel();
            continue;
        }
        const int64_t keep = plan.ffnKeep.empty() ? -1 : plan.ffnKeep[size_t(l)];
        if (keep > 0 && keep < widths[size_t(l)])
            removed += 3 * h.dim * (widths[size_t(l)] - keep);
        if (plan.kvGroupsKeep > 0 && plan.kvGroupsKeep < h.nKvHeads) {
            const int64_t groups = h.nKvHeads - plan.kvGroupsKeep;
            const int64_t qRows = groups * (h.nHeads / h.nKvHeads) * h.headDim;
            removed += 2 * qRows * h.dim + 2 * groups * h.headDim * h.dim;
        }
    }
    return removed;
}

std::vector<std::string> planRefusals(const Model &model, const StructuredPlan &plan,
                                      PruneTarget target)
{
    std::vector<std::string> out;
    const HyperParams &h = model.hparams;
    const std::string engine = std::string(pruneTargetName(target));
    const std::string engineLabel = target == PruneTarget::Engine ? "this workbench's engine"
                                    : target == PruneTarget::Gguf
                                        ? "llama.cpp (gguf, architecture llama)"
                                        : "Hugging Face transformers (LlamaConfig)";
    const std::vector<int64_t> widths = ffnWidths(model);
    std::set<int64_t> dropped;
    for (const int64_t l : plan.dropBlocks) {
        if (l < 0 || l >= h.nLayers)
            out.push_back("block " + std::to_string(l) + " does not exist (layers 0 .. "
                          + std::to_string(h.nLayers - 1) + ")");
        else if (!dropped.insert(l).second)
            out.push_back("block " + std::to_string(l) + " is dropped twice");
    }
    if (int64_t(dropped.size()) >= h.nLayers)
        out.push_back("every block would be dropped");
    if (!plan.ffnKeep.empty() && int64_t(plan.ffnKeep.size()) != h.nLayers)
        out.push_back("the FFN plan has " + std::to_string(plan.ffnKeep.size())
                      + " layers, the model " + std::to_string(h.nLayers));
    // Widths of the surviving layers, as the engine will see them.
    std::vector<std::pair<int64_t, int64_t>> kept; // {layer, width}
    for (int64_t l = 0; l < h.nLayers && int64_t(plan.ffnKeep.size()) == h.nLayers; ++l) {
        const int64_t k = plan.ffnKeep[size_t(l)];
        if (k == 0 || k < -1 || k > widths[size_t(l)])
            out.push_back("tensor " + layerPrefix(l) + "mlp.down: keep " + std::to_string(k)
                          + " channels of " + std::to_string(widths[size_t(l)])
                          + " (must be 1 .. the width, or -1 for all)");
        if (!dropped.contains(l))
            kept.emplace_back(l, k < 0 ? widths[size_t(l)] : k);
    }
    if (plan.ffnKeep.empty())
        for (int64_t l = 0; l < h.nLayers; ++l)
            if (!dropped.contains(l))
                kept.emplace_back(l, widths[size_t(l)]);
    if (plan.kvGroupsKeep == 0 || plan.kvGroupsKeep < -1 || plan.kvGroupsKeep > h.nKvHeads)
        out.push_back("keep " + std::to_string(plan.kvGroupsKeep) + " KV groups of "
                      + std::to_string(h.nKvHeads) + " (must be 1 .. " + std::to_string(h.nKvHeads)
                      + ", or -1 for all)");
    if (target != PruneTarget::Engine && !kept.empty()) {
        const int64_t first = kept.front().second;
        for (const auto &[l, w] : kept)
            if (w != first) {
                out.push_back("tensor " + layerPrefix(l) + "mlp.gate/up/down: FFN width "
                              + std::to_string(w) + " differs from layer "
                              + std::to_string(kept.front().first) + "'s " + std::to_string(first)
                              + "; " + engineLabel + " builds every layer with one width (target "
                              + engine + ": use a uniform keep count)");
                break;
            }
    }
    if (model.family != ArchFamily::Llama)
        out.push_back(engineLabel + ": structured pruning runs on the llama family only");
    return out;
}

} // namespace cwb
