// SPDX-License-Identifier: MIT
#include "compress/low_rank.h"

#include "formats/float_formats.h"
#include "util/error.h"

#include <Eigen/Cholesky>
#include <Eigen/Dense>
#include <Eigen/SVD>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace cwb {

namespace {

constexpr const char *kSource = "low rank";

using MatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void checkInputs(std::span<const float> w, int64_t rows, int64_t cols, const LowRankParams &p)
{
    if (rows <= 0 || cols <= 0 || cols > std::numeric_limits<int64_t>::max() / rows)
        throwIn(kSource, "shape " + std::to_string(rows) + " x " + std::to_string(cols)
                             + " is empty, negative or overflows");
    if (w.size() != uint64_t(rows * cols))
        throwIn(kSource, "weights hold " + std::to_string(w.size()) + " values, shape "
                             + std::to_string(rows) + " x " + std::to_string(cols) + " needs "
                             + std::to_string(rows * cols));
    const int64_t n = std::min(rows, cols);
    if (p.rank < 0 || p.rank > n)
        throwIn(kSource, "rank " + std::to_string(p.rank) + " is outside 0 .. min(rows, cols) = "
                             + std::to_string(n));
    if (!(p.energy > 0.0 && p.energy <= 1.0))
        throwIn(kSource, "energy " + std::to_string(p.energy) + " is outside (0, 1]");
    for (int64_t i = 0; i < rows * cols; ++i)
        if (!std::isfinite(w[i]))
            throwIn(kSource, "weight at row " + std::to_string(i / cols) + ", col "
                                 + std::to_string(i % cols) + " is not finite");
}

MatrixD asDoubleMatrix(std::span<const float> w, int64_t rows, int64_t cols)
{
    MatrixD m(rows, cols);
    for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j)
            m(i, j) = double(w[i * cols + j]);
    return m;
}

int64_t chooseRank(const Eigen::VectorXd &sigma, const LowRankParams &p)
{
    if (p.rank > 0)
        return p.rank;
    const double total = sigma.squaredNorm();
    const double target = p.energy * total * (1.0 - 1e-12);
    double sum = 0;
    for (int64_t r = 0; r < sigma.size(); ++r) {
        sum += sigma[r] * sigma[r];
        if (sum >= target)
            return r + 1;
    }
    return sigma.size();
}

float stored(double v, FactorType t)
{
    const auto f = float(v);
    return t == FactorType::F16 ? fp16ToFloat(floatToFp16(f)) : f;
}

// Rounds the factors to their storage type and measures what they reconstruct.
LowRankResult finish(const MatrixD &w, const MatrixD &a, const MatrixD &b,
                     const Eigen::VectorXd &sigma, int64_t rank, const LowRankParams &p)
{
    LowRankResult r;
    r.rows = w.rows();
    r.cols = w.cols();
    r.rank = rank;
    MatrixD as(a.rows(), a.cols());
    MatrixD bs(b.rows(), b.cols());
    r.a.resize(size_t(a.size()));
    r.b.resize(size_t(b.size()));
    for (Eigen::Index i = 0; i < a.rows(); ++i)
        for (Eigen::Index j = 0; j < a.cols(); ++j)
            as(i, j) = r.a[size_t(i * a.cols() + j)] = stored(a(i, j), p.factorType);
    for (Eigen::Index i = 0; i < b.rows(); ++i)
        for (Eigen::Index j = 0; j < b.cols(); ++j)
            bs(i, j) = r.b[size_t(i * b.cols() + j)] = stored(b(i, j), p.factorType);
    r.singularValues.assign(sigma.data(), sigma.data() + sigma.size());
    const double total = sigma.squaredNorm();
    const double tail = sigma.tail(sigma.size() - rank).squaredNorm();
    r.truncationError = total > 0 ? std::sqrt(tail / total) : 0.0;
    const double norm = w.norm();
    r.relativeError = norm > 0 ? (w - as * bs).norm() / norm : 0.0;
    const uint64_t bytes = p.factorType == FactorType::F16 ? 2 : 4;
    r.storedBytes = uint64_t(r.rows + r.cols) * uint64_t(rank) * bytes;
    return r;
}

} // namespace

LowRankResult svdLowRank(std::span<const float> weights, int64_t rows, int64_t cols,
                         const LowRankParams &params, const JobContext &ctx)
{
    checkInputs(weights, rows, cols, params);
    ctx.checkCancelled();
    ctx.report(0.0, "svd");
    const MatrixD w = asDoubleMatrix(weights, rows, cols);
    const Eigen::BDCSVD<Eigen::MatrixXd> svd(w, Eigen::ComputeThinU | Eigen::ComputeThinV);
    ctx.checkCancelled();
    const Eigen::VectorXd &sigma = svd.singularValues();
    const int64_t rank = chooseRank(sigma, params);
    const Eigen::VectorXd root = sigma.head(rank).cwiseSqrt();
    const MatrixD a = svd.matrixU().leftCols(rank) * root.asDiagonal();
    const MatrixD b = root.asDiagonal() * svd.matrixV().leftCols(rank).transpose();
    ctx.report(1.0, "svd");
    return finish(w, a, b, sigma, rank, params);
}

LowRankResult asvdLowRank(std::span<const float> weights, int64_t rows, int64_t cols,
                          std::span<const double> hessianSum, int64_t tokens,
                          const LowRankParams &params, const JobContext &ctx)
{
    checkInputs(weights, rows, cols, params);
    if (hessianSum.size() != uint64_t(cols) * uint64_t(cols))
        throwIn(kSource, "hessian holds " + std::to_string(hessianSum.size())
                             + " values, cols^2 is " + std::to_string(cols * cols));
    if (tokens <= 0)
        throwIn(kSource, "hessian tokens " + std::to_string(tokens) + " must be > 0");
    if (!(std::isfinite(params.dampFraction) && params.dampFraction >= 0.0))
        throwIn(kSource, "dampFraction " + std::to_string(params.dampFraction)
                             + " must be finite and >= 0");
    for (int64_t i = 0; i < cols * cols; ++i)
        if (!std::isfinite(hessianSum[i]))
            throwIn(kSource, "hessian at row " + std::to_string(i / cols) + ", col "
                                 + std::to_string(i % cols) + " is not finite");
    ctx.checkCancelled();
    ctx.report(0.0, "asvd");

    Eigen::MatrixXd c(cols, cols);
    for (int64_t i = 0; i < cols; ++i)
        for (int64_t j = 0; j < cols; ++j) // symmetrised: the sum may differ in the last bits
            c(i, j) = 0.5 * (hessianSum[i * cols + j] + hessianSum[j * cols + i]) / double(tokens);
    const double damp = params.dampFraction * c.diagonal().mean();
    c.diagonal().array() += damp;
    const Eigen::LLT<Eigen::MatrixXd> llt(c);
    if (llt.info() != Eigen::Success)
        throwIn(kSource, "calibration covariance is not positive definite (damp "
                             + std::to_string(damp) + "); raise dampFraction");
    const Eigen::MatrixXd s = llt.matrixL();

    const MatrixD w = asDoubleMatrix(weights, rows, cols);
    const Eigen::MatrixXd ws = w * s;
    const Eigen::BDCSVD<Eigen::MatrixXd> svd(ws, Eigen::ComputeThinU | Eigen::ComputeThinV);
    ctx.checkCancelled();
    const Eigen::VectorXd &sigma = svd.singularValues();
    const int64_t rank = chooseRank(sigma, params);
    const MatrixD a = svd.matrixU().leftCols(rank) * sigma.head(rank).asDiagonal();
    // B = V_r^T S^-1, i.e. B^T = S^-T V_r: one triangular solve with the upper S^T.
    const Eigen::MatrixXd bt =
        llt.matrixU().solve(Eigen::MatrixXd(svd.matrixV().leftCols(rank)));
    const MatrixD b = bt.transpose();
    ctx.report(1.0, "asvd");
    return finish(w, a, b, sigma, rank, params);
}

} // namespace cwb
