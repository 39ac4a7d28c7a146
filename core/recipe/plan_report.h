// SPDX-License-Identifier: MIT
#pragma once
// The dry-run report of a plan (`cwb compress --dry-run`): every tensor with its canonical and
// original name, shape, stored type, what it gets, which part of the recipe set each field, and
// estimated bytes; then totals, dead / shadowed rule warnings and errors. As text for people
// and as JSON (schema "cwb.plan/1", documented in README.md) for scripts.

#include "recipe/plan.h"

#include <string>

namespace cwb {

[[nodiscard]] std::string planText(const Plan &plan);
[[nodiscard]] std::string planJson(const Plan &plan);
// The "set by" line of one tensor: fields grouped by who set them, e.g.
// "rules[0] \"layers.*\": gptq, bits, group | schema: sym, damp, act_order, block_size".
[[nodiscard]] std::string provenanceLine(const TensorPlan &tensor);

} // namespace cwb
