// SPDX-License-Identifier: MIT
#pragma once
// The one switch every per-level kernel set dispatches with (formats/int_dot.cpp,
// formats/quant_simd.cpp, analysis/stats_simd.cpp): the entry of `level` among a set's
// scalar / AVX2 / AVX-512 functions. Sets without an AVX-VNNI variant run their AVX2 one at the
// avx2vnni level (only the integer dot products have one: formats/int_dot.cpp).

#include "util/cpu_features.h"

namespace cwb {

template <class Fn>
[[nodiscard]] Fn pickForCpuLevel(CpuLevel level, Fn baseline, Fn avx2, Fn avx512)
{
    switch (level) {
    case CpuLevel::Avx512: return avx512;
    case CpuLevel::Avx2Vnni:
    case CpuLevel::Avx2: return avx2;
    default: return baseline;
    }
}

} // namespace cwb
