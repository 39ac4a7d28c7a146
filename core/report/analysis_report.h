// SPDX-License-Identifier: MIT
#pragma once
// What `cwb analyze` prints: a per-tensor summary table and a JSON document (schema
// "cwb.analyze/1", documented in README.md next to "cwb.inspect/1"). Both summarise a Project
// (the fingerprint, settings and analysis that were written to the project file).

#include "project/project_file.h"

#include <string>

namespace cwb {

[[nodiscard]] std::string analysisText(const Project &project, const std::string &projectPath);
[[nodiscard]] std::string analysisJson(const Project &project, const std::string &projectPath);

} // namespace cwb
