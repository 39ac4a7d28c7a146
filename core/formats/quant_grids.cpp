// SPDX-License-Identifier: MIT
#include "formats/quant_grids.h"

#include <algorithm>
#include <cstddef>

namespace cwb {
namespace {

template <size_t N>
std::array<float, N - 1> midpoints(const std::array<float, N> &v)
{
    std::array<float, N - 1> t{};
    for (size_t i = 0; i + 1 < N; ++i)
        t[i] = static_cast<float>((double(v[i]) + double(v[i + 1])) / 2.0);
    return t;
}

// torch.linspace(start, end, steps) for float32 on the CPU: the first half counts up from start,
// the second half down from end, so both ends are exact.
float linspaceAt(float start, float end, int steps, int idx)
{
    const float step = (end - start) / static_cast<float>(steps - 1);
    const float fromStart = step * static_cast<float>(idx);
    const float fromEnd = step * static_cast<float>(steps - idx - 1);
    return idx < steps / 2 ? start + fromStart : end - fromEnd;
}

std::array<float, 256> buildDynamicMap()
{
    std::array<float, 256> map{};
    size_t n = 0;
    constexpr int maxExponentBits = 7;
    const float powers[maxExponentBits] = {1e-6f, 1e-5f, 1e-4f, 1e-3f, 1e-2f, 1e-1f, 1.0f};
    for (int i = 0; i < maxExponentBits; ++i) {
        const int boundaries = (1 << i) + 1; // signed map: 2^(i + 7 - 7) + 1 fraction items
        for (int k = 0; k + 1 < boundaries; ++k) {
            const float lo = linspaceAt(0.1f, 1.0f, boundaries, k);
            const float hi = linspaceAt(0.1f, 1.0f, boundaries, k + 1);
            const float mean = (lo + hi) / 2.0f;
            const float v = powers[i] * mean;
            map[n++] = v;
            map[n++] = -v;
        }
    }
    map[n++] = 0.0f;
    map[n++] = 1.0f;
    std::sort(map.begin(), map.begin() + static_cast<std::ptrdiff_t>(n));
    return map;
}

} // namespace

const std::array<float, 15> &nf4Thresholds()
{
    static const std::array<float, 15> t = midpoints(kNf4Levels);
    return t;
}

const std::array<float, 256> &dynamicMap8()
{
    static const std::array<float, 256> map = buildDynamicMap();
    return map;
}

const std::array<float, 255> &dynamicMap8Thresholds()
{
    static const std::array<float, 255> t = midpoints(dynamicMap8());
    return t;
}

int dynamicMap8ZeroIndex()
{
    static const int index = static_cast<int>(
        std::find(dynamicMap8().begin(), dynamicMap8().end(), 0.0f) - dynamicMap8().begin());
    return index;
}

} // namespace cwb
