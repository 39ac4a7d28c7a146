// SPDX-License-Identifier: MIT
#pragma once
// Stored bytes of a planned tensor, computed from its shape and settings alone (no data is
// read): exactly what the pipeline and the archive store (tests/test_method_registry.cpp
// compares them for every method). Each quantize method's formula is its registry entry's
// storedSize (methods/*.cpp; the README's "Estimated sizes" table lists them). Around it:
//   keep              the bytes stored now; after pruning, keepStorageType()'s bytes
//   pruning           the archive stores the pruned weights as zeros in the quantize method's
//                     dense codes (there is no sparse format), plus the pruning mask (bitmap, or
//                     N:M indices) when that method does not decode zeros exactly (exactZeros:
//                     q4_1, q5_1, q2_k, q4_k, q5_k, and "keep" of those types)
//   low rank r        W [m x n] ~ A [m x r] B [r x n]; the quantize method stores both factors
//                     ("keep": F16, kFactorKeepType); factors are dense, so no mask. With rank 0
//                     the rank comes from the spectrum at run time: the estimate counts the
//                     tensor unfactorized and says so in its note (it cannot be known before)
//   awq               the grid plus its float32 input scales; where the pipeline folds the
//                     scales into a norm (pipeline/awq_fold.h) the projections store the grid
//                     alone and the norm is stored as F32 instead

#include "methods/ggml_methods.h"
#include "methods/stored_types.h"
#include "recipe/plan.h"

#include <cstdint>

namespace cwb {

[[nodiscard]] ByteEstimate estimateTensorBytes(const TensorPlan &plan);

// What a row length must be a multiple of for this quantize slot (group, block); 1 = anything.
[[nodiscard]] int64_t quantRowMultiple(const SlotPlan &quantize);

} // namespace cwb
