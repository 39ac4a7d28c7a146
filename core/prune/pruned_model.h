// SPDX-License-Identifier: MIT
#pragma once
// Applies a StructuredPlan to a llama-family model and returns a smaller dense Model (float32
// tensors held in memory, the untouched ones still viewing the source file) that the engine
// runs and the exporters write like any opened model:
//   FFN channels  gate/up rows and down columns of the removed channels go; down is refitted
//                 on the kept channels (ridge least squares on the calibration Gram of its
//                 input) when plan.repair
//   KV groups     the k/v rows of removed KV heads, the q rows of their query heads and the
//                 matching attn.o columns go (every layer keeps the same count: GQA stays
//                 regular); attn.o is refitted likewise
//   blocks        the layer's tensors go and later layers are renumbered; with plan.repair the
//                 previous block's down projection is refitted to carry the dropped block's
//                 update (structure_scores.h AbsorbMoments), used only when it lowers the
//                 error on the held-out windows
// Per structure it reports the relative output error of the changed projection on the
// calibration rows before (plain removal) and after repair; for a dropped block, the share of
// its update the refit leaves, on held-out windows.

#include "analysis/activation_stats.h"
#include "compress/compressed_model.h"
#include "prune/structure_scores.h"
#include "prune/structured_plan.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cwb {

using PruneLayerReport = StructureChange; // compress/compressed_model.h

struct StructuredOutcome {
    Model model;
    std::vector<PruneLayerReport> layers;
    int64_t parametersBefore = 0, parametersAfter = 0;
    uint64_t bytesBefore = 0, bytesAfter = 0;
};

// Throws cwb::Error for a plan with refusals for the engine (structured_plan.h), stats
// without the Hessians a repair or a calibrated score needs, or a missing absorb moment for a
// dropped block that is to be repaired.
// Removes the tensors of the `dropped` blocks from `model` and renumbers the later layers'
// tensors (canonical names; the source spelling is replaced by the canonical one), keeping
// the order of the rest. hparams.nLayers is reduced.
void dropBlocksAndRenumber(Model &model, const std::vector<int64_t> &dropped);

[[nodiscard]] StructuredOutcome applyStructuredPlan(const Model &model, const ActivationStats &stats,
                                               const StructureScores &scores,
                                               const StructuredPlan &plan);

} // namespace cwb
