// SPDX-License-Identifier: MIT
#pragma once
// What `cwb sensitivity` and `cwb solve` print. Sensitivity: the options (numbered), one row per
// tensor with the dKLD of each option ("-" where it does not fit), why options did not fit, and
// how well each proxy ranks like dKLD (Spearman). Solve: the budget, the solver's verdict, one
// row per tensor with its option, bytes and dKLD, and the verification table (predicted vs
// measured KLD of the solver's recipe and of the baselines at equal or smaller size). JSON:
// "cwb.sensitivity/1" and "cwb.solve/1" (README documents both).

#include "analysis/sensitivity_table.h"
#include "choose/recipe_bench.h"
#include "choose/solve_recipe.h"

#include <optional>
#include <string>

namespace cwb {

// Where a sensitivity table came from, for the reports.
struct SensitivitySource {
    std::string modelPath;
    std::string projectPath; // empty: none
    bool reused = false;     // read from the project instead of computed
};

[[nodiscard]] std::string sensitivityText(const SensitivityTable &table,
                                          const SensitivitySource &source);
[[nodiscard]] std::string sensitivityJson(const SensitivityTable &table,
                                          const SensitivitySource &source);

struct SolveReport {
    const SensitivityTable *table = nullptr;
    SensitivitySource source;
    const SolveOutcome *outcome = nullptr;
    TargetFormat target = TargetFormat::Gguf;
    std::string recipePath;
    const Verification *verification = nullptr; // null: not verified
};

[[nodiscard]] std::string solveText(const SolveReport &report);
[[nodiscard]] std::string solveJson(const SolveReport &report);

} // namespace cwb
