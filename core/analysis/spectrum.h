// SPDX-License-Identifier: MIT
#pragma once
// Singular-value spectra of weight matrices and the quantities derived from them.
//
// Every tensor with >= 2 dimensions is analysed through its MatrixView (analysis/matrix_view.h:
// rows = output channels; Keras kernels transposed, conv kernels reshaped). With
// n = min(rows, cols) and sigma_1 >= ... >= sigma_n >= 0:
//   frobeniusSq     ||W||_F^2 = sum sigma_i^2
//   stableRank      ||W||_F^2 / sigma_1^2
//   entropyRank     exp(H(p)), H = -sum p_i ln p_i with p_i = sigma_i / sum sigma
//                   (Roy & Vetterli 2007 "effective rank": normalised singular values, not sigma^2)
//   energyRank90/95/99   smallest r with sum_{i<=r} sigma_i^2 >= q * ||W||_F^2
//   truncationError[r]   ||W - W_r||_F / ||W||_F = sqrt(sum_{i>r} sigma_i^2 / sum sigma_i^2),
//                        r = 0..n (Eckart-Young: W_r is the best rank-r approximation); [0] = 1,
//                        [n] = 0; all 0 for a zero matrix
//   powerLaw        heavy-tail exponent of the empirical spectral density (ESD), as WeightWatcher:
//                   eigenvalues lambda_i = sigma_i^2 / N of X = W^T W / N, N = max(rows, cols);
//                   a continuous power law p(lambda) ~ lambda^-alpha fitted to the tail
//                   lambda >= xmin by maximum likelihood, alpha = 1 + n_tail / sum ln(lambda/xmin),
//                   xmin chosen among the eigenvalues by minimising the Kolmogorov-Smirnov distance
//                   between the tail's empirical CDF and the fitted one (Clauset, Shalizi &
//                   Newman 2009), scanning every eigenvalue as xmin like WeightWatcher's own
//                   WWFit (its default since it dropped the `powerlaw` package) but with at least
//                   minTail values in the tail, and with the two-sided KS distance (WWFit compares
//                   the fitted CDF with k/n only). lambda = sigma^2 / N only rescales xmin:
//                   alpha and KS are scale-free, so WeightWatcher's un-normalised sigma^2 gives
//                   the same alpha.
//
// How the singular values are computed (SvdMethod::Auto picks by size):
//   Gram  eigenvalues of the smaller Gram matrix (W W^T or W^T W, formed in double, its product
//         tile-parallel on oneTBB) with Eigen::SelfAdjointEigenSolver, sigma = sqrt(max(lambda,
//         0)). Error ~1e-16 sigma_1^2 / sigma_i relative for sigma_i: exact to rounding for
//         float weights down to ~1e-6 sigma_1; a null space comes back as ~1e-8 sigma_1, not 0.
//   Bdc   Eigen::BDCSVD of the matrix promoted to double: ~1e-15 sigma_1 absolute for every
//         singular value; single-threaded and slower for large matrices.
// Measured on the build machine (2 shared cores, AVX-512, Eigen 3.4, square heavy-tailed random
// float matrices; wall times vary ~2x with the machine's load):
//      n     Gram        BDCSVD    max |Gram - BDC| / sigma_1   (relative, sigma_i > 1e-3 s_1)
//    512   0.07-0.3 s   0.14-0.25 s   5e-14                     3e-11
//   1024   0.3-0.7 s    0.6-0.7 s     3e-13                     2e-11
//   2048   1.1-5 s      2.6-4.2 s     7e-13                     3e-11
//   4096   24-35 s      42 s          3e-13                     3e-11
//   A graded spectrum sigma_i = 10^(-6 i/n) gives the same agreement (2e-11 relative, smallest
//   singular value included). LAPACK's dgesdd (Debian's reference LAPACK/BLAS, one thread) takes
//   7.5 s at 2048 and 247 s at 4096. So: Gram above gramMinDim (the bulk of an LLM's matrices),
//   BDCSVD below, where it costs under a second and has no accuracy caveat.

#include "analysis/matrix_view.h"
#include "jobs/job_context.h"
#include "model/model.h"

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace cwb {

struct Tensor;

enum class SvdMethod { Auto, Gram, Bdc };

struct SpectrumParams {
    SvdMethod method = SvdMethod::Auto;
    // Auto: Gram when min(rows, cols) >= this, else BDCSVD (small matrices: exact and cheap)
    int64_t gramMinDim = 1024;
    bool fitPowerLaw = true;
    int minTail = 10; // power-law fit: fewest eigenvalues allowed in the tail
    // Largest matrix analysed, in values (rows * cols); bigger ones are skipped by spectraForModel
    // with a reason (a 128k-vocabulary embedding of width 8192 is 1G values).
    int64_t maxValues = int64_t {1} << 31;
    int64_t blockValues = int64_t {1} << 20; // streamed read granularity
};

struct PowerLawFit {
    bool valid = false; // false when fewer than minTail positive eigenvalues
    double alpha = 0;
    double xmin = 0; // smallest eigenvalue of the tail
    double ks = 0; // Kolmogorov-Smirnov distance of the fit over the tail
    int64_t nTail = 0; // eigenvalues >= xmin
};

struct Spectrum {
    std::string name;
    MatrixView view; // rows, cols and how the tensor was reshaped
    SvdMethod method = SvdMethod::Auto; // the one actually used (Gram or Bdc)
    std::string skipped; // non-empty: why there is no spectrum (1-D, too large, NaN/Inf)
    std::vector<double> singularValues; // descending, n = min(rows, cols)
    double frobeniusSq = 0;
    double stableRank = 0;
    double entropyRank = 0;
    int64_t energyRank90 = 0;
    int64_t energyRank95 = 0;
    int64_t energyRank99 = 0;
    std::vector<double> truncationError; // n + 1 entries, r = 0..n
    PowerLawFit powerLaw;
    double seconds = 0; // wall time of this tensor (read + decomposition + derived)
};

// Singular values (descending) of a row-major rows x cols matrix.
// Reference: Eigen::JacobiSVD in double (slow, for tests).
[[nodiscard]] std::vector<double> singularValuesReference(std::span<const float> matrix,
                                                          int64_t rows, int64_t cols);
// Fast path by `method` (Auto resolved with params.gramMinDim).
[[nodiscard]] std::vector<double> singularValues(std::span<const float> matrix, int64_t rows,
                                                 int64_t cols, const SpectrumParams &params,
                                                 SvdMethod *used = nullptr);

// Fills every derived field of `s` from s.singularValues and s.view (rows, cols).
void deriveSpectrum(Spectrum &s, const SpectrumParams &params);
// Power-law fit of eigenvalues (any order). Values <= 1e-12 x the largest (numerical zeros of a
// rank-deficient matrix) and non-finite ones are ignored; `valid` is false with fewer than
// max(minTail, 2) left.
[[nodiscard]] PowerLawFit fitPowerLaw(std::span<const double> eigenvalues, int minTail = 10);

// Spectrum of one tensor through its view. Holds the view as float32 plus, for the Gram path,
// two min(rows, cols)^2 double matrices. Throws cwb::Error for bad params or short data and
// cwb::Cancelled when ctx's flag is set (checked before and after the decomposition, which
// itself runs to the end); a 1-D, undecodable, oversized or non-finite tensor gives a Spectrum
// with `skipped` set instead.
[[nodiscard]] Spectrum tensorSpectrum(const Tensor &tensor, const MatrixView &view,
                                      const SpectrumParams &params = {},
                                      const JobContext &ctx = {});

// Spectra of every decodable tensor with >= 2 dimensions, tensors in parallel (oneTBB).
// `onTensor` is called as each tensor finishes (index into model.tensors) so results can stream
// to the GUI; it runs on worker threads but never concurrently with itself. Returns one entry
// per model tensor in model order (1-D / undecodable ones have `skipped` set, no callback).
[[nodiscard]] std::vector<Spectrum>
spectraForModel(const Model &model, const SpectrumParams &params, const JobContext &ctx = {},
                const std::function<void(size_t index, const Spectrum &)> &onTensor = {});

} // namespace cwb
