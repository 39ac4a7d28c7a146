// SPDX-License-Identifier: MIT
// Singular values of a float matrix: JacobiSVD reference, BDCSVD, and the Gram-matrix path whose
// W^T W product runs tile-parallel on oneTBB (Eigen's own products are single-threaded here).
#include "analysis/spectrum.h"

#include "util/error.h"

#include <Eigen/Dense>
#include <Eigen/SVD>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace cwb {
namespace {

using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MapF = Eigen::Map<const RowMajorF>;

MapF mapMatrix(std::span<const float> m, int64_t rows, int64_t cols)
{
    if (rows < 0 || cols < 0 || static_cast<int64_t>(m.size()) != rows * cols)
        throw Error("singular values: matrix has " + std::to_string(m.size()) + " values, not "
                    + std::to_string(rows) + " x " + std::to_string(cols));
    return MapF(m.data(), rows, cols);
}

std::vector<double> descending(const Eigen::VectorXd &v)
{
    std::vector<double> out(v.data(), v.data() + v.size());
    std::sort(out.begin(), out.end(), std::greater<>());
    return out;
}

constexpr Eigen::Index kTile = 256; // Gram tiles are kTile x kTile
constexpr Eigen::Index kChunk = 512; // summed over chunks of the long dimension

// G = A^T A for A = W (rows >= cols) or A = W^T (rows < cols): n = min(rows, cols).
Eigen::MatrixXd gramMatrix(const MapF &w)
{
    const bool tall = w.rows() >= w.cols();
    const Eigen::Index n = tall ? w.cols() : w.rows();
    const Eigen::Index len = tall ? w.rows() : w.cols();
    // chunk [c, c + cl) of the long dimension, columns [i0, i0 + is) of A, as double
    auto panel = [&](Eigen::Index c, Eigen::Index cl, Eigen::Index i0, Eigen::Index is) {
        if (tall)
            return Eigen::MatrixXd(w.block(c, i0, cl, is).cast<double>());
        return Eigen::MatrixXd(w.block(i0, c, is, cl).cast<double>().transpose());
    };
    Eigen::MatrixXd g(n, n);
    const Eigen::Index tiles = (n + kTile - 1) / kTile;
    const Eigen::Index pairs = tiles * (tiles + 1) / 2;
    tbb::parallel_for(Eigen::Index {0}, pairs, [&](Eigen::Index p) {
        // p -> (ti, tj) with tj <= ti, row by row of the lower triangle
        Eigen::Index ti = static_cast<Eigen::Index>((std::sqrt(8.0 * p + 1) - 1) / 2);
        while (ti * (ti + 1) / 2 > p)
            --ti;
        while ((ti + 1) * (ti + 2) / 2 <= p)
            ++ti;
        const Eigen::Index tj = p - ti * (ti + 1) / 2;
        const Eigen::Index i0 = ti * kTile, is = std::min(kTile, n - i0);
        const Eigen::Index j0 = tj * kTile, js = std::min(kTile, n - j0);
        Eigen::MatrixXd acc = Eigen::MatrixXd::Zero(is, js);
        for (Eigen::Index c = 0; c < len; c += kChunk) {
            const Eigen::Index cl = std::min(kChunk, len - c);
            const Eigen::MatrixXd a = panel(c, cl, i0, is);
            if (ti == tj) {
                acc.noalias() += a.transpose() * a;
            } else {
                const Eigen::MatrixXd b = panel(c, cl, j0, js);
                acc.noalias() += a.transpose() * b;
            }
        }
        g.block(i0, j0, is, js) = acc;
        if (ti != tj)
            g.block(j0, i0, js, is) = acc.transpose();
    });
    return g;
}

} // namespace

std::vector<double> singularValuesReference(std::span<const float> matrix, int64_t rows,
                                            int64_t cols)
{
    const MapF w = mapMatrix(matrix, rows, cols);
    if (rows == 0 || cols == 0)
        return {};
    const Eigen::MatrixXd d = w.cast<double>();
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(d);
    return descending(svd.singularValues());
}

std::vector<double> singularValues(std::span<const float> matrix, int64_t rows, int64_t cols,
                                   const SpectrumParams &params, SvdMethod *used)
{
    const MapF w = mapMatrix(matrix, rows, cols);
    SvdMethod method = params.method;
    if (method == SvdMethod::Auto)
        method = std::min(rows, cols) >= params.gramMinDim ? SvdMethod::Gram : SvdMethod::Bdc;
    if (used)
        *used = method;
    if (rows == 0 || cols == 0)
        return {};
    if (method == SvdMethod::Bdc) {
        const Eigen::MatrixXd d = w.cast<double>();
        Eigen::BDCSVD<Eigen::MatrixXd> svd(d);
        return descending(svd.singularValues());
    }
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig;
    eig.compute(gramMatrix(w), Eigen::EigenvaluesOnly);
    if (eig.info() != Eigen::Success)
        throw Error("singular values: the Gram eigenvalue solver did not converge");
    Eigen::VectorXd s = eig.eigenvalues().cwiseMax(0.0).cwiseSqrt();
    return descending(s);
}

} // namespace cwb
