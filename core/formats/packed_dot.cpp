// SPDX-License-Identifier: MIT
#include "formats/packed_dot.h"

#include "util/cpu_features.h"

namespace cwb {

namespace packeddot {

void scalar(const PackedRow &w, const float *x, int64_t xStride, const float *xsum, int nRows,
            float *y, int64_t yStride)
{
    const int64_t groups = w.len / w.group;
    for (int r = 0; r < nRows; ++r) {
        const float *xr = x + r * xStride;
        float acc = 0;
        for (int64_t g = 0; g < groups; ++g) {
            float dot = 0;
            for (int64_t j = g * w.group; j < (g + 1) * w.group; ++j) {
                const unsigned u = w.bits == 8 ? w.codes[j] : (w.codes[j / 2] >> (4 * (j & 1))) & 0xF;
                dot += (w.levels ? w.levels[u] : float(u)) * xr[j];
            }
            acc += w.levels ? w.scale[g] * dot
                            : w.scale[g] * dot - w.scale[g] * w.zero[g] * xsum[r * groups + g];
        }
        y[r * yStride] = acc;
    }
}

} // namespace packeddot

PackedDotFn packedDotKernel(CpuLevel level)
{
    switch (level) {
    case CpuLevel::Avx512: return packeddot::avx512;
    case CpuLevel::Avx2Vnni:
    case CpuLevel::Avx2: return packeddot::avx2;
    default: return packeddot::scalar;
    }
}

PackedDotFn packedDotKernel()
{
    static const PackedDotFn f = packedDotKernel(activeCpuLevel());
    return f;
}

} // namespace cwb
