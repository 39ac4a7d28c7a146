// SPDX-License-Identifier: MIT
#include "formats/quant_simd.h"

#include "util/cpu_level_pick.h"

namespace cwb::quantsimd {

const Table &table(CpuLevel level)
{
    return pickForCpuLevel(level, &baselineTable, &avx2Table, &avx512Table)();
}

const Table &activeTable()
{
    static const Table &t = table(activeCpuLevel());
    return t;
}

} // namespace cwb::quantsimd
