// SPDX-License-Identifier: MIT
#pragma once
// The engine reads every matrix through this interface, so that dense floats, ggml blocks and the
// compressed representations of core/compress all run in the same forward pass without ever
// expanding the whole model to dense float32.
// Convention: W is [outFeatures x inFeatures] (PyTorch Linear); forward computes
//   Y[nRows x out] = X[nRows x in] * W^T   (row-major X and Y).

#include <cstdint>
#include <memory>
#include <string>

namespace cwb {

class LinearWeights {
public:
    virtual ~LinearWeights() = default;
    [[nodiscard]] virtual int64_t outFeatures() const = 0;
    [[nodiscard]] virtual int64_t inFeatures() const = 0;
    [[nodiscard]] virtual uint64_t storedBytes() const = 0; // bytes as stored (codes + scales + ...)
    [[nodiscard]] virtual std::string format() const = 0;   // "F32", "Q4_0", ...
    // Y = X * W^T. `x` holds nRows * inFeatures floats, `y` nRows * outFeatures floats.
    virtual void forward(const float *x, int64_t nRows, float *y) const = 0;
    // One output row of W as floats (for embedding lookups and tests): out has inFeatures values.
    // Serial: it runs no oneTBB work (MaskedLinear decodes its forward tiles through it).
    virtual void row(int64_t r, float *out) const = 0;
    // The same weights multiplied with integer (Q8) activations, where this kind has that path
    // (ggml blocks; EngineOptions::emulateQ8Activations applies it to replacements too, so a
    // compressed model computes as llama.cpp would); nullptr: this kind has none (unchanged).
    [[nodiscard]] virtual std::shared_ptr<const LinearWeights> withIntegerActivations() const
    {
        return nullptr;
    }
};

// Y = X W^T one output row at a time through w.row(), dot products accumulated in double: the
// scalar reference of weights whose row() decodes with the reference path (masked, low rank).
void forwardThroughRows(const LinearWeights &w, const float *x, int64_t nRows, float *y);

} // namespace cwb
