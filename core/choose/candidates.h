// SPDX-License-Identifier: MIT
#pragma once
// The options a tensor may get when the workbench chooses for it: a candidate is a method and
// setting (or a short chain: prune + quantize) as recipe entries, named by a canonical text id
// that the sensitivity table stores and `--candidates` / `--lock` accept:
//
//   LIST      = CANDIDATE ("," CANDIDATE)*
//   CANDIDATE = STAGE ("+" STAGE)*            stages in pipeline order: prune, lowrank, quantize
//   STAGE     = METHOD (":" PARAM "=" VALUE)*  e.g. q4_k, rtn:bits=4:group=32, magnitude:nm=2:4
//
// Values are read as the method's schema types them (true/false, integers, numbers, choices);
// unset parameters take the schema defaults. The id writes the method names and, in schema order,
// only the parameters that differ from their defaults ("rtn:bits=4:group=32", "keep"), so equal
// settings always get equal ids whatever order or defaults the user wrote them with.
//
// Default sets per export target (what the target represents exactly, asked of the registry's
// exportForms, never of method names): every quantize method with every combination of its
// storage-defining parameters -- those whose values change the stored bytes or the export form
// (bits, group, sym, f16_scales, granularity, ...) over their discrete values (booleans,
// choices, integer sets, integer ranges of at most 17 values) -- and every other parameter at
// its schema default (gptq's act_order and damp, the ggml types' imatrix: name them in the list
// to choose otherwise). For `any`, the gguf and compressed-tensors sets together plus every other
// quantize method at its defaults. Methods that need sequential calibration (gptq_ggml_recon:
// MethodSpec::needsOriginalCross) are in no default set: the sensitivity table cannot measure
// them.

#include "formats/dtype.h"
#include "recipe/plan.h"
#include "recipe/recipe.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cwb {

enum class TargetFormat : uint8_t { Gguf, CompressedTensors, Any };
[[nodiscard]] std::string_view targetFormatName(TargetFormat t); // "gguf", ...
[[nodiscard]] std::optional<TargetFormat> targetFormatFromName(std::string_view name);

struct Candidate {
    std::vector<MethodEntry> entries; // one per used slot in pipeline order, every parameter set
    std::string id;                   // canonical text (see above)
    std::string label;                // for people: "Q4_K", "int4 g32 sym + f16 scales"

    // Only "keep": the tensor stays as stored.
    [[nodiscard]] bool keepsAsStored() const;
    // The recipe entries with only the parameters that differ from the schema defaults.
    [[nodiscard]] std::vector<MethodEntry> recipeEntries() const;
};

// Throws cwb::Error naming the candidate and what is wrong: an unknown method or parameter, a
// value the schema refuses, two stages of one slot or stages out of pipeline order.
[[nodiscard]] Candidate parseCandidate(std::string_view text);
// A comma-separated list; duplicates (equal ids) are kept once, in first-seen order.
[[nodiscard]] std::vector<Candidate> parseCandidates(std::string_view list);

[[nodiscard]] std::vector<Candidate> defaultCandidates(TargetFormat target);

// Whether `target` stores the candidate's values exactly for a tensor stored as `keepType`,
// from the registry's export forms of its quantize stage (a prune stage only where the quantize
// form decodes zeros exactly; a low-rank stage never: no target stores factors). `why` gets the
// reason when not.
[[nodiscard]] bool representsExactly(const Candidate &c, TargetFormat target, DType keepType,
                                     std::string *why = nullptr);

// The id of what a resolved tensor plan gets (its used slots): "q4_k", "keep",
// "magnitude:sparsity=0.3+rtn:bits=8:group=32".
[[nodiscard]] std::string candidateIdOf(const TensorPlan &tensor);

// Every candidate id of `candidates` joined with ",": the list form of the set.
[[nodiscard]] std::string candidateList(const std::vector<Candidate> &candidates);

} // namespace cwb
