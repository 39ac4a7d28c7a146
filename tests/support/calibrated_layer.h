// SPDX-License-Identifier: MIT
#pragma once
// Test fixtures shared by the compression tests: a generated linear layer with calibration
// activations X (tokens x cols) given as the raw Hessian sum H = X^T X and per-channel mean |x|,
// and the relative output error ||X (W - W')^T||_F / ||X W^T||_F computed from H one row at a
// time, independently of core/compress/output_error.h, so tests check core against it.
// Also the small model helpers (a tensor by canonical name, logits of a fixed token sequence).

#include "eval/engine.h"
#include "model/model.h"
#include "util/error.h"

#include <Eigen/Core>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace cwbtest {

using RowMatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct CalibratedLayer {
    int64_t rows = 0, cols = 0, tokens = 0;
    std::vector<float> w;          // rows x cols, N(0, 0.02^2)
    std::vector<double> h;         // X^T X, cols x cols
    std::vector<double> meanAbs;   // per input channel: mean |x|
};

// X = Z M with Z standard normal (tokens x cols). correlation 0: M = I (well conditioned);
// otherwise M = (I + correlation G / sqrt(cols)) S with G standard normal and S a diagonal of
// exp(logScaleStd N(0, 1)) channel scales, and `outliers` channels of M multiplied by 25.
struct ActivationShape {
    double correlation = 0;
    double logScaleStd = 0;
    int outliers = 0;
};

// Activations X = Z M (tokens x cols) as ActivationShape describes, drawn from `rng` (Z first,
// then M); `mix` is M, for fixtures that perturb X with the same channel scales.
struct GeneratedActivations {
    RowMatrixD x, mix;
};

inline GeneratedActivations generateActivations(int64_t cols, const ActivationShape &shape,
                                                int64_t tokens, std::mt19937_64 &rng)
{
    std::normal_distribution<double> n01(0.0, 1.0);
    RowMatrixD z(tokens, cols), mix = RowMatrixD::Identity(cols, cols);
    for (int64_t i = 0; i < z.size(); ++i)
        z.data()[i] = n01(rng);
    if (shape.correlation > 0) {
        for (int64_t i = 0; i < mix.size(); ++i)
            mix.data()[i] += shape.correlation * n01(rng) / std::sqrt(double(cols));
        if (shape.logScaleStd > 0)
            for (int64_t j = 0; j < cols; ++j)
                mix.col(j) *= std::exp(shape.logScaleStd * n01(rng));
    }
    for (int k = 0; k < shape.outliers; ++k)
        mix.col((k * 37 + 5) % cols) *= 25.0;
    return {z * mix, mix};
}

inline CalibratedLayer makeCalibratedLayer(int64_t rows, int64_t cols, const ActivationShape &shape,
                                           uint64_t seed, int64_t tokens)
{
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> n01(0.0, 1.0);
    CalibratedLayer l;
    l.rows = rows;
    l.cols = cols;
    l.tokens = tokens;
    const RowMatrixD x = generateActivations(cols, shape, tokens, rng).x;
    const RowMatrixD h = x.transpose() * x;
    l.h.assign(h.data(), h.data() + h.size());
    l.meanAbs.resize(size_t(cols));
    for (int64_t j = 0; j < cols; ++j)
        l.meanAbs[size_t(j)] = x.col(j).cwiseAbs().mean();
    l.w.resize(size_t(rows * cols));
    for (auto &v : l.w)
        v = float(0.02 * n01(rng));
    return l;
}

// ||X (W - W')^T||_F / ||X W^T||_F through H, W' as floats or doubles (rows x cols).
template <class T>
double relativeOutputError(const std::vector<float> &w, const std::vector<double> &h,
                           int64_t rows, int64_t cols, const std::vector<T> &approx)
{
    const Eigen::Map<const RowMatrixD> H(h.data(), cols, cols);
    double num = 0, den = 0;
    Eigen::VectorXd d(cols), x(cols);
    for (int64_t r = 0; r < rows; ++r) {
        for (int64_t j = 0; j < cols; ++j) {
            x(j) = w[size_t(r * cols + j)];
            d(j) = x(j) - double(approx[size_t(r * cols + j)]);
        }
        num += d.dot(H * d);
        den += x.dot(H * x);
    }
    return std::sqrt(num / den);
}

template <class T>
double relativeOutputError(const CalibratedLayer &l, const std::vector<T> &approx)
{
    return relativeOutputError(l.w, l.h, l.rows, l.cols, approx);
}

inline const cwb::Tensor &tensorOf(const cwb::Model &m, const std::string &canonical)
{
    if (const cwb::Tensor *t = m.findTensor(canonical))
        return *t;
    throw cwb::Error("test: no tensor " + canonical);
}

// Logits of every position of a fixed 8-token sequence (stories260K's vocabulary).
inline std::vector<float> logitsOf(const cwb::Model &m, const cwb::EngineOptions &options)
{
    const auto engine = cwb::Engine::create(m, options);
    engine->reset(16);
    std::vector<float> logits;
    const std::vector<int32_t> tokens{1, 403, 261, 17, 300, 94, 511, 2};
    engine->eval(tokens, logits, true);
    return logits;
}

} // namespace cwbtest
