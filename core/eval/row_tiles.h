// SPDX-License-Identifier: MIT
#pragma once
// The forward pass of weights that are not kept as a float matrix (ggml blocks, packed
// QuantizedTensor codes, a masked inner matrix): Y[n x out] = X[n x in] * W^T with W produced a
// tile of rows at a time into a per-thread buffer and each tile multiplied by matmulTile, the
// output rows split over threads by forEachRowTile. One place for the tile size and the buffer,
// so every such LinearWeights pays the same memory and gets the same products.

#include <cstdint>
#include <functional>

namespace cwb {

// Rows per tile for rows of `in` floats: ~256 KiB of floats, so a decoded tile stays within L2
// while Eigen packs and multiplies it, and never fewer than 16 rows.
[[nodiscard]] int64_t l2TileRows(int64_t in);

// Writes rows [firstRow, firstRow + count) of W, row-major, to dst (count * in floats). It must
// not run oneTBB work itself: the thread's tile buffer would then be shared with a stolen tile.
using RowTileFill = std::function<void(int64_t firstRow, int64_t count, float *dst)>;

// y = x * W^T (x: nRows x in, y: nRows x out), W filled `tileRows` rows at a time.
void forwardInRowTiles(const float *x, int64_t nRows, int64_t out, int64_t in, int64_t tileRows,
                       const RowTileFill &fill, float *y);

} // namespace cwb
