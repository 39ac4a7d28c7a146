// SPDX-License-Identifier: MIT
#pragma once
// Dense float32 weights [out x in], row-major, multiplied with Eigen (eval/matmul.h). Any plain
// decodable tensor (F32, F16, BF16, F64, FP8, ...) becomes float32 once, when the engine is
// built; a mapped F32 tensor is used in place without a copy. storedBytes() and format() report
// the tensor as stored (an F16 tensor stays "F16", 2 bytes per value), not the float32 copy.

#include "eval/linear_weights.h"

#include <memory>
#include <span>
#include <vector>

namespace cwb {

struct Tensor;

class DenseLinear final : public LinearWeights {
public:
    // A [out x in] tensor; with `transposed` the tensor is stored [in x out] (Hugging Face
    // GPT-2's Conv1D) and is transposed into the Linear layout. Throws cwb::Error naming the
    // tensor when it is not a decodable 2-D tensor.
    static std::unique_ptr<DenseLinear> fromTensor(const Tensor &t, bool transposed = false);
    // Owns `values` ([out x in] row-major).
    DenseLinear(std::vector<float> values, int64_t out, int64_t in, std::string format = "F32",
                uint64_t storedBytes = 0);

    [[nodiscard]] int64_t outFeatures() const override { return out_; }
    [[nodiscard]] int64_t inFeatures() const override { return in_; }
    [[nodiscard]] uint64_t storedBytes() const override { return storedBytes_; }
    [[nodiscard]] std::string format() const override { return format_; }
    void forward(const float *x, int64_t nRows, float *y) const override;
    void row(int64_t r, float *out) const override;

    [[nodiscard]] std::span<const float> values() const { return {data_, size_t(out_ * in_)}; }

private:
    DenseLinear(const float *mapped, std::shared_ptr<const void> keepAlive, int64_t out,
                int64_t in, std::string format, uint64_t storedBytes);

    std::vector<float> owned_;
    std::shared_ptr<const void> keepAlive_; // owner of mapped bytes used in place
    const float *data_ = nullptr;
    int64_t out_ = 0;
    int64_t in_ = 0;
    std::string format_;
    uint64_t storedBytes_ = 0;
};

} // namespace cwb
