// SPDX-License-Identifier: MIT
#pragma once
// Float32 matrix products for the engine, in the LinearWeights convention
//   Y[n x out] = X[n x in] * W^T,  W row-major [out x in], X and Y row-major.
// matmulReference is the plain triple loop (double accumulation) every fast path is tested
// against; matmulTile is one serial Eigen product (GEMV when n == 1, GEMM otherwise) writing a
// block of columns of Y; forEachRowTile splits the output rows into tiles run in parallel on the
// current oneTBB arena, or runs one tile inline when the product is too small to pay for
// scheduling (decode of tiny models, norms-sized products).

#include <cstdint>
#include <functional>

namespace cwb {

void matmulReference(const float *x, int64_t n, const float *w, int64_t out, int64_t in, float *y);

// Y[:, 0..rows) (row stride ldy) = X[n x in] * Wtile^T, Wtile row-major [rows x in].
void matmulTile(const float *x, int64_t n, int64_t in, const float *wTile, int64_t rows, float *y,
                int64_t ldy);

// Calls fn(firstRow, endRow) over [0, out) in tiles of a multiple of 16 rows (the last may be
// shorter), in parallel when n * out * in multiply-adds justify it.
void forEachRowTile(int64_t n, int64_t out, int64_t in,
                    const std::function<void(int64_t, int64_t)> &fn);

// The fast path of matmulReference: tiles of W rows through matmulTile, parallel when large.
void matmulDense(const float *x, int64_t n, const float *w, int64_t out, int64_t in, float *y);

} // namespace cwb
