// SPDX-License-Identifier: MIT
#pragma once
// GPTQ's column loop, written once for every grid it rounds onto (compress/gptq.h: our int
// grids; compress/gptq_ggml.h: ggml's blocks). The grid is a RowQuantizer made per range of rows:
//   double operator()(int64_t r, int64_t j)  quantizes permuted column j of row r from W(r, j)
//                                            (already error-updated) and returns
//                                            (w - q) / U(j, j), the OBS error term;
//   void finish()                            called once after every column of its rows.
// For a column j, every row of the range is quantized before column j + 1, so a grid may choose
// a group's scales on entering it from the current weights (lazy groups), provided the fast
// path's lazy batch width is a multiple of the group (the caller rounds it): then a group never
// straddles a pending batch update.
//
// The reference updates every remaining column after each column; the fast path defers the
// updates beyond the current batch of `block` columns and applies them as one Eigen GEMM, rows in
// parallel (oneTBB). Both use double arithmetic and differ only in summation order.

#include "compress/obs_common.h"
#include "jobs/job_context.h"

#include <algorithm>
#include <cstdint>

namespace cwb::obsdetail {

template <class MakeRowQuantizer>
void gptqLoopReference(RowMatrix &W, const RowMatrix &U, MakeRowQuantizer &&make)
{
    const int64_t rows = W.rows(), cols = W.cols();
    for (int64_t r = 0; r < rows; ++r) {
        auto quantize = make(r, r + 1);
        for (int64_t j = 0; j < cols; ++j) {
            const double err = quantize(r, j);
            for (int64_t k = j + 1; k < cols; ++k)
                W(r, k) -= err * U(j, k);
        }
        quantize.finish();
    }
}

template <class MakeRowQuantizer>
void gptqLoop(RowMatrix &W, const RowMatrix &U, int64_t block, const JobContext &job,
              MakeRowQuantizer &&make)
{
    const int64_t rows = W.rows(), cols = W.cols();
    forRowChunks(rows, 16, job, [&](int64_t r0, int64_t r1) {
        const int64_t n = r1 - r0;
        auto quantize = make(r0, r1);
        RowMatrix err(n, block);
        for (int64_t i1 = 0; i1 < cols; i1 += block) {
            const int64_t i2 = std::min(i1 + block, cols);
            for (int64_t j = i1; j < i2; ++j)
                for (int64_t r = r0; r < r1; ++r) {
                    const double e = quantize(r, j);
                    err(r - r0, j - i1) = e;
                    for (int64_t k = j + 1; k < i2; ++k)
                        W(r, k) -= e * U(j, k);
                }
            if (i2 < cols)
                W.block(r0, i2, n, cols - i2).noalias() -=
                    err.leftCols(i2 - i1) * U.block(i1, i2, i2 - i1, cols - i2);
        }
        quantize.finish();
    });
}

} // namespace cwb::obsdetail
