// SPDX-License-Identifier: MIT
// The AVX2 level of formats/int_dot.h (compiled with -mavx2 -mfma -mf16c: core/CMakeLists.txt).
// The kernels are in int_dot_simd.inc; this file must include nothing with inline code shared
// with other translation units (see there).

#include "formats/int_dot.h"
#include "formats/packed_dot.h"

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define CWB_INT_DOT_VNNI 0
#include "formats/int_dot_simd.inc"
#endif

namespace cwb::intdot {

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
const Table &avx2Table() { return kTable; }
#else
// Not an x86-64 compiler (or the flags are missing): this level runs the scalar references.
const Table &avx2Table() { return scalarTable(); }
#endif

} // namespace cwb::intdot

namespace cwb::packeddot {

void avx2(const PackedRow &w, const float *x, int64_t xStride, const float *xsum, int nRows,
          float *y, int64_t yStride)
{
#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
    packedKernel(w, x, xStride, xsum, nRows, y, yStride);
#else
    scalar(w, x, xStride, xsum, nRows, y, yStride);
#endif
}

} // namespace cwb::packeddot
