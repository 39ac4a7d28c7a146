// SPDX-License-Identifier: MIT
#pragma once
// Structures as solver candidates: the damage of keeping a fraction of every layer's FFN
// channels (prune_channels with repair, recipe/plan_structures.h), measured the way the
// sensitivity analysis measures a tensor's options: per layer, that layer's FFN alone pruned
// to the kept count and repaired (prune/pruned_model.h), the mean KL divergence of the
// next-token distributions against the original on the calibration windows
// (analysis/kld_windows.h). The per-layer figures add up (the additive model the solver uses for
// every option), and the whole-model figure (every layer pruned at once) is measured beside them
// so a report can say how far the sum is from it.
//
// The solver (choose/solve_recipe.h) tries each measured fraction as one uniform keep for all
// layers (llama.cpp's `llama` architecture builds every layer with one FFN width) together with
// the per-tensor options on the smaller shapes, and keeps the plan of least predicted damage.

#include "analysis/kld_windows.h"
#include "jobs/job_context.h"
#include "model/model.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cwb {

struct FfnKeepDamage {
    double keep = 1.0;             // fraction of each layer's channels kept
    std::vector<int64_t> counts;   // channels kept per layer
    std::vector<double> perLayer;  // ΔKLD with only that layer's FFN pruned and repaired
    double summed = 0;             // sum of perLayer: what the solver adds
    double together = 0;           // ΔKLD with every layer pruned at once (for the report)
};

struct FfnKeepParams {
    std::string calibrationPath;      // statistics from its start, windows from it too
    std::vector<double> keeps;        // fractions in (0, 1)
    KldWindowParams windows;          // as the sensitivity analysis
    int64_t statisticsSequences = 64;
    int64_t statisticsTokensPerSequence = 256;
    int threads = 0;
};

// Throws cwb::Error (a model outside the llama family, a fraction outside (0, 1), a text too
// short) or cwb::Cancelled.
[[nodiscard]] std::vector<FfnKeepDamage> measureFfnKeepDamage(const Model &model,
                                                              const FfnKeepParams &params,
                                                              const JobContext &ctx = {});

} // namespace cwb
