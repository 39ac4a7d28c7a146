// SPDX-License-Identifier: MIT
#pragma once
// Per-tensor errors of A and B side by side, aligned by canonical name: each side's error
// against the original as its archive reported it when it was compressed (relative Frobenius
// error and output error on the calibration Hessian; compress/compressed_model.h TensorReport),
// zero for the original itself and for tensors an archive keeps, unknown for a model that is
// neither; then B's minus A's. On request the weights themselves: B - A for every tensor both
// sides hold in the same shape and layout, its relative size, largest entry and a histogram.

#include "analysis/histogram.h"
#include "compare/compare_side.h"
#include "jobs/job_context.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cwb {

struct TensorCompareParams {
    bool weightDifferences = false; // decode both sides' values and measure B - A (reads every
                                    // tensor of both: slow for large models)
    int bins = 16;                  // histogram bins of B - A, symmetric around zero
};

// What one side says about a tensor.
struct TensorSideErrors {
    bool present = false;   // the side's model has this tensor
    std::string format;     // the archive's stored format ("Q4_K", "gptq", ...) or the dtype
    uint64_t bytes = 0;     // stored bytes as that side runs it
    std::optional<double> relativeError; // ||W' - W||_F / ||W||_F against the original
    std::optional<double> outputError;   // on the calibration Hessian; none without one
    std::string basis; // "archive" (its report), "kept" (an archive leaves it as stored),
                       // "original" (this side is the other's source), "" (unknown)
};

struct TensorDifference {
    double relative = 0; // ||B - A||_F / ||A||_F (0 when both are zero)
    double maxAbs = 0;   // max |B - A|
    Histogram histogram; // of B - A
};

struct TensorComparison {
    std::string name;      // A's name for it (B's when only B has it)
    std::string canonical; // empty for tensors without a known role
    std::vector<int64_t> shape;
    TensorSideErrors a, b;
    std::optional<double> deltaRelativeError; // b - a, where both are known
    std::optional<double> deltaOutputError;
    std::optional<TensorDifference> difference; // weightDifferences, when comparable
    std::string note; // why there is no difference ("only in A", "shapes differ", ...)
};

// A's tensors in model order, then those only B has. `notes` receives what applies to all of
// them (which side is the original, unknown errors). Throws cwb::Error for a tensor that cannot
// be decoded (weightDifferences) and cwb::Cancelled between tensors.
[[nodiscard]] std::vector<TensorComparison> compareTensors(const CompareSide &a,
                                                           const CompareSide &b,
                                                           const TensorCompareParams &params,
                                                           std::vector<std::string> &notes,
                                                           const JobContext &ctx = {});

} // namespace cwb
