// SPDX-License-Identifier: MIT
#pragma once
// A linear layer whose input is divided per channel before it reaches the stored weights:
//   y = inner (x / s),   i.e. W = inner diag(1/s)   (s: inFeatures positive finite floats).
// This is how AWQ-quantized weights (compress/awq.h) run in the engine: `inner` is the
// QuantizedLinear of dequant(Q) = quant(W diag(s)) and s is AwqResult::inputScales. forward
// divides a copy of the input (a per-call scratch buffer, so concurrent and nested calls never
// share it) and hands it to inner->forward; row() divides the inner row. storedBytes() counts the
// inner weights plus the float32 multipliers (4 bytes per input channel); format() is
// "awq(<inner format>)".
//
// The alternative, which llm-awq uses, is to fold 1/s into the operation that produces x (the
// preceding RMSNorm's weight, or v -> o, up -> down), which costs nothing at run time. It is only
// exact when every weight reading that output shares one s (q, k, v; gate, up), so it needs
// scales searched jointly per input site; that is the pipeline's choice and is not done here.
//
// forwardReference: rows of inner through row(), each divided by s, dot products accumulated in
// double (the scalar reference the fast path is tested against).

#include "eval/linear_weights.h"

#include <memory>
#include <string>
#include <vector>

namespace cwb {

class ScaledInputLinear final : public LinearWeights {
public:
    // Throws cwb::Error for a null inner, inputScales not inFeatures long, or a scale that is not
    // finite and > 0 (naming its channel).
    ScaledInputLinear(std::shared_ptr<const LinearWeights> inner, std::vector<float> inputScales);

    [[nodiscard]] int64_t outFeatures() const override { return inner_->outFeatures(); }
    [[nodiscard]] int64_t inFeatures() const override { return inner_->inFeatures(); }
    [[nodiscard]] uint64_t storedBytes() const override;
    [[nodiscard]] std::string format() const override { return "awq(" + inner_->format() + ")"; }
    void forward(const float *x, int64_t nRows, float *y) const override;
    void row(int64_t r, float *out) const override;
    // The inner weights' integer variant behind the same multipliers (nullptr when none).
    [[nodiscard]] std::shared_ptr<const LinearWeights> withIntegerActivations() const override;

    void forwardReference(const float *x, int64_t nRows, float *y) const;
    [[nodiscard]] const LinearWeights &inner() const { return *inner_; }
    [[nodiscard]] const std::vector<float> &inputScales() const { return s_; }

private:
    std::shared_ptr<const LinearWeights> inner_;
    std::vector<float> s_;
};

} // namespace cwb
