// SPDX-License-Identifier: MIT
#include "formats/int_dot.h"

#include "util/cpu_features.h"

#include <cstring>

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

namespace {
constexpr int64_t kQ4_0BlockBytes = 18;
constexpr int64_t kQ4_0GroupBlockBytes = kInterleavedRows * kQ4_0BlockBytes;
} // namespace

void interleaveQ4_0Rows(const std::byte *rows, int64_t rowBytes, int64_t len, std::byte *group)
{
    const int64_t nb = len / 32;
    for (int64_t b = 0; b < nb; ++b) {
        std::byte *out = group + b * kQ4_0GroupBlockBytes;
        for (int j = 0; j < kInterleavedRows; ++j)
            std::memcpy(out + 2 * j, rows + kQ4_0x8LaneRows[j] * rowBytes + b * kQ4_0BlockBytes, 2);
        for (int k = 0; k < kInterleavedRows; ++k)
            std::memcpy(out + 16 + 16 * k, rows + k * rowBytes + b * kQ4_0BlockBytes + 2, 16);
    }
}

void deinterleaveQ4_0Row(const std::byte *group, int64_t len, int k, std::byte *row)
{
    int lane = 0;
    while (kQ4_0x8LaneRows[lane] != k)
        ++lane;
    const int64_t nb = len / 32;
    for (int64_t b = 0; b < nb; ++b) {
        const std::byte *in = group + b * kQ4_0GroupBlockBytes;
        std::memcpy(row + b * kQ4_0BlockBytes, in + 2 * lane, 2);
        std::memcpy(row + b * kQ4_0BlockBytes + 2, in + 16 + 16 * k, 16);
    }
}

IntDotGroupFn intDotGroupKernel(DType t, CpuLevel level)
{
    return t == DType::Q4_0 ? tableFor(level).q4_0x8 : nullptr;
}

IntDotGroupFn intDotGroupKernel(DType t)
{
    static const CpuLevel level = activeCpuLevel();
    return level == CpuLevel::Scalar ? nullptr : intDotGroupKernel(t, level);
}

} // namespace cwb
