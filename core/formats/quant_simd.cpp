// SPDX-License-Identifier: MIT
#include "formats/quant_simd.h"

#include "util/cpu_features.h"

namespace cwb::quantsimd {

const Table &table(CpuLevel level)
{
    switch (level) {
    case CpuLevel::Avx512: return avx512Table();
    case CpuLevel::Avx2: return avx2Table();
    default: return baselineTable();
    }
}

const Table &activeTable()
{
    static const Table &t = table(activeCpuLevel());
    return t;
}

} // namespace cwb::quantsimd
