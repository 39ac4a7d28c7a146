// SPDX-License-Identifier: MIT
#pragma once
// The structure slot of a plan, for the whole model: a recipe sets prune_channels, prune_heads
// or drop_block (methods/structure_methods.cpp) on the matrices of the structure they remove,
// and this turns the per-tensor slots into one StructuredPlan (prune/structured_plan.h) and
// records on every TensorPlan what the step does to it (its shape after, dropped, refitted).
//
// What is checked, each problem naming the tensor (and the engine where one refuses):
//   - a method on the matrices it applies to (prune_channels: mlp.gate, mlp.up and mlp.down
//     of one layer, all three alike; prune_heads: attn.q, attn.k, attn.v and attn.o alike, and
//     the same count in every layer, as this engine runs one head count; drop_block: every
//     matrix of the layer alike), a llama-family model with separate projections and no
//     attention biases (for prune_heads);
//   - one score, repair and ridge for every structure of the plan (the pruner refits with one
//     setting);
//   - counts within the widths, not every block dropped, and the shapes the engine accepts
//     (prune/structured_plan.h planRefusals).
// The per-tensor slots then see the smaller shapes: a quantizer whose block does not divide a
// pruned row length is an error like any other (recipe/plan_checks.h).

#include "prune/structured_plan.h"
#include "recipe/plan.h"

namespace cwb {

struct PlanStructures {
    bool any = false;     // the plan has a structure slot
    StructuredPlan plan;  // ffnKeep per layer (-1: all), kvGroupsKeep, dropBlocks, score, repair
};

// Reads the structure slots of `plan` (resolved against `model`), fills each tensor's
// TensorPlan::structure and appends problems to plan.errors.
void resolveStructures(Plan &plan, const Model &model);

// The tensors (indices into plan.tensors) a structure method set on `tensor` has to be set on
// alike: prune_channels a layer's mlp.gate / mlp.up / mlp.down, prune_heads its attn.q / k / v /
// o, drop_block every matrix of the layer; `tensor` alone for another method or a tensor outside
// a layer. What an editor applies a structure edit to, so one edit makes one valid structure.
[[nodiscard]] std::vector<size_t> structureMembers(const Plan &plan, size_t tensor,
                                                   std::string_view method);

// The StructuredPlan of a resolved, valid plan (the pipeline's structure step).
[[nodiscard]] PlanStructures planStructures(const Plan &plan, const Model &model);

} // namespace cwb
