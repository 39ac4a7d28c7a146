// SPDX-License-Identifier: MIT
#include "formats/int_dot.h"

#include "util/cpu_features.h"

namespace cwb {
namespace {

const intdot::Table &tableFor(CpuLevel level)
{
    switch (level) {
    case CpuLevel::Avx512: return intdot::avx512Table();
    case CpuLevel::Avx2: return intdot::avx2Table();
    default: return intdot::scalarTable();
    }
}

IntDotFn pick(const intdot::Table &t, DType type)
{
    switch (type) {
    case DType::Q4_0: return t.q4_0;
    case DType::Q4_1: return t.q4_1;
    case DType::Q5_0: return t.q5_0;
    case DType::Q5_1: return t.q5_1;
    case DType::Q8_0: return t.q8_0;
    case DType::Q2_K: return t.q2_k;
    case DType::Q3_K: return t.q3_k;
    case DType::Q4_K: return t.q4_k;
    case DType::Q5_K: return t.q5_k;
    case DType::Q6_K: return t.q6_k;
    default: return nullptr;
    }
}

} // namespace

bool intDotSupported(DType t) { return pick(intdot::scalarTable(), t) != nullptr; }

IntDotFn intDotKernel(DType t, CpuLevel level) { return pick(tableFor(level), t); }

IntDotFn intDotKernel(DType t)
{
    static const intdot::Table &active = tableFor(activeCpuLevel());
    return pick(active, t);
}

} // namespace cwb
