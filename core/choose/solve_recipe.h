// SPDX-License-Identifier: MIT
#pragma once
// From a sensitivity table to a recipe: one option per tensor, the least predicted damage
// (summed dKLD, the additive model) within a byte budget, by the exact budget solver
// (solve/budget_solver.h), written as an ordinary version 1 recipe whose overrides say why.
//
//   budget       whole-model bytes: every tensor counts, the embedding, the head and the norms
//                included (a tied copy once), as `cwb compress` and llama.cpp count a file;
//                bits/weight = bytes x 8 / parameters. Tensors outside the table (norms, learned
//                positions) stay as stored and their bytes come off the budget first.
//   options      per tensor the table's options that fit it and that the export target stores
//                exactly (candidates.h: representsExactly, asked per tensor's stored type)
//   locks        PATTERN=CANDIDATE (a recipe match pattern, which cannot contain '='): every
//                tensor the pattern selects takes that option
//   groups       for compressed-tensors (vLLM fuses q/k/v and gate/up into one matrix with one
//                scheme) each layer's q, k, v and its gate, up take the same option, from the
//                options all members have; GGUF / llama.cpp and `any` need no groups
//   recipe       one override per tensor (its canonical name), only the parameters that differ
//                from the schema defaults, comment "solver (budget 4.50 bpw, predicted ΔKLD
//                1.2e-04 of 3.4e-03)" ("locked by --lock ..." for locked ones); a head that is
//                a tied copy of the embedding gets the embedding's methods, so it is stored once
//   structures   with SolveParams::ffnKeeps, a rule "layers.*.mlp.*": prune_channels(keep) for the
//                chosen fraction, the FFN tensors' options sized and checked on the smaller shapes
// The recipe is resolved against the model before it is returned: its dry-run total equals the
// solver's bytes (checked; a difference is an error).

#include "analysis/sensitivity_table.h"
#include "choose/candidates.h"
#include "choose/ffn_keep_damage.h"
#include "jobs/job_context.h"
#include "model/model.h"
#include "recipe/plan.h"
#include "recipe/recipe.h"
#include "solve/budget_solver.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cwb {

// How the budget was given.
struct BudgetSpec {
    enum class Kind : uint8_t { BitsPerWeight, Bytes, Latency };
    Kind kind = Kind::BitsPerWeight;
    double value = 0;   // bits/weight, bytes, or milliseconds per decoded token
    std::string device; // Latency: a device profile id (eval/device_profile.h)
    int threads = 0;    // Latency on the "this CPU" profile: threads it is measured with
};

// The budget in bytes and how it was reached.
struct ResolvedBudget {
    uint64_t bytes = 0;
    std::string text;  // "4.50 bpw", "3,500,000 bytes", "12.0 ms/token on NVIDIA H100 (estimate)"
    bool estimate = false;
    std::string note;  // Latency: the roofline arithmetic
};

// Latency: decode is memory-bound, so a token reads every weight and the KV cache once:
// bytes = ms x bandwidth - KV cache bytes at position min(512, context length), labelled an
// estimate (and a note when the device's compute roof, not its bandwidth, would bind).
// Throws cwb::Error for an unknown device (listing the known ones) or a budget the KV cache
// alone exceeds.
[[nodiscard]] ResolvedBudget resolveBudget(const Model &model, const BudgetSpec &spec);

struct Lock {
    std::string pattern;     // recipe match pattern
    Candidate candidate;
    [[nodiscard]] std::string text() const { return pattern + "=" + candidate.id; }
};
// "PATTERN=CANDIDATE", split at the first '='. Throws cwb::Error for a malformed one.
[[nodiscard]] Lock parseLock(std::string_view text);

struct SolveParams {
    ResolvedBudget budget;
    TargetFormat target = TargetFormat::Gguf;
    std::vector<Lock> locks;
    SolverParams solver;
    // Structures as candidates (choose/ffn_keep_damage.h): each measured fraction is tried as
    // one uniform FFN keep for every layer (prune_channels with repair), the per-tensor options
    // then sized on the smaller shapes; the plan of least predicted damage (structure + tensors)
    // wins, keeping every channel included. Empty: no structure is removed.
    std::vector<FfnKeepDamage> ffnKeeps;
};

struct TensorChoice {
    std::string name, canonical;
    size_t option = 0;     // into SensitivityTable::options
    uint64_t bytes = 0;
    double deltaKld = 0;
    std::string lockedBy;  // the lock's text, or empty
    std::string group;     // "layers.3.attn.qkv" when fused with others, or empty
};

struct SolveOutcome {
    std::vector<TensorChoice> tensors; // the table's tensors, table order
    uint64_t budgetBytes = 0;
    uint64_t fixedBytes = 0;  // tensors outside the table, as stored
    uint64_t totalBytes = 0;  // fixed + chosen: the recipe's dry-run total
    int64_t parameters = 0;
    double bitsPerWeight = 0;
    double predictedKld = 0;  // summed dKLD of the choices (and of the structure removed)
    double ffnKeep = 1.0;     // the FFN fraction kept in every layer (1: nothing removed)
    double structureKld = 0;  // its predicted dKLD (summed per layer), part of predictedKld
    BudgetSolution solution;
    Recipe recipe;
    Plan plan;                // the recipe resolved against the model
    std::vector<std::string> notes;
};

// Throws cwb::Error when the table does not belong to the model (a tensor missing), a lock names
// an option the table lacks or one that does not fit a tensor it selects, a tensor has no usable
// option, or the solver refuses (BudgetInfeasible when even the smallest plan is too large).
[[nodiscard]] SolveOutcome solveFromTable(const Model &model, const SensitivityTable &table,
                                          const SolveParams &params, const JobContext &ctx = {});

// Summed dKLD the table predicts for a resolved plan: per table tensor the cell of the option the
// plan gives it (candidateIdOf); nullopt when an option is not in the table or does not fit.
[[nodiscard]] std::optional<double> predictedKld(const SensitivityTable &table, const Plan &plan);

} // namespace cwb
