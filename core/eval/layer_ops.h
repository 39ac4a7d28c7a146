// SPDX-License-Identifier: MIT
#pragma once
// The element-wise parts of a transformer block, over n rows of `dim` floats (row-major):
// RMSNorm (llama: x / sqrt(mean(x^2) + eps) * w), LayerNorm (GPT-2: (x - mean) / sqrt(var + eps)
// * w + b, biased variance), bias addition, SwiGLU's silu(gate) * up and GPT-2's tanh GELU.
// Sums of squares are accumulated in double; the rest is float (Eigen arrays, vectorised).

#include <cstdint>

namespace cwb {

void rmsNormRows(const float *x, int64_t n, int64_t dim, const float *weight, float eps,
                 float *out);
void layerNormRows(const float *x, int64_t n, int64_t dim, const float *weight, const float *bias,
                   float eps, float *out);
void addBiasRows(float *y, int64_t n, int64_t dim, const float *bias);
void addInPlace(float *acc, const float *x, int64_t count);
// gate[i] = silu(gate[i]) * up[i] = gate[i] / (1 + exp(-gate[i])) * up[i]
void siluMul(float *gate, const float *up, int64_t count);
// x = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
void geluTanh(float *x, int64_t count);

} // namespace cwb
