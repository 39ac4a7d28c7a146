// SPDX-License-Identifier: MIT
// The AVX-512 level of formats/int_dot.h (compiled with AVX-512 F/BW/VL/DQ + VNNI:
// core/CMakeLists.txt): the kernels of int_dot_simd.inc with vpdpbusd for the 32-value types.
// This file must include nothing with inline code shared with other translation units.

#include "formats/int_dot.h"
#include "formats/packed_dot.h"

#if defined(__AVX512F__) && defined(__AVX512VNNI__) && defined(__AVX512VL__)
#define CWB_INT_DOT_VNNI 1
#include "formats/int_dot_simd.inc"
#endif

namespace cwb::intdot {

#if defined(__AVX512F__) && defined(__AVX512VNNI__) && defined(__AVX512VL__)
const Table &avx512Table() { return kTable; }
#else
// Not an x86-64 compiler (or the flags are missing): this level runs the scalar references.
const Table &avx512Table() { return scalarTable(); }
#endif

} // namespace cwb::intdot

namespace cwb::packeddot {

void avx512(const PackedRow &w, const float *x, int64_t xStride, const float *xsum, int nRows,
            float *y, int64_t yStride)
{
#if defined(__AVX512F__) && defined(__AVX512VNNI__) && defined(__AVX512VL__)
    packedKernel(w, x, xStride, xsum, nRows, y, yStride);
#else
    scalar(w, x, xStride, xsum, nRows, y, yStride);
#endif
}

} // namespace cwb::packeddot
