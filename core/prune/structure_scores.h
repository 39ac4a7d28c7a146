// SPDX-License-Identifier: MIT
#pragma once
// How much each structure of a llama-family model matters, from calibration data:
//   FFN channels   per layer, one score per intermediate channel (the down projection's
//                  columns with the gate/up rows that produce them; compress/structured_prune.h)
//   KV groups      per layer, one score per KV head together with the query heads that read it
//                  (GQA: head h reads KV head h / (nHeads / nKvHeads)); the columns of attn.o
//                  those query heads write
//   blocks         per layer: ShortGPT's angular distance between the block's input and output
//                  streams, arccos(cos(x_in, x_out)) / pi averaged over calibration tokens
//                  (small: the block barely turns the stream), and the increase in KL divergence
//                  of the next-token distributions when the block alone is skipped (the
//                  measure of record; analysis/kld_windows.h, windows from the END of the text)
// Channel and group scores read the Hessians (X^T X) of analysis/activation_stats.h; the block
// pass runs the engine in stages over the KLD windows.

#include "analysis/activation_stats.h"
#include "analysis/kld_windows.h"
#include "compress/structured_prune.h"
#include "jobs/job_context.h"
#include "model/model.h"

#include <cstdint>
#include <map>
#include <vector>

namespace cwb {

struct LayerStructureScores {
    int64_t layer = 0;
    std::vector<double> ffnChannels; // one per FFN channel of the layer
    std::vector<double> kvGroups;    // one per KV group
};

struct BlockScore {
    int64_t layer = 0;
    double angularDistance = 0; // mean over tokens of arccos(cos) / pi, 0 .. 1
    double deltaKld = 0;        // mean KL per scored position with the block skipped
};

// What refitting layer l-1's down projection needs to absorb block l's update D = out - in
// (compress/structured_prune.h absorbResidual): the Gram of l-1's FFN activations A, the cross
// moment A^T D and ||D||^2. The KLD windows alternate: even windows are fitted on, odd ones are
// held out to measure the refit (with hidden-many unknowns per output, an in-sample error says
// little: it falls towards 0 as the rows approach the width).
struct AbsorbMoments {
    struct Rows {
        int64_t tokens = 0;
        std::vector<double> gram;  // hidden x hidden
        std::vector<double> cross; // hidden x dim
        double residualSumSq = 0;
    };
    int64_t layer = 0; // the dropped block l; its update goes into layers.(l-1).mlp.down
    int64_t hidden = 0, dim = 0;
    Rows fit, heldOut;
};

struct StructureScores {
    StructureScore kind = StructureScore::Activation; // of the channel and group scores
    std::vector<LayerStructureScores> layers;
    std::vector<BlockScore> blocks; // empty when the block pass was not run
    double baseKld = 0;             // KL of the unmodified staged run (~0: a sanity figure)
    int64_t windows = 0, positions = 0;
    std::map<int64_t, AbsorbMoments> absorb; // by dropped layer
};

// Channel and KV-group scores of every layer. Throws cwb::Error for a model outside the llama
// family, fused gate_up / qkv projections, or stats without the Hessians `kind` needs.
[[nodiscard]] StructureScores scoreChannelsAndGroups(const Model &model,
                                                     const ActivationStats &stats,
                                                     StructureScore kind,
                                                     const RepairParams &params = {});

struct BlockPassParams {
    KldWindowParams windows;
    std::vector<int64_t> absorbLayers; // collect AbsorbMoments for these blocks (l >= 1)
    int threads = 0;
};

// Angular distance and ΔKLD of every block into scores.blocks (and the absorb moments), on
// windows cut from the end of `calibPath`. Reports progress per window; cwb::Cancelled.
void scoreBlocks(const Model &model, const std::string &calibPath, const BlockPassParams &params,
                 StructureScores &scores, const JobContext &ctx = {});

// Layers in ascending order of a block measure (least important first).
[[nodiscard]] std::vector<int64_t> blockRanking(const StructureScores &scores, bool byKld);

} // namespace cwb
