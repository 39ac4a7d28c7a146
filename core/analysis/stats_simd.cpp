// SPDX-License-Identifier: MIT
#include "analysis/stats_simd.h"

#include "util/cpu_level_pick.h"

namespace cwb::stats {

const SimdTable &simdTable(CpuLevel level)
{
    return pickForCpuLevel(level, &baselineSimdTable, &avx2SimdTable, &avx512SimdTable)();
}

const SimdTable &activeSimdTable()
{
    static const SimdTable &table = simdTable(activeCpuLevel());
    return table;
}

} // namespace cwb::stats
