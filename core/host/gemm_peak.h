// SPDX-License-Identifier: MIT
#pragma once
// The machine's double-precision GEMM rate, measured: C = A B with A, B n x n row-major, best of
// `repeats` after one warm-up. The Hessian methods (GPTQ, SparseGPT) are judged against it; the
// splits say how their blocks divide the work over threads (compress/obs_common.h).

#include <cstdint>

namespace cwb {
struct JobContext;
}

namespace cwb::host {

enum class GemmSplit {
    Rows16,   // as obsdetail::forRowChunks: oneTBB over 16-row blocks, Eigen's GEMM per block
    Panels,   // one contiguous row panel per thread
    OneThread // one Eigen GEMM on the calling thread
};

// GFLOP/s (2 n^3 flops a product) of the best pass. `threads` sizes the Panels split. Polls
// `ctx` before each pass; throws cwb::Cancelled.
[[nodiscard]] double measureGemmGflops(int64_t n, int repeats, GemmSplit split, int threads,
                                       const JobContext &ctx);

} // namespace cwb::host
