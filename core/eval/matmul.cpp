// SPDX-License-Identifier: MIT
#include "eval/matmul.h"

#include "eval/gemm_kernels.h"
#include "util/cpu_features.h"

#include <Eigen/Core>
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>

namespace cwb {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Below this many multiply-adds a product runs inline: a oneTBB fork/join costs a few
// microseconds, about what 256K multiply-adds (1 MB of float weights streamed) take on one core.
constexpr int64_t kParallelMacs = int64_t(1) << 18;
constexpr int64_t kRowAlign = 16;
// Tiles per worker: 2 for memory-bound GEMV (each thread streams a long run of rows), 4 for GEMM
// so a core slowed by other work on the machine is balanced by stealing.
constexpr int64_t kTilesPerThreadGemv = 2;
constexpr int64_t kTilesPerThreadGemm = 4;

int64_t roundUp(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

} // namespace

void matmulReference(const float *x, int64_t n, const float *w, int64_t out, int64_t in, float *y)
{
    for (int64_t i = 0; i < n; ++i)
        for (int64_t o = 0; o < out; ++o) {
            double acc = 0;
            for (int64_t k = 0; k < in; ++k)
                acc += double(x[i * in + k]) * double(w[o * in + k]);
            y[i * out + o] = static_cast<float>(acc);
        }
}

namespace gemm {

// The portable baseline: Eigen as this file is compiled (SSE2 unless CWB_NATIVE).
void tileSse2(const float *x, int64_t n, int64_t in, const float *wTile, int64_t rows, float *y,
              int64_t ldy)
{
    if (n <= 0 || rows <= 0)
        return;
    const Eigen::Map<const RowMatrix> w(wTile, rows, in);
    if (n == 1) {
        Eigen::Map<Eigen::VectorXf>(y, rows).noalias() =
            w * Eigen::Map<const Eigen::VectorXf>(x, in);
        return;
    }
    const Eigen::Map<const RowMatrix> xm(x, n, in);
    Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>> ym(y, n, rows, Eigen::OuterStride<>(ldy));
    ym.noalias() = xm * w.transpose();
}

TileFn tileFor(CpuLevel level)
{
    switch (level) {
    case CpuLevel::Avx512: return tileAvx512;
    case CpuLevel::Avx2Vnni:
    case CpuLevel::Avx2: return tileAvx2;
    default: return tileSse2;
    }
}

} // namespace gemm

void matmulTile(const float *x, int64_t n, int64_t in, const float *wTile, int64_t rows, float *y,
                int64_t ldy)
{
    static const gemm::TileFn tile = gemm::tileFor(activeCpuLevel());
    tile(x, n, in, wTile, rows, y, ldy);
}

void forEachRowTile(int64_t n, int64_t out, int64_t in,
                    const std::function<void(int64_t, int64_t)> &fn)
{
    if (out <= 0)
        return;
    const int64_t threads = tbb::this_task_arena::max_concurrency();
    const bool parallel = threads > 1 && n * out * in >= kParallelMacs && out > kRowAlign;
    int64_t tileRows = out;
    if (parallel) {
        const int64_t perThread = n == 1 ? kTilesPerThreadGemv : kTilesPerThreadGemm;
        tileRows = roundUp((out + threads * perThread - 1) / (threads * perThread), kRowAlign);
    }
    const int64_t tiles = (out + tileRows - 1) / tileRows;
    const auto runTile = [&](int64_t t) { fn(t * tileRows, std::min(out, (t + 1) * tileRows)); };
    if (!parallel || tiles == 1) {
        for (int64_t t = 0; t < tiles; ++t)
            runTile(t);
        return;
    }
    tbb::parallel_for(
        tbb::blocked_range<int64_t>(0, tiles, 1),
        [&](const tbb::blocked_range<int64_t> &r) {
            for (int64_t t = r.begin(); t < r.end(); ++t)
                runTile(t);
        },
        tbb::simple_partitioner());
}

void matmulDense(const float *x, int64_t n, const float *w, int64_t out, int64_t in, float *y)
{
    forEachRowTile(n, out, in, [&](int64_t r0, int64_t r1) {
        matmulTile(x, n, in, w + r0 * in, r1 - r0, y + r0, out);
    });
}

} // namespace cwb
