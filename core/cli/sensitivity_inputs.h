// SPDX-License-Identifier: MIT
#pragma once
// What `cwb sensitivity` and `cwb solve` share: the options that set up a sensitivity analysis
// (candidates, target, calibration slice, project file) and the analysis itself, reused from
// the project file when one there has the same key, else computed (and written there).

#include "choose/candidates.h"
#include "cli/environment.h"
#include "cli/options.h"
#include "model/model.h"
#include "report/choose_report.h"

#include <vector>

namespace cwb::cli {

// --candidates, --target, --windows, --sequences, --seq-len, --project.
[[nodiscard]] std::vector<OptionSpec> sensitivityOptions();

[[nodiscard]] TargetFormat targetOf(const ParsedArgs &args);
// --candidates (a UsageError when it does not parse) or the target's default set.
[[nodiscard]] std::vector<Candidate> candidatesOf(const ParsedArgs &args,
                                                  const std::string &command);

struct SensitivityRun {
    SensitivityTable table;
    SensitivitySource source;
};

// `extra` candidates (locks) join the set when missing. Throws cwb::Error for a project that
// belongs to another model.
[[nodiscard]] SensitivityRun obtainSensitivity(const Model &model, const ParsedArgs &args,
                                               Environment &env, std::vector<Candidate> candidates);

} // namespace cwb::cli
