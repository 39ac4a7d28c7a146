// SPDX-License-Identifier: MIT
#pragma once
// Weights kept as ggml blocks (Q4_0 … Q6_K, Q8_0: anything formats/ggml_dequant.h decodes). The
// matrix is never expanded: forward dequantizes tiles of output rows (at most ~256 KiB of floats)
// into a per-thread buffer and multiplies each tile with Eigen, tiles in parallel; for up to four
// input rows (decode) it takes dot products straight from the blocks (formats/ggml_dot.h) where a
// fused kernel exists, else dequantizes L1-sized tiles. With
// emulateQ8 the input rows are first rounded as llama.cpp's CPU backend rounds them
// (formats/q8_activations.h). forwardReference is the scalar reference the fast path is tested
// against: whole rows dequantized one at a time and dot products accumulated in double.

#include "eval/linear_weights.h"
#include "formats/dtype.h"
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
    GgmlLinear(const Tensor &t, bool emulateQ8Activations);
    // Owns `bytes`: `out` rows of `in` values of `type`.
    GgmlLinear(DType type, std::vector<std::byte> bytes, int64_t out, int64_t in,
               bool emulateQ8Activations);

    [[nodiscard]] int64_t outFeatures() const override { return out_; }
    [[nodiscard]] int64_t inFeatures() const override { return in_; }
    [[nodiscard]] uint64_t storedBytes() const override { return bytes_.size(); }
    [[nodiscard]] std::string format() const override;
    void forward(const float *x, int64_t nRows, float *y) const override;
    void row(int64_t r, float *out) const override;

    void forwardReference(const float *x, int64_t nRows, float *y) const;
    [[nodiscard]] DType type() const { return type_; }
    [[nodiscard]] ActivationRounding activationRounding() const { return rounding_; }
    // Rows per dequantized tile in forward.
    [[nodiscard]] int64_t tileRows() const { return tileRows_; }

private:
    void init(const std::string &name);
    [[nodiscard]] const std::byte *rowBytes(int64_t r) const
    {
        return bytes_.data() + r * rowSize_;
    }

    DType type_ = DType::Unknown;
    std::vector<std::byte> owned_;
    std::shared_ptr<const void> keepAlive_;
    std::span<const std::byte> bytes_;
    int64_t out_ = 0;
    int64_t in_ = 0;
    int64_t rowSize_ = 0; // bytes per row
    int64_t tileRows_ = 0;
    ActivationRounding rounding_ = ActivationRounding::None;
};

} // namespace cwb
