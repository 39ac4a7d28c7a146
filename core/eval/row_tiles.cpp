// SPDX-License-Identifier: MIT
#include "eval/row_tiles.h"

#include "eval/matmul.h"

#include <algorithm>
#include <vector>

namespace cwb {
namespace {

constexpr int64_t kTileBytes = 256 * 1024;
constexpr int64_t kMinTileRows = 16;

float *tileBuffer(size_t values)
{
    // Used inside one tile only (fill runs no oneTBB work), so never shared by two tiles.
    thread_local std::vector<float> buffer;
    if (buffer.size() < values)
        buffer.resize(values);
    return buffer.data();
}

} // namespace

int64_t l2TileRows(int64_t in)
{
    return std::max(kMinTileRows, kTileBytes / (in * int64_t(sizeof(float))));
}

void forwardInRowTiles(const float *x, int64_t nRows, int64_t out, int64_t in, int64_t tileRows,
                       const RowTileFill &fill, float *y)
{
    forEachRowTile(nRows, out, in, [&](int64_t r0, int64_t r1) {
        float *w = tileBuffer(size_t(std::min(tileRows, r1 - r0) * in));
        for (int64_t t0 = r0; t0 < r1; t0 += tileRows) {
            const int64_t t1 = std::min(r1, t0 + tileRows);
            fill(t0, t1 - t0, w);
            matmulTile(x, nRows, in, w, t1 - t0, y + t0, out);
        }
    });
}

} // namespace cwb
