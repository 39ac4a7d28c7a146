// SPDX-License-Identifier: MIT
#pragma once
// Plumbing the weight quantizers share (internal to core/compress): argument checks, the empty
// layout of a method's QuantizedTensor, the non-finite check with a deterministic message, and
// the oneTBB loop over row blocks with cancellation.

#include "formats/quant_params.h"
#include "formats/quantized_tensor.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string_view>

namespace cwb {
struct JobContext;
}

namespace cwb::quantdetail {

// validateQuantParams plus a null-pointer check.
void requireInput(const QuantParams &params, const float *w, int64_t rows, int64_t cols);

// The method's metadata (method, params, shape, codeBits, packing, groupSize, scaleType,
// dqBlockSize, hasTensorScale) with empty buffers; params must be valid.
[[nodiscard]] QuantizedTensor describeLayout(const QuantParams &params, int64_t rows, int64_t cols);
// The same with every buffer sized and zeroed (what the quantizers fill in).
[[nodiscard]] QuantizedTensor makeLayout(const QuantParams &params, int64_t rows, int64_t cols);
// The same, except that `codes` is sized but not zeroed: for fast paths that write every code
// byte of every row themselves (whole-row packing). Skips a single-threaded pass over the
// largest buffer, and leaves its fresh pages to be first touched by the threads that fill them.
[[nodiscard]] QuantizedTensor makeLayoutToOverwrite(const QuantParams &params, int64_t rows,
                                                    int64_t cols);

// Index of the first NaN or infinity in x[0..n), or -1.
[[nodiscard]] int64_t firstNonFinite(const float *x, int64_t n);
[[noreturn]] void throwNonFinite(std::string_view method, int64_t row, int64_t col, float value);
// Row-major scan of the whole tensor (the reference paths): throws for the first bad weight.
void requireFinite(std::string_view method, const float *w, int64_t rows, int64_t cols);

// Rows per parallel block: about 64k weights, at least one row.
[[nodiscard]] int64_t rowGrain(int64_t cols);

// Runs body(firstRow, endRow) over row blocks in parallel. body returns the row-major index of a
// non-finite weight in its rows (-1: none) and must then leave its output rows alone; after the
// loop the smallest such index is reported through throwNonFinite, so the message does not depend
// on scheduling. Polls `job` before each block; throws cwb::Cancelled.
void forRowBlocks(std::string_view method, const float *w, int64_t rows, int64_t cols,
                  const JobContext &job, const std::function<int64_t(int64_t, int64_t)> &body);

// Row-major index of the first non-finite weight in rows [r0, r1), or -1. Fast paths whose
// per-row kernels do not look at every value first call it on their block.
[[nodiscard]] int64_t firstNonFiniteInRows(const float *w, int64_t r0, int64_t r1, int64_t cols);

// max |w| over the whole tensor, parallel (exact in any order); throws for the first
// non-finite weight in row-major order.
[[nodiscard]] float tensorAbsMax(std::string_view method, const float *w, int64_t rows,
                                 int64_t cols);
// max |x[0..n)| with eight independent lanes so the loop vectorizes; x finite. Inline: the
// block formats call it per block of 16 or 32.
[[nodiscard]] inline float absMax(const float *x, int64_t n)
{
    float m[8] = {};
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int k = 0; k < 8; ++k)
            m[k] = std::max(m[k], std::fabs(x[j + k]));
    for (; j < n; ++j)
        m[0] = std::max(m[0], std::fabs(x[j]));
    float a = m[0];
    for (int k = 1; k < 8; ++k)
        a = std::max(a, m[k]);
    return a;
}

} // namespace cwb::quantdetail
