// SPDX-License-Identifier: MIT
#include "eval/layer_ops.h"

#include <Eigen/Core>

#include <cmath>

namespace cwb {
namespace {

using ArrayMap = Eigen::Map<Eigen::ArrayXf>;
using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf>;

double sumOfSquares(const float *x, int64_t dim)
{
    double s = 0;
    for (int64_t i = 0; i < dim; ++i)
        s += double(x[i]) * double(x[i]);
    return s;
}

} // namespace

void rmsNormRows(const float *x, int64_t n, int64_t dim, const float *weight, float eps,
                 float *out)
{
    const ConstArrayMap w(weight, dim);
    for (int64_t r = 0; r < n; ++r) {
        const float *xr = x + r * dim;
        const float scale = float(1.0 / std::sqrt(sumOfSquares(xr, dim) / double(dim) + eps));
        ArrayMap(out + r * dim, dim) = ConstArrayMap(xr, dim) * scale * w;
    }
}

void layerNormRows(const float *x, int64_t n, int64_t dim, const float *weight, const float *bias,
                   float eps, float *out)
{
    const ConstArrayMap w(weight, dim), b(bias, dim);
    for (int64_t r = 0; r < n; ++r) {
        const float *xr = x + r * dim;
        double mean = 0;
        for (int64_t i = 0; i < dim; ++i)
            mean += xr[i];
        mean /= double(dim);
        double var = 0;
        for (int64_t i = 0; i < dim; ++i)
            var += (xr[i] - mean) * (xr[i] - mean);
        var /= double(dim);
        const float scale = float(1.0 / std::sqrt(var + eps));
        ArrayMap(out + r * dim, dim) = (ConstArrayMap(xr, dim) - float(mean)) * scale * w + b;
    }
}

void addBiasRows(float *y, int64_t n, int64_t dim, const float *bias)
{
    const ConstArrayMap b(bias, dim);
    for (int64_t r = 0; r < n; ++r)
        ArrayMap(y + r * dim, dim) += b;
}

void addInPlace(float *acc, const float *x, int64_t count)
{
    ArrayMap(acc, count) += ConstArrayMap(x, count);
}

void siluMul(float *gate, const float *up, int64_t count)
{
    ArrayMap g(gate, count);
    g = g / (1.f + (-g).exp()) * ConstArrayMap(up, count);
}

void geluTanh(float *x, int64_t count)
{
    constexpr float kSqrt2OverPi = 0.7978845608028654f;
    ArrayMap v(x, count);
    v = 0.5f * v * (1.f + (kSqrt2OverPi * (v + 0.044715f * v.cube())).tanh());
}

} // namespace cwb
