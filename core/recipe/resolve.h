// SPDX-License-Identifier: MIT
#pragma once
// Recipe + model -> Plan. How fields combine ("later rules override earlier ones field by field"):
//
//   Every tensor has three slots, in pipeline order: prune, lowrank, quantize. A matrix
//   (ndim >= 2) starts from defaults.methods; a 1-D tensor starts empty. Then, in order, every
//   rule whose pattern selects the tensor, then the override naming it, apply their entries:
//     - an entry for a slot that holds a different method (or none) REPLACES it: the slot gets
//       the entry's method and only the entry's params;
//     - an entry naming the method the slot already holds MERGES: each param it gives replaces
//       that one param, the others stay as they were (with their provenance);
//     - {"method": "none", "kind": K} empties slot K.
//   Finally each parameter still unset takes defaults.params[method][name] (provenance
//   "defaults") or the method table's default ("schema"); an empty quantize slot is "keep".
//   Provenance records, per slot and per param, who set it: "defaults", rules[i] with its
//   pattern, "override", or "schema".
//
// Validation collects every problem before any work starts: unknown override targets, methods
// a tensor cannot take (1-D pruning, undecodable storage), group / block / N:M sizes that do not
// divide the row length, ranks beyond min(rows, cols), Hessian-based methods without
// calibration, and the recipe's own problems when given a ParsedRecipe. Dead rules (selecting
// nothing), shadowed rules (everything they set was replaced) and tied tensors planned apart
// are warnings.

#include "model/model.h"
#include "recipe/plan.h"
#include "recipe/recipe.h"

namespace cwb {

[[nodiscard]] Plan resolvePlan(const Recipe &recipe, const Model &model,
                               const PlanOptions &options = {});
// Same, with the parse problems of a leniently parsed recipe first among the errors, so one
// report lists unknown methods and unknown tensors together.
[[nodiscard]] Plan resolvePlan(const ParsedRecipe &recipe, const Model &model,
                               const PlanOptions &options = {});

// Throws one cwb::Error listing every error of the plan; returns when it has none.
void requireValidPlan(const Plan &plan);

// Totals over the plan's tensors (resolvePlan sets plan.totals with it; a plan edited in code,
// such as the pipeline's plan for a structurally pruned model, recomputes them).
[[nodiscard]] PlanTotals planTotals(const Plan &plan);

} // namespace cwb
