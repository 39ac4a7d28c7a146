// SPDX-License-Identifier: MIT
#pragma once
// A CompareResult as people and scripts read it: aligned text (`cwb compare`'s default) and JSON
// (`--json`, "schema": "cwb.compare/1", documented in the README). The text lists the most
// degraded slices first and says how many it leaves to the JSON.

#include "compare/compare.h"

#include <cstddef>
#include <string>

namespace cwb {

struct CompareTextOptions {
    size_t slices = 20;  // slices listed (the most degraded); the JSON has every one
    size_t tensors = 0;  // tensors listed; 0 = all
};

[[nodiscard]] std::string compareResultText(const CompareResult &r,
                                            const CompareTextOptions &options = {});
[[nodiscard]] std::string compareResultJson(const CompareResult &r);

} // namespace cwb
