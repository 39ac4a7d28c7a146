// SPDX-License-Identifier: MIT
#pragma once
// Weights kept in a compressed form of core/compress (QuantizedTensor: rtn, gptq, nf4, fp8,
// mxfp4, nvfp4, ternary). The matrix is never expanded. Decode (up to four input rows) of 4- and
// 8-bit rtn / gptq / awq codes in groups of a multiple of 32 runs the fused dequantize-dot
// kernel (formats/packed_dot.h: codes read once, straight from the packed row); everything else
// dequantizes tiles of output rows (at most ~256 KiB of floats, as GgmlLinear does) into a
// per-thread buffer and multiplies each tile with the float GEMM, tiles in parallel. storedBytes() and format() describe the packed tensor.
// forwardReference is the scalar reference the fast path is tested against: every row decoded
// by the tensor's reference dequantizer and dot products accumulated in double.

#include "eval/linear_weights.h"
#include "formats/quantized_tensor.h"

#include <cstdint>
#include <string>

namespace cwb {

class QuantizedLinear final : public LinearWeights {
public:
    // Takes the tensor; throws cwb::Error when its layout is inconsistent (checkLayout) or empty.
    explicit QuantizedLinear(QuantizedTensor tensor);

    [[nodiscard]] int64_t outFeatures() const override { return q_.rows; }
    [[nodiscard]] int64_t inFeatures() const override { return q_.cols; }
    [[nodiscard]] uint64_t storedBytes() const override { return q_.storedBytes(); }
    [[nodiscard]] std::string format() const override { return q_.method; }
    void forward(const float *x, int64_t nRows, float *y) const override;
    void row(int64_t r, float *out) const override;

    void forwardReference(const float *x, int64_t nRows, float *y) const;
    [[nodiscard]] const QuantizedTensor &tensor() const { return q_; }
    // Rows per dequantized tile in forward.
    [[nodiscard]] int64_t tileRows() const { return tileRows_; }

    // Whether decode runs the fused kernel.
    [[nodiscard]] bool fusedDecode() const { return fused_; }

private:
    void forwardFused(const float *x, int64_t nRows, float *y) const;

    QuantizedTensor q_;
    int64_t tileRows_ = 0;
    bool fused_ = false;
};

} // namespace cwb
