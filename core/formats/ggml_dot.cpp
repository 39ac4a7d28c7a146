// SPDX-License-Identifier: MIT
// The kernels are in ggml_dot_simd.inc, compiled once per level (here, kernels_avx2.cpp,
// kernels_avx512.cpp); the level is picked once, at the first call.

#include "formats/ggml_dot.h"

#include "util/cpu_features.h"
#include "util/error.h"

#include <cstring>
#include <string>

#include "formats/ggml_dot_simd.inc"

namespace cwb {
namespace {

using KernelFn = float (*)(DType, const std::byte *, const float *, int64_t);

// The baseline level: the kernels as this file is compiled (SSE2 unless CWB_NATIVE).
float baseline(DType t, const std::byte *row, const float *x, int64_t n)
{
    return floatdot::ggmlDotLevel(t, reinterpret_cast<const unsigned char *>(row), x, n);
}

KernelFn kernelFor(CpuLevel level)
{
    switch (level) {
    case CpuLevel::Avx512: return ggmldot::avx512;
    case CpuLevel::Avx2Vnni:
    case CpuLevel::Avx2: return ggmldot::avx2;
    default: return baseline;
    }
}

} // namespace

bool ggmlDotSupported(DType t)
{
    switch (t) {
    case DType::Q4_0:
    case DType::Q4_1:
    case DType::Q5_0:
    case DType::Q5_1:
    case DType::Q8_0:
    case DType::Q4_K:
    case DType::Q6_K: return true;
    default: return false;
    }
}

float ggmlDot(DType t, const std::byte *row, const float *x, int64_t n)
{
    const bool kQuant = t == DType::Q4_K || t == DType::Q6_K;
    const int64_t block = kQuant ? 256 : 32;
    if (!ggmlDotSupported(t) || n % block != 0)
        throw Error("ggmlDot: no fused kernel for " + std::to_string(n) + " values of type "
                    + std::string(dtypeName(t)));
    static const KernelFn active = kernelFor(activeCpuLevel());
    return active(t, row, x, n);
}

float ggmlDot(DType t, const std::byte *row, const float *x, int64_t n, CpuLevel level)
{
    if (!ggmlDotSupported(t) || n % (t == DType::Q4_K || t == DType::Q6_K ? 256 : 32) != 0)
        return ggmlDot(t, row, x, n); // reports the error
    return kernelFor(level)(t, row, x, n);
}

} // namespace cwb
