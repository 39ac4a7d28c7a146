// SPDX-License-Identifier: MIT
#pragma once
// Rotary position embedding. Pair i of a head (i = 0 .. headDim/2-1) turns by the angle
// pos * theta^(-2i/headDim). Which two values form pair i depends on how the Q/K weight rows
// are ordered (model.h RopeLayout): Interleaved rotates (2i, 2i+1) (GGUF llama, llama2.c),
// HalfSplit rotates (i, i + headDim/2) (Hugging Face rotate_half). The cos/sin table is
// computed in double once per reset and stored as float.

#include "model/model.h"

#include <cstdint>
#include <vector>

namespace cwb {

class RopeTable {
public:
    void build(int64_t nCtx, int64_t headDim, double theta);

    // Rotates `n` rows (row stride `stride`) of `nHeads` heads each; row t is at position
    // firstPos + t.
    void apply(RopeLayout layout, float *rows, int64_t n, int64_t stride, int64_t nHeads,
               int64_t firstPos) const;

private:
    int64_t half_ = 0;
    std::vector<float> cos_; // [pos][half]
    std::vector<float> sin_;
};

} // namespace cwb
