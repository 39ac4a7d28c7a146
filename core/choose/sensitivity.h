// SPDX-License-Identifier: MIT
#pragma once
// The sensitivity analysis: for every tensor the engine can swap (layer projections, the
// embedding, an untied head) and every candidate option, the damage when ONLY that tensor is
// stored in that option: dKLD, the mean KL of the next-token distributions from the original's
// on calibration windows (analysis/kld_windows.h), next to the proxies (relative weight error,
// relative and absolute Hessian-weighted output error) and the stored bytes from the registry
// (analysis/sensitivity_table.h has the fields).
//
// How it runs, so that it is fast and its numbers are reproducible:
//   1. calibration statistics (mean x^2, Hessians) are collected once with the settings
//      `cwb compress` uses, so every option is quantized exactly as the pipeline will quantize it
//      (compressTensor with the plan a one-option recipe resolves to);
//   2. one engine holds the original weights; the original's distributions on the KLD windows
//      are computed once;
//   3. tensors are visited layer by layer. The residual stream entering layer l is kept per
//      window, so an option of a layer-l tensor reruns only layers l .. L-1 and the head
//      (Engine::runLayers); the embedding reruns everything, a head only the logits. Each option
//      is swapped in (Engine::swapWeights), measured and swapped out;
//   4. an option whose stored values equal the original's (keep, f32 of an F32 tensor) has
//      dKLD 0 without a run, and one whose values equal an earlier option's of the same tensor
//      (q8_0 with and without imatrix) copies its dKLD.
// Options that do not fit a tensor (a row length their block does not divide, a method needing
// statistics the tensor has none of) are recorded as not fitting with the plan's reason; nothing
// falls back. "keep" is always an option. With a fixed thread count the results are the same
// run after run (every reduction has a fixed order).

#include "analysis/sensitivity_table.h"
#include "choose/candidates.h"
#include "analysis/kld_windows.h"
#include "jobs/job_context.h"
#include "model/model.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cwb {

struct SensitivityParams {
    std::string calibrationPath;      // UTF-8 text: statistics and the KLD windows (required)
    std::vector<Candidate> candidates; // the options ("keep" is added when missing)
    KldWindowParams windows;          // 8 windows of 256 tokens
    int64_t statisticsSequences = 64; // calibration statistics, as `cwb compress` collects them
    int64_t statisticsTokensPerSequence = 256;
    int threads = 0;                  // engine and method threads; 0 = all cores
};

// The candidates the analysis runs: `candidates` with "keep" first when it is missing.
[[nodiscard]] std::vector<Candidate> withKeep(std::vector<Candidate> candidates);

// The key and readable settings a table computed with `params` for `model` gets; a cached table
// with the same key is reused. Reads the calibration text (its bytes are part of the key).
struct SensitivityIdentity {
    std::string key;
    std::map<std::string, std::string> settings;
};
[[nodiscard]] SensitivityIdentity sensitivityIdentity(const Model &model,
                                                      const SensitivityParams &params);

// Throws cwb::Error for a model the engine cannot run, a missing or short calibration text, or
// an empty candidate list; cwb::Cancelled when ctx is cancelled. Progress: one report per
// (tensor, option), "layers.3.mlp.down q4_k: dKLD 0.00123".
[[nodiscard]] SensitivityTable computeSensitivity(const Model &model,
                                                  const SensitivityParams &params,
                                                  const JobContext &ctx = {});

} // namespace cwb
