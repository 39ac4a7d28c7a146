// SPDX-License-Identifier: MIT
#pragma once
// awq_ggml's recipe parameters as compress/awq.h's params (AwqParams::ggml set); the pipeline's
// norm folding (pipeline/awq_fold.h) runs one search over several projections with them.

#include "compress/awq.h"
#include "methods/method_schema.h"

namespace cwb {

[[nodiscard]] AwqParams awqGgmlParamsOf(const ParamReader &p);

} // namespace cwb
