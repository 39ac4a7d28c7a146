// SPDX-License-Identifier: MIT
#pragma once
// One call for the whole structure analysis of a model (the GUI's Structures tab, `cwb prune
// --block-scores`): activation statistics with Hessians from the start of a calibration text,
// channel and KV-group scores, and the block pass on windows from its end. Progress: the
// statistics take the first 60%, the block pass the rest.

#include "prune/structure_scores.h"

#include <string>

namespace cwb {

struct StructureAnalysisParams {
    std::string calibrationPath;
    StructureScore score = StructureScore::Activation;
    int64_t sequences = 32;          // statistics sequences
    int64_t tokensPerSequence = 256; // capped at the model's context
    int64_t windows = 4;             // block-pass windows
    bool blocks = true;              // run the block pass
    int threads = 0;
};

// The calibration statistics structure scores and repairs read: Hessians of every projection
// input, from `sequences` x `tokensPerSequence` tokens (capped at the model's context) from the
// start of `calibrationPath`. One place for the structure analysis, the pipeline's structure
// step and the solver's structure candidates.
[[nodiscard]] ActivationStats structureStatistics(const Model &model,
                                                  const std::string &calibrationPath,
                                                  int64_t sequences, int64_t tokensPerSequence,
                                                  int threads, const JobContext &ctx = {});

[[nodiscard]] StructureScores analyzeStructures(const Model &model,
                                                const StructureAnalysisParams &params,
                                                const JobContext &ctx = {});

} // namespace cwb
