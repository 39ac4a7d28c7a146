// SPDX-License-Identifier: MIT
// The AVX2+FMA float GEMM (compiled with -mavx2 -mfma -mf16c: core/CMakeLists.txt), Eigen under
// its own namespace name (eval/gemm_kernels.h says why).

#include "eval/gemm_kernels.h"

#define Eigen Eigen_cwb_avx2
#define CWB_EIGEN Eigen_cwb_avx2
#include "eval/gemm_eigen.inc"

namespace cwb::gemm {

void tileAvx2(const float *x, int64_t n, int64_t in, const float *wTile, int64_t rows, float *y,
              int64_t ldy)
{
    eigenTile(x, n, in, wTile, rows, y, ldy);
}

} // namespace cwb::gemm
