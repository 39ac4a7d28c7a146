// SPDX-License-Identifier: MIT
#pragma once
// AWQ with its scales folded into the preceding norm, as llm-awq does where the architecture
// allows: the projections that read one norm's output (q, k, v after attn_norm; gate, up after
// mlp_norm) share ONE per-channel scale s, searched jointly (the alpha minimizing the summed output
// error sum_i ||X (W_i - W_i')^T||^2 over all of them: compress/awq.h on the stacked rows, which
// quantizes every row exactly as each tensor alone would), and the norm's weight (and bias)
// become g / s, so the layer needs no multiplier at run time.
//
// A norm output is folded when every projection reading it is planned with quantize "awq" and
// the same bits / group / sym / alpha_grid and no prune or low-rank stage, the norm itself is
// kept by the plan, and calibration statistics exist for it. Everything else that is planned
// "awq" (attn.o, mlp.down, mixed plans) keeps s as an explicit multiplier (ScaledInputLinear).

#include "analysis/activation_stats.h"
#include "compress/compressed_model.h"
#include "jobs/job_context.h"
#include "model/model.h"
#include "recipe/plan.h"

#include <string>
#include <vector>

namespace cwb {

struct AwqFoldGroup {
    std::string site;                       // "layers.3.attn_norm.out"
    const TensorPlan *norm = nullptr;       // "layers.3.attn_norm"
    const TensorPlan *normBias = nullptr;   // "layers.3.attn_norm.bias" (GPT-2), or null
    std::vector<const TensorPlan *> members; // the projections, model order
};

[[nodiscard]] std::vector<AwqFoldGroup> findAwqFoldGroups(const Model &model, const Plan &plan,
                                                          const ActivationStats &stats);

// The members quantized with the joint scale (foldedScales set, reports filled) followed by
// the norm weight (and bias) divided by it.
[[nodiscard]] std::vector<CompressedTensor> compressAwqFoldGroup(const Model &model,
                                                                 const AwqFoldGroup &group,
                                                                 const ActivationStats &stats,
                                                                 bool outputError,
                                                                 const JobContext &job);

} // namespace cwb
