// SPDX-License-Identifier: MIT
#pragma once
// An llm-compressor recipe (YAML for `oneshot(model, dataset, recipe=...)`) from a resolved plan
// over a llama-family model. Layout (llm-compressor's recipe.py; fields checked against its
// modifiers and compressed-tensors' QuantizationArgs, which reject unknown keys):
//
//   sparsity_stage:                  only when tensors are pruned with sparsegpt / wanda
//     sparsity_modifiers:
//       SparseGPTModifier: {sparsity, mask_structure "0:0" | "2:4", block_size,
//                           dampening_frac, targets}
//       WandaPruningModifier: {sparsity, mask_structure, targets}
//   quant_stage:
//     quant_modifiers:
//       GPTQModifier: {block_size, dampening_frac, actorder,          gptq tensors
//                      config_groups: {group_N: {targets, weights}}, ignore}
//       QuantizationModifier: {config_groups, ignore}                 rtn, fp8_e4m3 tensors
//
// weights: {num_bits, type int|float, symmetric, strategy group|channel|tensor, group_size,
// actorder (GPTQModifier's, in group-strategy groups), dynamic false}. One modifier per class per
// stage (llm-compressor's rule), so the settings a modifier takes once (dampening_frac,
// actorder, sparsity, mask_structure) are those most of its tensors ask for, and a tensor that
// asks otherwise is reported not expressible. Targets: one anchored regular expression per
// Hugging Face module (`re:^model\.layers\.3\.mlp\.down_proj$`), so no two groups overlap
// (compressed-tensors and vLLM rank overlapping targets differently). `ignore` lists the
// matrices the plan leaves unquantized.
//
// What each method becomes is the registry's recipe form (methods/method.h RecipeForms); the
// report has one row per tensor saying which modifier and group it is in, or why the recipe
// cannot say what the plan does (nf4, ggml blocks: the nearest int grid; awq: the grid without
// its scales; magnitude pruning, low rank, fp4: nothing). Written atomically and read back with
// yaml-cpp before it replaces the file.

#include "export/export_result.h"
#include "jobs/job_context.h"
#include "model/model.h"
#include "recipe/plan.h"
#include "util/atomic_file.h"

#include <string>

namespace cwb {

struct LlmCompressorExportParams {
    const Model *model = nullptr; // the plan's model (llama family)
    const Plan *plan = nullptr;
    std::string outPath;          // the .yaml to write
    bool preview = false;         // rows only, nothing written
    AtomicWriteHooks hooks;       // failpoints for tests
};

// Throws cwb::Error for a missing or non-llama model, a plan llm-compressor can do nothing of
// (when writing), or a path that cannot be written (named).
[[nodiscard]] ExportResult exportLlmCompressor(const LlmCompressorExportParams &params,
                                               const JobContext &job = {});

} // namespace cwb
