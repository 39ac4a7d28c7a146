// SPDX-License-Identifier: MIT
#pragma once
// Weights kept as ggml blocks (Q4_0 … Q6_K, Q8_0: anything formats/ggml_dequant.h decodes). The
// matrix is never expanded. Two modes:
//  - float activations (the default): forward dequantizes tiles of output rows (at most ~256 KiB
//    of floats) into a per-thread buffer and multiplies each tile with the float GEMM, tiles in
//    parallel; for up to four input rows (decode) it takes dot products straight from the blocks
//    (formats/ggml_dot.h) where a fused kernel exists, else dequantizes L1-sized tiles.
//  - integer activations (intActivations): the input rows are quantized once to Q8_0 / Q8_K as
//    llama.cpp's CPU backend does and multiplied with integer kernels (formats/int_dot.h), as
//    llama.cpp computes; for the types without an integer kernel the rows are rounded the same
//    way (formats/q8_activations.h) and go through the float path. Where the instruction set
//    has a kernel for 8 interleaved rows (formats/int_dot.h: Q4_0, Q8_0), the matrix is stored that
//    way (whole groups of 8 rows; a tail of fewer rows stays as it was): same bytes, about a
//    third of the instructions per weight.
// forwardReference is the scalar reference the fast paths are tested against: whole rows
// dequantized one at a time and dot products with the (rounded) inputs accumulated in double.

#include "eval/linear_weights.h"
#include "formats/dtype.h"
#include "formats/int_dot.h"
#include "formats/q8_activations.h"

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

namespace cwb {

struct Tensor;

class GgmlLinear final : public LinearWeights {
public:
    // Uses the tensor's mapped bytes in place (a copy when they come from a loader). Throws
    // cwb::Error naming the tensor when it is not a 2-D decodable ggml block tensor.
    GgmlLinear(const Tensor &t, bool intActivations);
    // Owns `bytes`: `out` rows of `in` values of `type`.
    GgmlLinear(DType type, std::vector<std::byte> bytes, int64_t out, int64_t in,
               bool intActivations);

    [[nodiscard]] int64_t outFeatures() const override { return out_; }
    [[nodiscard]] int64_t inFeatures() const override { return in_; }
    [[nodiscard]] uint64_t storedBytes() const override { return bytes_.size(); }
    [[nodiscard]] std::string format() const override;
    void forward(const float *x, int64_t nRows, float *y) const override;
    void row(int64_t r, float *out) const override;
    [[nodiscard]] std::shared_ptr<const LinearWeights> withIntegerActivations() const override;

    void forwardReference(const float *x, int64_t nRows, float *y) const;
    [[nodiscard]] DType type() const { return type_; }
    [[nodiscard]] ActivationRounding activationRounding() const { return rounding_; }
    // Whether forward runs the integer kernels.
    [[nodiscard]] bool integerKernels() const { return intKernel_ != nullptr; }
    // Rows per dequantized tile in forward.
    [[nodiscard]] int64_t tileRows() const { return tileRows_; }

private:
    void init(const std::string &name);
    void forwardInteger(const float *x, int64_t nRows, float *y) const;
    // Row r in the type's own layout: in place, or de-interleaved into `scratch`.
    [[nodiscard]] const std::byte *rowBytes(int64_t r, std::vector<std::byte> &scratch) const;
    [[nodiscard]] const std::byte *rowBytes(int64_t r) const
    {
        return bytes_.data() + r * rowSize_;
    }
    void interleave();

    DType type_ = DType::Unknown;
    std::vector<std::byte> owned_;
    std::shared_ptr<const void> keepAlive_;
    std::span<const std::byte> bytes_;
    int64_t out_ = 0;
    int64_t in_ = 0;
    int64_t rowSize_ = 0; // bytes per row
    int64_t tileRows_ = 0;
    ActivationRounding rounding_ = ActivationRounding::None;
    IntDotFn intKernel_ = nullptr; // set when the activations are integer and a kernel exists
    IntDotGroupFn groupKernel_ = nullptr; // set when rows [0, groupedRows_) are interleaved
    int64_t groupedRows_ = 0;
};

} // namespace cwb
