// SPDX-License-Identifier: MIT
#pragma once
// awq's recipe parameters as compress/awq.h's params (the pipeline's norm folding,
// pipeline/awq_fold.h, runs AWQ over several projections at once with them).

#include "compress/awq.h"
#include "methods/method_schema.h"

namespace cwb {

// The recipe's awq parameters (group -1 = per row) as AwqParams (group 0 = per row); group 0 in
// the recipe throws cwb::Error.
[[nodiscard]] AwqParams awqParamsOf(const ParamReader &p);

} // namespace cwb
