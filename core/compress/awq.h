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
// The grid may instead be a ggml block type (AwqParams::ggml: Q4_0 ... Q6_K), as llama.cpp's own
// AWQ path did (awq-py applied llm-awq's scales before converting to GGUF): W diag(s) is quantized
// by llama.cpp's scale search (formats/ggml_quantize.h, byte-exact), weighted when `importance`
// by the mean squares of the inputs the scaled weights meet, diag(H) / tokens / s^2 (the imatrix
// of x / s). alpha = 0 is then exactly llama-quantize's result with that imatrix. The search and
// the fast/reference split are the same; ggml has one quantizer, so both paths share it.
//
// Fast path vs reference: both compute s, W diag(s) and hence the codes with the same float
// expressions, and quantize through quantizeRtn / quantizeRtnReference (bitwise equal). They
// differ only in how the error is summed (fast: Eigen GEMM D H over fixed blocks of 64 rows in
// parallel, per-row forms added in row order; reference: plain double loops), so grid errors
// agree to a relative 1e-9 (measured ~1e-14; the sums are of ~cols^2 double products) and the
// chosen alpha is the same unless two grid points' errors lie within that noise of each other.
// Both are deterministic (no dependence on thread scheduling).

#include "compress/stored_matrix.h"
#include "formats/dtype.h"
#include "formats/quantized_tensor.h"

#include <cstdint>
#include <optional>
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
    // A ggml block type (Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K ... Q6_K) instead of the integer grid:
    // bits / group / sym / f16Scales are then unused and cols must be a multiple of its block.
    std::optional<DType> ggml;
    bool importance = true; // ggml grid: weight its scale search by diag(H) / tokens / s^2
    // ggml grid: after the alpha search (by plain rounding), the chosen scales' codes by GPTQ onto
    // the grid (compress/gptq_ggml.h, its defaults) with the Hessian of the inputs x / s,
    // diag(1/s) H diag(1/s): AWQ's smoothing then GPTQ's error compensation, as llm-compressor
    // recipes stack AWQModifier and GPTQModifier. outputError is then the final codes' error;
    // gridErrors stay those of plain rounding.
    bool gptq = false;
};

struct AwqResult {
    QuantizedTensor q;              // integer grid (rtn layout): quantizes W diag(s)
    std::vector<std::byte> ggmlBytes; // ggml grid (AwqParams::ggml): W diag(s) as its blocks
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

// ws = W diag(s) [rows x cols], the float products the search quantizes (so a caller that
// re-forms them, as the norm folding does, gets the codes the search measured).
void awqScaleWeights(const float *w, int64_t rows, int64_t cols, std::span<const float> s,
                     float *ws);

// The grid of the scaled weights ws = W diag(s) [rows x cols] as the search makes it (the fast
// quantizer), without s: what the pipeline stores when s is folded into a norm. `h`, `tokens`:
// as for awqQuantize (only the ggml grid's importance reads them).
[[nodiscard]] StoredMatrix awqGrid(const float *ws, int64_t rows, int64_t cols,
                                   std::span<const float> s, const double *h, int64_t tokens,
                                   const AwqParams &p, const JobContext &job);

// The result as the pipeline stores it: the grid with s as its input multiplier.
[[nodiscard]] StoredMatrix awqStoredMatrix(AwqResult &&r, const AwqParams &p, int64_t rows,
                                           int64_t cols);

} // namespace cwb
