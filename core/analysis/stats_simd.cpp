// SPDX-License-Identifier: MIT
#include "analysis/stats_simd.h"

#include "util/cpu_features.h"

namespace cwb::stats {

const SimdTable &simdTable(CpuLevel level)
{
    switch (level) {
    case CpuLevel::Avx512: return avx512SimdTable();
    case CpuLevel::Avx2: return avx2SimdTable();
    default: return baselineSimdTable();
    }
}

const SimdTable &activeSimdTable()
{
    static const SimdTable &table = simdTable(activeCpuLevel());
    return table;
}

} // namespace cwb::stats
