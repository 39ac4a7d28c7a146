// SPDX-License-Identifier: MIT
#include "compress/block_recon.h"

#include "compress/obs_common.h"
#include "jobs/job_context.h"
#include "util/error.h"

#include <Eigen/Cholesky>

#include <cmath>
#include <string>

namespace cwb {
namespace {

constexpr const char *kMethod = "gptq_ggml_recon";
using obsdetail::RowMatrix;

void requireTargetInput(const float *w, int64_t rows, int64_t cols, const double *h,
                        const double *cross, int64_t tokens, const BlockReconParams &p)
{
    obsdetail::requireObsInput(kMethod, w, rows, cols, h, tokens, p.gptq.damp,
                               p.gptq.blockSize);
    if (!cross)
        throwIn(kMethod, "no cross moment of the original and the compressed prefix's inputs "
                         "(it needs sequential calibration)");
    for (int64_t i = 0; i < cols * cols; ++i)
        if (!std::isfinite(cross[i]))
            throwIn(kMethod, "the cross moment has a non-finite value at ("
                                 + std::to_string(i / cols) + ", " + std::to_string(i % cols)
                                 + ")");
    if (!std::isfinite(p.strength) || p.strength < 0.0 || p.strength > 1.0)
        throwIn(kMethod, "strength " + std::to_string(p.strength) + " is not in [0, 1]");
}

// H~ + lambda I with dead columns (H~_ii = 0) given a unit diagonal: they are uncoupled from
// the rest (their row and column of H~ are zero), so their target keeps W's value.
RowMatrix dampedHessian(const double *h, int64_t cols, double damp)
{
    RowMatrix A = Eigen::Map<const RowMatrix>(h, cols, cols);
    const double lambda = damp * A.diagonal().mean();
    for (int64_t i = 0; i < cols; ++i)
        A(i, i) = (A(i, i) == 0.0 ? 1.0 : A(i, i)) + lambda;
    return A;
}

[[noreturn]] void notPositiveDefinite()
{
    throwIn(kMethod, "the compressed prefix's Hessian is not positive definite after dampening; "
                     "raise damp");
}

} // namespace

std::vector<float> blockReconTarget(const float *w, int64_t rows, int64_t cols, const double *h,
                                    const double *cross, int64_t tokens,
                                    const BlockReconParams &p, const JobContext &job)
{
    requireTargetInput(w, rows, cols, h, cross, tokens, p);
    const RowMatrix A = dampedHessian(h, cols, p.gptq.damp);
    const Eigen::LLT<RowMatrix> llt(A);
    if (llt.info() != Eigen::Success)
        notPositiveDefinite();
    job.checkCancelled();
    // K = (H~ - C) A^-1, from A K^T = (H~ - C)^T (A symmetric).
    const RowMatrix dT = (Eigen::Map<const RowMatrix>(h, cols, cols)
                          - Eigen::Map<const RowMatrix>(cross, cols, cols))
                             .transpose();
    const RowMatrix K = (p.strength * llt.solve(dT)).transpose();
    std::vector<float> out(size_t(rows * cols));
    obsdetail::forRowChunks(rows, 32, job, [&](int64_t r0, int64_t r1) {
        const RowMatrix Wd = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic,
                                                            Eigen::RowMajor>>(
                                 w + r0 * cols, r1 - r0, cols)
                                 .cast<double>();
        const RowMatrix target = Wd - Wd * K;
        Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            out.data() + r0 * cols, r1 - r0, cols) = target.cast<float>();
    });
    return out;
}

std::vector<float> blockReconTargetReference(const float *w, int64_t rows, int64_t cols,
                                             const double *h, const double *cross,
                                             int64_t tokens, const BlockReconParams &p)
{
    requireTargetInput(w, rows, cols, h, cross, tokens, p);
    const RowMatrix A = dampedHessian(h, cols, p.gptq.damp);
    // Cholesky A = L L^T, column by column.
    RowMatrix L = RowMatrix::Zero(cols, cols);
    for (int64_t j = 0; j < cols; ++j) {
        double d = A(j, j);
        for (int64_t k = 0; k < j; ++k)
            d -= L(j, k) * L(j, k);
        if (!(d > 0.0))
            notPositiveDefinite();
        L(j, j) = std::sqrt(d);
        for (int64_t i = j + 1; i < cols; ++i) {
            double s = A(i, j);
            for (int64_t k = 0; k < j; ++k)
                s -= L(i, k) * L(j, k);
            L(i, j) = s / L(j, j);
        }
    }
    std::vector<float> out(size_t(rows * cols));
    std::vector<double> v(static_cast<size_t>(cols)), y(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
        const float *wr = w + r * cols;
        // v = (H~ - C)^T w_r: the row's correction before the solve.
        for (int64_t j = 0; j < cols; ++j) {
            double s = 0.0;
            for (int64_t i = 0; i < cols; ++i)
                s += (h[i * cols + j] - cross[i * cols + j]) * double(wr[i]);
            v[size_t(j)] = s;
        }
        for (int64_t i = 0; i < cols; ++i) { // L y = v
            double s = v[size_t(i)];
            for (int64_t k = 0; k < i; ++k)
                s -= L(i, k) * y[size_t(k)];
            y[size_t(i)] = s / L(i, i);
        }
        for (int64_t i = cols - 1; i >= 0; --i) { // L^T z = y (z in v)
            double s = y[size_t(i)];
            for (int64_t k = i + 1; k < cols; ++k)
                s -= L(k, i) * v[size_t(k)];
            v[size_t(i)] = s / L(i, i);
        }
        for (int64_t c = 0; c < cols; ++c)
            out[size_t(r * cols + c)] = float(double(wr[c]) - p.strength * v[size_t(c)]);
    }
    return out;
}

StoredMatrix blockReconQuantize(const float *w, int64_t rows, int64_t cols, const double *h,
                                const double *cross, int64_t tokens, const BlockReconParams &p,
                                const JobContext &job, const uint8_t *keepMask)
{
    const std::vector<float> target = blockReconTarget(w, rows, cols, h, cross, tokens, p, job);
    return gptqGgmlQuantize(target.data(), rows, cols, h, tokens, p.gptq, job, keepMask);
}

StoredMatrix blockReconQuantizeReference(const float *w, int64_t rows, int64_t cols,
                                         const double *h, const double *cross, int64_t tokens,
                                         const BlockReconParams &p, const uint8_t *keepMask)
{
    const std::vector<float> target =
        blockReconTargetReference(w, rows, cols, h, cross, tokens, p);
    return gptqGgmlQuantizeReference(target.data(), rows, cols, h, tokens, p.gptq, keepMask);
}

} // namespace cwb
