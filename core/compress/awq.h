// SPDX-License-Identifier: MIT
#pragma once
// AWQ (Lin et al. 2023, "AWQ: Activation-aware Weight Quantization for LLM Compression and
// Acceleration"; mit-han-lab/llm-awq auto_scale.py): before round-to-nearest, every input
// channel j of W [rows x cols] is multiplied by a scale s_j that grows with the channel's
// activation magnitude, so the weights that meet large activations lose less to rounding; the
// inverse scale moves to the input (y = W x = (W diag(s)) (x / s)). One exponent alpha is searched
// per weight:
//   s_j   = max(meanAbs_j ^ alpha, 1e-4),   s /= sqrt(max(s) min(s))     (llm-awq: x_max.pow(ratio)
//           .clamp(min=1e-4), scales / (scales.max() * scales.min()).sqrt(); s rounded to float)
//   Q     = rtn(W diag(s))                    (quantizeRtn's grid, packing and scales)
//   W'    = dequant(Q) diag(1/s)
// for alpha in {0, 1/n, ..., (n-1)/n} (n = alphaGrid, llm-awq's n_grid = 20), keeping the alpha
// with the smallest output error (ties: the smallest alpha). llm-awq measures the error on the
// calibration activations of the block; here it is exact from the raw Hessian sum H = X^T X of
// analysis/activation_stats.h (no sample activations needed):
//   ||X (W - W')^T||_F^2 = sum_r d_r H d_r^T,  d_r = row r of W - W',
//   relative error       = sqrt(that / sum_r w_r H w_r^T)   (0 when both are 0).
// alpha = 0 gives s = 1 exactly, i.e. plain RTN, so AWQ's error never exceeds RTN's on this
// measure. An alpha > 0 whose scaled weights the grid cannot store (a scale beyond fp16 range,
// float overflow) is skipped (its grid error is +inf); alpha = 0 failing throws as RTN would.
//
// Running it: the result is an ordinary rtn QuantizedTensor of W diag(s) plus the float s;
// eval/scaled_input_linear.h runs the pair in the engine (x / s, then the packed tensor).
// llm-awq folds 1/s into the preceding op (RMSNorm weight, v -> o, up -> down) instead; that is
// the pipeline's business and needs one s shared by every weight reading the same input.
// llm-awq also clips weights (auto_clip) after scaling; not done here.
//
// Fast path vs reference: both compute s, W diag(s) and hence the codes with the same float
// expressions, and quantize through quantizeRtn / quantizeRtnReference (bitwise equal). They
// differ only in how the error is summed (fast: Eigen GEMM D H over fixed blocks of 64 rows in
// parallel, per-row forms added in row order; reference: plain double loops), so grid errors
// agree to a relative 1e-9 (measured ~1e-14; the sums are of ~cols^2 double products) and the
// chosen alpha is the same unless two grid points' errors lie within that noise of each other.
// Both are deterministic (no dependence on thread scheduling).

#include "formats/quantized_tensor.h"

#include <cstdint>
#include <span>
#include <vector>

namespace cwb {

struct JobContext;

struct AwqParams {
    int bits = 4;          // 2..8
    int group = 128;       // 32, 64, 128 or 256 dividing cols; 0 = one scale per row (per channel)
    bool sym = false;      // AWQ's default grid is asymmetric with a zero point (rtn's asymmetric)
    int alphaGrid = 20;    // alpha in {0, 1/n, ..., (n-1)/n} (llm-awq: n_grid 20); 1..1000
    bool f16Scales = true; // as RtnParams::f16Scales
};

struct AwqResult {
    QuantizedTensor q;              // rtn layout: quantizes W diag(s)
    std::vector<float> inputScales; // s, cols values: W ~ dequant(q) diag(1/s), y = dequant(q) (x/s)
    double alpha = 0;               // chosen
    double outputError = 0;         // relative output error at the chosen alpha
    double plainRtnError = 0;       // the same for alpha = 0 (s = 1, plain RTN)
    std::vector<double> gridErrors; // per alpha tried, alpha = i / alphaGrid; +inf: skipped
};

// w: row-major [rows x cols] float32. meanAbs: per input channel mean |x| (cols values, finite,
// >= 0; LinearActivationStats::meanAbs). h: the raw Hessian sum X^T X, cols x cols row-major,
// from `tokens` input rows (ActivationHessian::sum; symmetric positive semidefinite).
// Throws cwb::Error naming the bad argument or field ("awq: bits = 9 ..."), for non-finite
// values (naming row / column / channel), and for an h whose quadratic form is clearly negative.
// Polls `job` between grid points and row blocks (cwb::Cancelled).
AwqResult awqQuantize(const float *w, int64_t rows, int64_t cols, std::span<const double> meanAbs,
                      const double *h, int64_t tokens, const AwqParams &p, const JobContext &job);
AwqResult awqQuantizeReference(const float *w, int64_t rows, int64_t cols,
                               std::span<const double> meanAbs, const double *h, int64_t tokens,
                               const AwqParams &p);

// The input scales for one alpha (the formula above), as both paths compute them.
[[nodiscard]] std::vector<float> awqInputScales(std::span<const double> meanAbs, double alpha);

} // namespace cwb
