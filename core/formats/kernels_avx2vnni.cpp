// SPDX-License-Identifier: MIT
// The avx2vnni level of the integer dot products (formats/int_dot.h): the AVX2 kernels of
// int_dot_simd.inc compiled with -mavxvnni (core/CMakeLists.txt), so that their u8 x s8 products
// take the VEX vpdpbusd instead of maddubs + madd, on the AVX2-only cores that have it (Intel
// since Alder Lake). Only the integer dots differ from the AVX2 level: the float kernels of the
// same .inc (packed decode, ggml float dots) are not exported from here, and the other kernel
// sets run their AVX2 entries at this level (util/cpu_level_pick.h). As in kernels_avx2.cpp,
// nothing with inline code shared with other translation units is included.

#include "formats/dtype.h"
#include "formats/ggml_dot.h"
#include "formats/int_dot.h"
#include "formats/packed_dot.h"

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__) && defined(__AVXVNNI__)
#define CWB_INT_DOT_VNNI 0
#define CWB_INT_DOT_AVXVNNI 1
// The float kernels of the .inc are compiled but only the AVX2 level exports them.
#pragma GCC diagnostic ignored "-Wunused-function"
#include "formats/int_dot_simd.inc"
#define CWB_LEVEL_KERNELS 1
#else
#define CWB_LEVEL_KERNELS 0
#endif

namespace cwb::intdot {

const Table &avx2vnniTable()
{
#if CWB_LEVEL_KERNELS
    return kTable;
#else
    return scalarTable();
#endif
}

} // namespace cwb::intdot
