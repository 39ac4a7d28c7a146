// SPDX-License-Identifier: MIT
#pragma once
// Low-rank factorization of one linear weight W (rows = output channels, cols = input channels,
// row-major float32) into W ~ A B, A rows x r, B r x cols, stored as two dense factors.
//
// svdLowRank: truncated SVD W = U Sigma V^T (Eckart-Young: the best rank-r approximation in
//   Frobenius norm). The singular values are split evenly, A = U_r sqrt(Sigma_r),
//   B = sqrt(Sigma_r) V_r^T, so both factors have the same scale (which keeps f16 factors away
//   from overflow / underflow). truncationError = sqrt(sum_{i>r} sigma_i^2) / ||W||_F.
//
// asvdLowRank: activation-aware SVD as in SVD-LLM (Wang et al. 2024). What matters is the
//   output error ||X (W - W')^T||_F over the calibration inputs X (tokens x cols), and
//   ||X D^T||_F^2 = tr(D X^T X D^T) = tokens * ||D S||_F^2 for any D, where S is the Cholesky
//   factor of the covariance C = X^T X / tokens = S S^T (S lower triangular). So the SVD is
//   taken of the whitened W S = U Sigma V^T, truncated (the best rank-r approximation in the
//   output error), and un-whitened: A = U_r Sigma_r, B = V_r^T S^-1 (singular values all in A,
//   as SVD-LLM). C is damped first, C + damp I with damp = dampFraction x mean(diag C), so a
//   channel that never fired (a zero row of X) keeps C positive definite; truncationError is
//   then sqrt(sum_{i>r} sigma_i^2) / ||W S||_F, the relative output error on the damped C.
//
// Rank: params.rank when > 0; otherwise the smallest r with sum_{i<=r} sigma_i^2 >=
//   energy x sum sigma_i^2 (up to a relative 1e-12, so an exact split is not lost to rounding),
//   at least 1. For ASVD the sigma are those of W S.
//
// Decomposition: Eigen::BDCSVD in double with thin U and V (exact to ~1e-15 sigma_1; one
// thread; about 1 s at 1024^2 and 40 s at 4096^2 on the build machine, see analysis/spectrum.h:
// spectrum.h only computes singular values, these functions need the vectors too).
// Factors come back as float32 values; with FactorType::F16 they are rounded through IEEE half
// so that relativeError measures what would be stored. storedBytes = (rows + cols) * r * (2|4).

#include "jobs/job_context.h"

#include <cstdint>
#include <span>
#include <vector>

namespace cwb {

enum class FactorType { F16, F32 };

struct LowRankParams {
    int64_t rank = 0;     // 0: choose from `energy`; else 1 .. min(rows, cols)
    double energy = 0.9;  // fraction of sum sigma^2 kept when rank == 0, in (0, 1]
    FactorType factorType = FactorType::F16;
    double dampFraction = 0.01; // ASVD only: damp = this x mean diagonal of X^T X / tokens
};

struct LowRankResult {
    int64_t rows = 0;
    int64_t cols = 0;
    int64_t rank = 0;
    std::vector<float> a;            // rows x rank, row-major
    std::vector<float> b;            // rank x cols, row-major
    std::vector<double> singularValues; // all min(rows, cols), descending (of W S for ASVD)
    double truncationError = 0;      // from the singular values (see above)
    double relativeError = 0;        // ||W - A B||_F / ||W||_F measured on the stored factors
    uint64_t storedBytes = 0;        // both factors in params.factorType
};

// Throws cwb::Error for a weight span that is not rows * cols, non-finite weights (row / col
// named), rank > min(rows, cols) or < 0, energy outside (0, 1]; cwb::Cancelled when ctx's flag
// is set (polled before and after the decomposition, which runs to the end).
[[nodiscard]] LowRankResult svdLowRank(std::span<const float> weights, int64_t rows, int64_t cols,
                                       const LowRankParams &params, const JobContext &ctx = {});

// hessianSum: the raw X^T X (cols x cols, row-major, both triangles, as ActivationHessian::sum);
// tokens: rows of X summed (> 0). Also throws for a wrong-sized or non-finite hessianSum, a
// negative or non-finite dampFraction, or a covariance that is not positive definite after
// damping.
[[nodiscard]] LowRankResult asvdLowRank(std::span<const float> weights, int64_t rows,
                                        int64_t cols, std::span<const double> hessianSum,
                                        int64_t tokens, const LowRankParams &params,
                                        const JobContext &ctx = {});

} // namespace cwb
