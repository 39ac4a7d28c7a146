// SPDX-License-Identifier: MIT
// The AVX-512 float GEMM (compiled with -mavx512f -mavx512bw -mavx512vl -mavx512dq:
// core/CMakeLists.txt), Eigen under its own namespace name (eval/gemm_kernels.h says why).

#include "eval/gemm_kernels.h"

#define Eigen Eigen_cwb_avx512
#define CWB_EIGEN Eigen_cwb_avx512
#include "eval/gemm_eigen.inc"

namespace cwb::gemm {

void tileAvx512(const float *x, int64_t n, int64_t in, const float *wTile, int64_t rows, float *y,
                int64_t ldy)
{
    eigenTile(x, n, in, wTile, rows, y, ldy);
}

} // namespace cwb::gemm
