// SPDX-License-Identifier: MIT
#include "formats/int_dot.h"

#include "util/cpu_level_pick.h"
#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

namespace cwb {
namespace {

const intdot::Table &tableFor(CpuLevel level)
{
    if (level == CpuLevel::Avx2Vnni) // the one kernel set with an AVX-VNNI variant
        return intdot::avx2vnniTable();
    return pickForCpuLevel(level, &intdot::scalarTable, &intdot::avx2Table,
                           &intdot::avx512Table)();
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

// Block bytes and quant bytes (after the fp16 scale) of the interleavable types.
struct BlockShape {
    int64_t bytes;
    int64_t quants;
};

BlockShape interleavedShape(DType t)
{
    switch (t) {
    case DType::Q4_0: return {18, 16};
    case DType::Q8_0: return {34, 32};
    default: return {0, 0};
    }
}

} // namespace

bool interleavable(DType t) { return interleavedShape(t).bytes != 0; }

void interleaveRows(DType t, const std::byte *rows, int64_t rowBytes, int64_t len,
                    std::byte *group)
{
    const BlockShape s = interleavedShape(t);
    const int64_t nb = len / 32;
    for (int64_t b = 0; b < nb; ++b) {
        std::byte *out = group + b * kInterleavedRows * s.bytes;
        for (int j = 0; j < kInterleavedRows; ++j)
            std::memcpy(out + 2 * j, rows + kInterleavedLaneRows[j] * rowBytes + b * s.bytes, 2);
        out += 2 * kInterleavedRows;
        for (int p = 0; p < kInterleavedRows / 2; ++p)
            for (int64_t c = 0; c < s.quants / 16; ++c)
                for (int k = 2 * p; k < 2 * p + 2; ++k, out += 16)
                    std::memcpy(out, rows + k * rowBytes + b * s.bytes + 2 + 16 * c, 16);
    }
}

void deinterleaveRow(DType t, const std::byte *group, int64_t len, int k, std::byte *row)
{
    const BlockShape s = interleavedShape(t);
    int lane = 0;
    while (kInterleavedLaneRows[lane] != k)
        ++lane;
    const int64_t nb = len / 32;
    const int64_t pairBytes = 2 * s.quants;
    for (int64_t b = 0; b < nb; ++b) {
        const std::byte *in = group + b * kInterleavedRows * s.bytes;
        std::memcpy(row + b * s.bytes, in + 2 * lane, 2);
        const std::byte *pair = in + 2 * kInterleavedRows + (k / 2) * pairBytes;
        for (int64_t c = 0; c < s.quants / 16; ++c)
            std::memcpy(row + b * s.bytes + 2 + 16 * c, pair + 32 * c + 16 * (k % 2), 16);
    }
}

IntDotGroupFn intDotGroupKernel(DType t, CpuLevel level)
{
    switch (t) {
    case DType::Q4_0: return tableFor(level).q4_0x8;
    case DType::Q8_0: return tableFor(level).q8_0x8;
    default: return nullptr;
    }
}

PackedGroupFn packedGroupKernel(int bits, CpuLevel level)
{
    const intdot::Table &t = tableFor(level);
    return bits == 2 ? t.packed2x8 : bits == 4 ? t.packed4x8 : bits == 8 ? t.packed8x8 : nullptr;
}

PackedGroupFn packedGroupKernel(int bits)
{
    static const CpuLevel level = activeCpuLevel();
    return level == CpuLevel::Scalar ? nullptr : packedGroupKernel(bits, level);
}

LevelCodes makeLevelCodes(const float *levels)
{
    double lowest = 0, highest = 0;
    for (int u = 0; u < 16; ++u) {
        if (!std::isfinite(levels[u]))
            throw Error("level " + std::to_string(u) + " is not finite");
        lowest = std::min(lowest, double(levels[u]));
        highest = std::max(highest, double(levels[u]));
    }
    const auto integersAt = [&](double steps) {
        for (int u = 0; u < 16; ++u)
            if (double(levels[u]) * steps != std::nearbyint(double(levels[u]) * steps))
                return false;
        return (highest - lowest) * steps <= 127;
    };
    double steps = 0;
    for (int k = 0; k <= 6 && steps == 0; ++k)
        if (integersAt(std::ldexp(1.0, k)))
            steps = std::ldexp(1.0, k);
    // Otherwise c just below 127 / span: the span times c is below 127, and rounding widens a
    // span by less than one step, so the integers span at most 127.
    if (steps == 0)
        steps = highest > lowest ? 127.0 / (highest - lowest) * (1 - 1e-9) : 1.0;
    LevelCodes c{};
    int integer[16], low = 0;
    for (int u = 0; u < 16; ++u) {
        integer[u] = int(std::lround(double(levels[u]) * steps));
        low = std::min(low, integer[u]);
    }
    c.offset = -low;
    c.unit = float(1.0 / steps);
    for (int u = 0; u < 16; ++u)
        c.value[u] = uint8_t(integer[u] - low);
    return c;
}

PackedLevelGroupFn packedLevelGroupKernel(CpuLevel level)
{
    return tableFor(level).levels4x8;
}

PackedLevelGroupFn packedLevelGroupKernel()
{
    static const CpuLevel level = activeCpuLevel();
    return level == CpuLevel::Scalar ? nullptr : packedLevelGroupKernel(level);
}

IntDotGroupFn intDotGroupKernel(DType t)
{
    static const CpuLevel level = activeCpuLevel();
    return level == CpuLevel::Scalar ? nullptr : intDotGroupKernel(t, level);
}

void halfBlockSums(const Q8View &x, int64_t rows, int16_t *out)
{
    const int64_t halves = rows * (x.len / 16);
    for (int64_t h = 0; h < halves; ++h) {
        int sum = 0;
        for (int j = 0; j < 16; ++j)
            sum += x.qs[h * 16 + j];
        out[h] = int16_t(sum);
    }
}

PackedHalfBlockLevelFn packedHalfBlockLevelKernel(CpuLevel level)
{
    return tableFor(level).halfLevels4x8;
}

PackedHalfBlockLevelFn packedHalfBlockLevelKernel()
{
    static const CpuLevel level = activeCpuLevel();
    return level == CpuLevel::Scalar ? nullptr : packedHalfBlockLevelKernel(level);
}

} // namespace cwb
