// SPDX-License-Identifier: MIT
#pragma once
// What `cwb prune` prints: the block ranking (angular distance vs ΔKLD), the channel and
// KV-group score summary per layer with the cut, and the pruned shapes with their output
// errors before and after repair and the parameter / byte savings.

#include "prune/pruned_model.h"
#include "prune/structure_scores.h"

#include <string>

namespace cwb {

[[nodiscard]] std::string blockScoresText(const StructureScores &scores);
[[nodiscard]] std::string channelScoresText(const StructureScores &scores,
                                            const StructuredPlan &plan);
[[nodiscard]] std::string pruneOutcomeText(const StructuredOutcome &outcome, const StructuredPlan &plan);

// Spearman rank correlation of the two block measures (1: the same order).
[[nodiscard]] double blockRankCorrelation(const StructureScores &scores);

} // namespace cwb
