// SPDX-License-Identifier: MIT
// The AVX-512 level of the formats kernels (compiled with AVX-512 F/BW/VL/DQ + VNNI:
// core/CMakeLists.txt): the integer dot products of formats/int_dot.h and the packed-code decode of
// formats/packed_dot.h and the float-activation ggml dots of formats/ggml_dot.h
// (int_dot_simd.inc). This file must include nothing with inline code
// shared with other translation units: the linker could otherwise keep this file's copy, built
// for a wider instruction set, for every caller.

#include "formats/dtype.h"
#include "formats/ggml_dot.h"
#include "formats/int_dot.h"
#include "formats/packed_dot.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512VNNI__)
#define CWB_INT_DOT_VNNI 1
#include "formats/int_dot_simd.inc"
#define CWB_LEVEL_KERNELS 1
#else
// Not an x86-64 compiler (or the flags are missing): the integer and packed kernels of this level
// are the scalar references, the float ones the portable vector-extension code.
#define CWB_LEVEL_KERNELS 0
#include "formats/ggml_dot_simd.inc"
#endif

namespace cwb {

namespace intdot {
const Table &avx512Table()
{
#if CWB_LEVEL_KERNELS
    return kTable;
#else
    return scalarTable();
#endif
}
} // namespace intdot

namespace packeddot {
void avx512(const PackedRow &w, const float *x, int64_t xStride, const float *xsum, int nRows,
            float *y, int64_t yStride)
{
#if CWB_LEVEL_KERNELS
    packedKernel(w, x, xStride, xsum, nRows, y, yStride);
#else
    scalar(w, x, xStride, xsum, nRows, y, yStride);
#endif
}
} // namespace packeddot

namespace ggmldot {
float avx512(DType t, const std::byte *row, const float *x, int64_t n)
{
#if CWB_LEVEL_KERNELS
    return ggmlFloatDot(t, reinterpret_cast<const unsigned char *>(row), x, n);
#else
    return floatdot::ggmlDotLevel(t, reinterpret_cast<const unsigned char *>(row), x, n);
#endif
}
} // namespace ggmldot

} // namespace cwb
