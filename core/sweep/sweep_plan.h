// SPDX-License-Identifier: MIT
#pragma once
// The points of a sweep as the workbench composes them from a few choices, in this order: the
// original model; the plan being edited; llama.cpp's mixtures (recipe/llama_mixture.h: Q4_K_M,
// Q5_K_M, or a ggml type for its --pure mixture), re-created as recipes; the budget solver's
// recipe at each bits/weight budget (choose/solve_recipe.h, from the model's sensitivity
// table); recipe files; and reference files (other files of the same model, evaluated as
// stored). Every point's recipe is the one `cwb compress` would run, written as JSON, so it is
// stored with the point and can be loaded back into the Layer Plan.

#include "analysis/sensitivity_table.h"
#include "choose/candidates.h"
#include "jobs/job_context.h"
#include "model/model.h"
#include "sweep/sweep.h"

#include <string>
#include <vector>

namespace cwb {

struct SweepPlanRequest {
    bool original = true;
    std::string planJson;               // the plan being edited; empty: none
    std::string planName = "current plan";
    std::vector<std::string> mixtures;  // "Q4_K_M", "Q5_K_M", "Q8_0", ...
    std::vector<double> budgetsBpw;     // solver points; need `table`
    const SensitivityTable *table = nullptr;
    TargetFormat target = TargetFormat::Gguf;
    std::vector<std::string> recipeFiles;
    std::vector<std::string> referenceFiles;
};

// Throws cwb::Error naming what cannot be made: an unknown mixture, budgets without a table, a
// budget the solver cannot meet ("solver 2.00 bpw: ..."), an unreadable recipe file. Solving
// is quick (the table holds the measurements); cancellation is polled between budgets.
[[nodiscard]] std::vector<SweepPointSpec> sweepPoints(const Model &model,
                                                      const SweepPlanRequest &request,
                                                      const JobContext &job = {});

} // namespace cwb
