// SPDX-License-Identifier: MIT
#pragma once
// The engine of `cwb bench compress`: throughput of the weight quantizers, and the compute rate
// of the Hessian methods (below). Quantizer throughput is measured on generated
// N(0, 0.02^2) tensors (default 4096x4096 and 11008x4096, the shapes of a 7B llama's attention
// and MLP matrices). Per shape and case it measures the fast path's best-of-`repeats` wall time,
// reported as GB/s of float32 input next to the machine's STREAM triad bandwidth from the same
// run; the scalar reference once (for the speedup); the exact stored bytes; and the relative RMS
// error of the round trip, sqrt(sum (w - w')^2 / sum w^2).
//
// Cases are data, not code paths: a name and a function. defaultCompressBenchCases() holds
// rtn (4-bit, group 128), nf4, fp8_e4m3 and ggml's q4_k (ggmlQuantizeRows) for comparison.
//
// Hessian methods (GPTQ, SparseGPT) are a separate section: their cost is compute, not memory
// traffic, so they are reported in GFLOP/s against a GEMM peak, not in GB/s. Per hessianShapes
// entry R x C (default 4096x4096):
//   W  R x C ~ N(0, 0.02^2), as above.
//   X  tokens x C calibration activations with correlated channels:
//        x_tj = s_j (sqrt(1/2) a_j . z_t + sqrt(1/2) e_tj),
//      z_t ~ N(0, I_16) a shared 16-factor component, a_j ~ N(0, I_16 / 16), e_tj ~ N(0, 1)
//      noise, per-channel scales s_j = exp(N(0, 0.5^2)), 1 channel in 256 (at random) x8 as an
//      outlier channel. tokens defaults to max(2048, 2 C): the noise term makes H positive
//      definite only with tokens >= C (fewer leave it rank-deficient, positive definite only
//      through the methods' damp).
//   H  = X^T X in double by the calibration path (analysis::accumulateHessian, then
//      symmetrizeFromLower); timed and reported on its own: it is calibration, not GPTQ.
//   Timed, best of hessianRepeats, on oneTBB's threads: gptqQuantize (4 bits, group 128,
//   symmetric, fp16 scales, actOrder, blockSize 128, damp 0.01) and sparseGptPrune (50%
//   unstructured, blockSize 128, damp 0.01). The Hessian preparation both run first
//   (obsdetail::prepareHessian: a serial Eigen Cholesky, then a parallel triangular inverse)
//   is also timed once on its own, so the report can split each method into preparation and
//   "the rest" (its time minus the preparation's).
//
// FLOP model (2 flops per multiply-add; m = R, n = C; the blocks [i1, i2) of width b = i2 - i1
// tile the n columns):
//   X^T X          tokens n (n + 1): the lower triangle with the diagonal (the upper one is
//                  copied); the panelled GEMMs also fill the diagonal blocks' upper halves, not
//                  counted.
//   preparation    n^3/3 (Cholesky of the reversed H) + n^3/3 (its triangular inverse, solved
//                  column block by column block on the trailing submatrix only, in parallel)
//                  = 2/3 n^3 (obs_common.h). Counted as executed, so GFLOP/s compares with the
//                  GEMM peak.
//   in-block       column j of a block updates the block's later columns of every row,
//                  w_k -= e U_jk for j < k < i2: 2 (i2 - j - 1) flops a row, m b (b - 1) a block,
//                  ~ m n b in all. SparseGPT skips rows whose weight was kept (e = 0), so its
//                  count is summed over the pruned weights of the result.
//   lazy updates   per block with i2 < n, the GEMM W[:, i2:] -= E[m x b] U[i1:i2, i2:]: 2 m b
//                  (n - i2) flops, ~ m n^2 in all (SparseGPT's E holds zeros for kept weights;
//                  the GEMM multiplies them, so they count).
//   Not counted: O(m n) per-weight work (rounding, scales, packing, nth_element mask selection),
//   the O(n^2) scaling / permutation / copies of H, input checks. GFLOP/s = counted / seconds.
//
// GEMM peak, measured in the same run in double (the methods' precision): C = A B with
// A, B gemmSize^2 (2048), row-major, best of gemmRepeats (3) after one warm-up, split the way
// the methods split theirs (obsdetail::forRowChunks): a oneTBB parallel_for over blocks of at
// most 16 rows (grain 16), Eigen's own single-threaded GEMM in each (the build has no OpenMP,
// so Eigen does not thread): the figure achieved rates are compared with. Also split into one
// row panel per thread (Eigen packs B once per thread instead of once per 16 rows: what a
// coarser split could reach), and on one thread (one Eigen GEMM): the roof of the serial
// preparation.
//
// Quality, so the bench shows the methods do their job on this data: the relative output error
// sqrt(tr(D H D^T) / tr(W H W^T)), D = W - W' (the reconstructed weights), in double; GPTQ next
// to quantizeRtn with the same grid, SparseGPT next to pruneMagnitude at the same sparsity.

#include "bench/quantize_side_by_side.h"
#include "jobs/job_context.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace cwb::bench {

struct CompressBenchOutcome {
    uint64_t storedBytes = 0;
    // Rebuilds the dense weights (called after timing, for the error figure).
    std::function<std::vector<float>()> reconstruct;
};

using CompressBenchFn = std::function<CompressBenchOutcome(const float *w, int64_t rows,
                                                           int64_t cols, const JobContext &job)>;

struct CompressBenchCase {
    std::string name;          // "rtn w4 g128"
    CompressBenchFn run;       // the fast path
    CompressBenchFn reference; // the scalar reference; empty: not timed
};

[[nodiscard]] std::vector<CompressBenchCase> defaultCompressBenchCases();

struct CompressBenchShape {
    int64_t rows = 0, cols = 0;
};

struct CompressBenchParams {
    std::vector<CompressBenchShape> shapes{{4096, 4096}, {11008, 4096}};
    std::vector<CompressBenchCase> cases = defaultCompressBenchCases();
    int repeats = 3;         // best of
    bool reference = true;   // time each case's reference once
    uint64_t triadBytes = 768ull << 20;
    int triadRepeats = 5;
    uint64_t seed = 1;
    // Hessian methods (see above); empty: the section is skipped, and the GEMM peak with it.
    std::vector<CompressBenchShape> hessianShapes{{4096, 4096}};
    int64_t tokens = 0;     // calibration rows; 0: max(2048, 2 x cols)
    int hessianRepeats = 1; // best of (each run takes seconds)
    int64_t gemmSize = 2048;
    int gemmRepeats = 3;
    // Side by side with llama.cpp (bench/quantize_side_by_side.h): this llama-quantize on the
    // same tensors, Q4_K, best of `repeats`; empty: not run.
    std::string llamaQuantizePath;
    std::string tempParent; // its scratch directory's parent; empty: the system's
};

struct CompressBenchRow {
    std::string name;
    int64_t rows = 0, cols = 0;
    double seconds = 0;          // best fast-path time
    double inputGBps = 0;        // rows * cols * 4 / seconds / 1e9
    double referenceSeconds = 0; // 0: not measured
    uint64_t storedBytes = 0;
    double bitsPerWeight = 0;
    double relRmsError = 0;
};

struct HessianBenchMethod {
    std::string name;       // "gptq w4 g128 act-order"
    double seconds = 0;     // best of hessianRepeats, preparation included
    double flops = 0;       // counted (FLOP model above)
    double prepFlops = 0;   // of which the Hessian preparation
    double gflops = 0;      // flops / seconds / 1e9
    double relOutputError = 0;
    std::string baseline;   // "rtn w4 g128", "magnitude 50%"
    double baselineSeconds = 0; // one run
    double baselineRelOutputError = 0;
    double sparsity = 0;    // fraction of weights that are exactly 0 afterwards
};

struct HessianBenchShape {
    int64_t rows = 0, cols = 0, tokens = 0;
    double hessianSeconds = 0, hessianFlops = 0, hessianGflops = 0; // X^T X
    double prepSeconds = 0, prepFlops = 0, prepGflops = 0;          // prepareHessian, once
    std::vector<HessianBenchMethod> methods;                        // gptq, sparsegpt
};

struct CompressBenchResult {
    std::vector<CompressBenchRow> rows;
    double triadGBps = 0;
    int threads = 0; // oneTBB's default concurrency during the run
    std::vector<HessianBenchShape> hessian;
    int64_t gemmSize = 0;         // 0: not measured (no Hessian shapes)
    double gemmGflops = 0;        // double GEMM, oneTBB over 16-row blocks, `threads` threads
    double gemmGflopsPanels = 0;  // the same, one row panel per thread
    double gemmGflopsOneThread = 0;
    std::optional<QuantizeSideBySideResult> llamaQuantize; // with llamaQuantizePath
};

// Throws cwb::Error (bad shape, a Hessian shape whose cols is not a multiple of 128, a case or
// method failing) and cwb::Cancelled.
[[nodiscard]] CompressBenchResult runCompressBench(const CompressBenchParams &params,
                                                   const JobContext &ctx = {});

} // namespace cwb::bench
