// SPDX-License-Identifier: MIT
#pragma once
// What magnitude, wanda and sparsegpt share: the recipe's sparsity / nm as PruneParams, the mask
// bytes pruning.h stores, and a descriptor skeleton. Only methods/*.cpp include this.

#include "compress/pruning.h"
#include "methods/method.h"

namespace cwb::methoddetail {

// "2:4" -> {2, 4}; "none" -> {0, 0}.
[[nodiscard]] std::pair<int, int> nmOf(const ParamReader &p);
// sparsity and N:M (N:M keeps N of every M, so `sparsity` is then 1 - N/M).
[[nodiscard]] PruneParams pruneParamsOf(const ParamReader &p);
[[nodiscard]] PruneOutcome outcomeOf(PruneResult r, const ParamReader &p, int64_t rows,
                                     int64_t cols);
// Recipe forms of a pruning method: llm-compressor's one-shot `modifier` (SparseGPTModifier,
// WandaPruningModifier) with sparsity and mask_structure plus `extraShared` modifier arguments,
// or, with `modifier` empty, none (`llmCompressorNote` says why). GPTQModel and llama.cpp do
// not prune.
[[nodiscard]] RecipeForms pruneRecipeForms(const ParamReader &p, const std::string &modifier,
                                           std::vector<ToolArg> extraShared,
                                           const std::string &llmCompressorNote = {});
// A prune descriptor with its mask bytes; the caller sets `prune` (and calibration needs).
[[nodiscard]] MethodSpec pruneSkeleton(std::string name, std::vector<ParamSpec> params,
                                       std::string summary);

} // namespace cwb::methoddetail
