// SPDX-License-Identifier: MIT
#pragma once
// The float GEMM of matmulTile (eval/matmul.h) per instruction-set level: Eigen compiled three
// times, for SSE2 (matmul.cpp, the portable baseline), AVX2+FMA (gemm_avx2.cpp) and AVX-512
// (gemm_avx512.cpp). Eigen is a header-only template library, so a copy compiled with -mavx512f
// would otherwise share symbol names with the SSE2 copy and the linker could keep the AVX-512
// instantiation for every caller (an illegal instruction on an AVX2 machine). The per-ISA files
// therefore rename Eigen's namespace (`#define Eigen Eigen_avx2` before including it); nothing
// else in them has inline code. The test `nm` check: every weak symbol of gemm_avx2.cpp.o and
// gemm_avx512.cpp.o is in its own namespace (tests/test_dispatch.cpp).

#include <cstdint>

namespace cwb {
enum class CpuLevel; // util/cpu_features.h
}

namespace cwb::gemm {

// Y[:, 0..rows) (row stride ldy) = X[n x in] * Wtile^T, Wtile row-major [rows x in].
using TileFn = void (*)(const float *x, int64_t n, int64_t in, const float *wTile, int64_t rows,
                        float *y, int64_t ldy);

void tileSse2(const float *x, int64_t n, int64_t in, const float *wTile, int64_t rows, float *y,
              int64_t ldy);
void tileAvx2(const float *x, int64_t n, int64_t in, const float *wTile, int64_t rows, float *y,
              int64_t ldy);
void tileAvx512(const float *x, int64_t n, int64_t in, const float *wTile, int64_t rows, float *y,
                int64_t ldy);

// The function of a level (tests run every level this CPU supports).
[[nodiscard]] TileFn tileFor(CpuLevel level);

} // namespace cwb::gemm
