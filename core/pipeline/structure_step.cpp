// SPDX-License-Identifier: MIT
#include "pipeline/structure_step.h"

#include "model/canonical_name.h"
#include "prune/pruned_model.h"
#include "prune/structure_analysis.h"
#include "prune/structure_scores.h"
#include "recipe/plan_structures.h"
#include "recipe/resolve.h"
#include "recipe/size_estimate.h"
#include "util/error.h"

#include <algorithm>
#include <map>

namespace cwb {

namespace {

// Block windows for the repair of a dropped block (cwb prune's default).
constexpr int64_t kBlockWindows = 8;

ActivationStats sourceStatistics(const Model &source, const CompressParams &params,
                                 const JobContext &job)
{
    if (params.calibrationStats && params.calibrationStats->hasHessians)
        return *params.calibrationStats;
    if (params.calibrationPath.empty())
        throw Error("the plan removes structures, which needs calibration text (--calib FILE)");
    return structureStatistics(source, params.calibrationPath, params.calibration.sequences,
                               params.calibration.tokensPerSequence, params.threads, job);
}

// The source plan carried over to the smaller model: each tensor keeps its source tensor's
// slots (structure emptied) and dtype (so "keep" stores the source's type), takes the smaller
// model's index, name and shape, and is marked rewritten when the step changed it.
Plan mappedPlan(const Plan &plan, const Model &smaller, const std::vector<int64_t> &dropped)
{
    std::map<std::string, const TensorPlan *> bySmallerName;
    for (const TensorPlan &tp : plan.tensors) {
        const std::string key = tp.canonical.empty() ? tp.name : nameAfterDrops(tp.canonical, dropped);
        if (!key.empty())
            bySmallerName[key] = &tp;
    }
    Plan out = plan;
    out.tensors.clear();
    for (size_t i = 0; i < smaller.tensors.size(); ++i) {
        const Tensor &t = smaller.tensors[i];
        const auto it = bySmallerName.find(t.canonical.empty() ? t.name : t.canonical);
        if (it == bySmallerName.end())
            throw Error("structure step: tensor " + t.name + " of the pruned model has no plan");
        TensorPlan tp = *it->second;
        const bool rewritten = tp.structure.changesValues();
        tp.index = i;
        tp.name = t.name;
        tp.canonical = t.canonical;
        tp.shape = t.shape;
        tp.originalBytes = t.byteSize;
        tp.slot(MethodSlot::Structure) = SlotPlan{};
        tp.structure = {};
        tp.structure.refitted = rewritten;
        out.tensors.push_back(std::move(tp));
    }
    for (TensorPlan &tp : out.tensors)
        tp.estimate = estimateTensorBytes(tp);
    out.totals = planTotals(out);
    return out;
}

} // namespace

StructureStep runStructureStep(const Model &source, const Plan &plan,
                               const CompressParams &params, const JobContext &job)
{
    const PlanStructures ps = planStructures(plan, source);
    const StructuredPlan &sp = ps.plan;
    const bool blockPass = sp.repair && std::any_of(sp.dropBlocks.begin(), sp.dropBlocks.end(),
                                                    [](int64_t l) { return l > 0; });
    const ActivationStats stats =
        sourceStatistics(source, params, job.stage(0.0, blockPass ? 0.6 : 0.9, "calibration"));
    StructureScores scores = scoreChannelsAndGroups(source, stats, sp.score, sp.repairParams);
    if (blockPass) {
        if (params.calibrationPath.empty())
            throw Error("repairing a dropped block needs the calibration text (--calib FILE)");
        BlockPassParams bp;
        bp.windows.windows = kBlockWindows;
        bp.windows.tokensPerWindow = std::min<int64_t>(
            params.calibration.tokensPerSequence,
            source.hparams.contextLength > 0 ? source.hparams.contextLength : INT64_MAX);
        bp.threads = params.threads;
        for (const int64_t l : sp.dropBlocks)
            if (l > 0)
                bp.absorbLayers.push_back(l);
        scoreBlocks(source, params.calibrationPath, bp, scores, job.stage(0.6, 0.9, "blocks"));
    }
    job.checkCancelled();
    StructuredOutcome pruned = applyStructuredPlan(source, stats, scores, sp);
    job.checkCancelled();

    StructureStep out;
    out.plan = mappedPlan(plan, pruned.model, sp.dropBlocks);
    const HyperParams &h = pruned.model.hparams;
    out.record.droppedBlocks = sp.dropBlocks;
    out.record.layers = h.nLayers;
    out.record.heads = h.nHeads;
    out.record.kvHeads = h.nKvHeads;
    out.record.ffnWidth = h.hiddenDim;
    out.record.parametersBefore = pruned.parametersBefore;
    out.record.parametersAfter = pruned.parametersAfter;
    out.record.changes = std::move(pruned.layers);
    out.model = std::move(pruned.model);
    return out;
}

Model structuredSource(const Model &source, const CompressedModel &compressed)
{
    if (!compressed.structure.any())
        return source;
    const StructureRecord &r = compressed.structure;
    Model m = source;
    for (const int64_t l : r.droppedBlocks)
        if (l < 0 || l >= source.hparams.nLayers)
            throwIn(source.path, "the compressed model drops block " + std::to_string(l)
                                     + ", which this model does not have");
    dropBlocksAndRenumber(m, r.droppedBlocks);
    if (m.hparams.nLayers != r.layers)
        throwIn(source.path, "the compressed model has " + std::to_string(r.layers)
                                 + " layers after its structure step; this model gives "
                                 + std::to_string(m.hparams.nLayers));
    m.hparams.nHeads = r.heads;
    m.hparams.nKvHeads = r.kvHeads;
    m.hparams.hiddenDim = r.ffnWidth;
    for (const CompressedTensor &ct : compressed.tensors) {
        if (ct.index >= m.tensors.size() || m.tensors[ct.index].name != ct.name)
            throwIn(source.path, "the compressed tensor " + ct.name + " (index "
                                     + std::to_string(ct.index)
                                     + ") is not in the model its structure step leaves");
        Tensor &t = m.tensors[ct.index];
        if (t.shape == ct.shape)
            continue;
        // A pruned shape: the tensor holds the stored values, so the model is consistent for
        // every reader (the engine then takes the compressed tensor as its replacement).
        auto values = std::make_shared<const std::vector<float>>(ct.reconstruct());
        t.dtype = DType::F32;
        t.dtypeLabel.clear();
        t.loader = {};
        t.fileOffset = 0;
        t.shape = ct.shape;
        t.byteSize = values->size() * sizeof(float);
        t.data = std::span(reinterpret_cast<const std::byte *>(values->data()), t.byteSize);
        t.keepAlive = values;
        t.file += " (pruned)";
    }
    return m;
}

} // namespace cwb
