// SPDX-License-Identifier: MIT
#pragma once
// What the three recipe exports (llm-compressor, llama.cpp, GPTQModel) share: the plan read as
// one tool sees it (each used slot's method as the registry's recipe form for that tool,
// methods/method.h RecipeForms), the settings one instance of a tool's algorithm takes for all
// its tensors chosen by majority, and the texts the per-tensor rows are made of.

#include "export/export_result.h"
#include "methods/method.h"
#include "util/atomic_file.h"
#include "util/text_format.h"
#include "model/model.h"
#include "recipe/plan.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cwb {

// Which tool's form a recipe export reads: &RecipeForms::llmCompressor, ...
using RecipeTool = ToolForm RecipeForms::*;

struct RecipeEntry {
    const TensorPlan *plan = nullptr;
    // The form of each used slot's method; nullopt for an unused slot (the quantize slot is
    // always used: "keep" at least).
    std::optional<ToolForm> prune, lowRank, quantize;
    [[nodiscard]] bool matrix() const { return plan->shape.size() >= 2; }
};

// A tool setting's value as JSON (null, bool, integer, number or string); the llm-compressor and
// GPTQModel exports write their settings through it.
[[nodiscard]] nlohmann::ordered_json toolValueJson(const ToolValue &v);

// Every tensor of the plan, in model order.
[[nodiscard]] std::vector<RecipeEntry> recipeEntries(const Plan &plan, RecipeTool tool);

// For each algorithm, the `shared` settings most of its tensors ask for (the earliest in plan
// order on a tie). `pick` selects the form of an entry that counts (nullptr: none).
[[nodiscard]] std::map<std::string, std::vector<ToolArg>>
majorityShared(const std::vector<RecipeEntry> &entries,
               const std::function<const ToolForm *(const RecipeEntry &)> &pick);

// The values most entries ask for among `candidates` (the earliest on a tie); empty for none.
[[nodiscard]] std::vector<ToolArg>
majorityArgs(const std::vector<const std::vector<ToolArg> *> &candidates);

// "dampening_frac 0.05, actorder null" for the settings of `wanted` that `given` sets otherwise,
// each followed by what it is given: "dampening_frac 0.05 (given 0.01)"; empty when none differ.
[[nodiscard]] std::string settingsDifference(const std::vector<ToolArg> &wanted,
                                             const std::vector<ToolArg> &given);

// "bits 4, group_size 32, sym true"
[[nodiscard]] std::string argsText(const std::vector<ToolArg> &args);
// The value of `key` in `args`, or nullptr.
[[nodiscard]] const ToolValue *findArg(const std::vector<ToolArg> &args, std::string_view key);

// `a` + "; " + `b`, skipping empty parts.
[[nodiscard]] std::string joinNotes(const std::string &a, const std::string &b);

// Throws cwb::Error naming `target` when the model is missing or not llama-family (the names the
// recipes use are llama's: Hugging Face modules, GGUF tensors), or the plan is missing.
void requireLlamaRecipeInputs(const Model *model, const Plan *plan, const std::string &target);

// Writes `text` to `path` atomically (util/atomic_file.h); `readBack(temp)` checks the written
// file before it replaces `path` and throws when it does not hold what was meant. Throws
// cwb::Error naming `path` when it is a directory or cannot be written.
void writeRecipeFile(const std::string &path, const std::string &text,
                     const std::function<void(const std::string &temp)> &readBack,
                     const AtomicWriteHooks &hooks);

// Fills the file fields of a written export: `files`, their total size, written and verified.
void markWritten(ExportResult &r, std::vector<std::string> files);

} // namespace cwb
