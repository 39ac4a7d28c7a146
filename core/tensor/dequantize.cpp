// SPDX-License-Identifier: MIT
#include "tensor/dequantize.h"

#include "formats/float_formats.h"
#include "formats/ggml_dequant.h"
#include "formats/quant_simd.h"
#include "util/error.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include <cstring>
#include <string>

namespace cwb {
namespace {

template <typename T>
T load(const std::byte *p)
{
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

template <typename T, typename F>
void convertPlain(const std::byte *src, float *dst, int64_t n, F f)
{
    for (int64_t i = 0; i < n; ++i)
        dst[i] = f(load<T>(src + i * static_cast<int64_t>(sizeof(T))));
}

} // namespace

void convertRowReference(DType t, const std::byte *src, float *dst, int64_t n)
{
    // An empty tensor (a zero dimension) has null buffers; memcpy must not see them.
    if (n <= 0)
        return;
    switch (t) {
    case DType::F32: std::memcpy(dst, src, static_cast<size_t>(n) * 4); return;
    case DType::F64: convertPlain<double>(src, dst, n, [](double v) { return static_cast<float>(v); }); return;
    // The half types through the per-level loops (formats/quant_simd.h): same values as
    // fp16ToFloat / bf16ToFloat, 8 or 16 at a time.
    case DType::F16: quantsimd::activeTable().f16ToFloat(src, n, dst); return;
    case DType::BF16: quantsimd::activeTable().bf16ToFloat(src, n, dst); return;
    case DType::F8_E4M3: convertPlain<uint8_t>(src, dst, n, [](uint8_t v) { return fp8E4M3ToFloat(v); }); return;
    case DType::F8_E5M2: convertPlain<uint8_t>(src, dst, n, [](uint8_t v) { return fp8E5M2ToFloat(v); }); return;
    case DType::I64: convertPlain<int64_t>(src, dst, n, [](int64_t v) { return static_cast<float>(v); }); return;
    case DType::I32: convertPlain<int32_t>(src, dst, n, [](int32_t v) { return static_cast<float>(v); }); return;
    case DType::I16: convertPlain<int16_t>(src, dst, n, [](int16_t v) { return static_cast<float>(v); }); return;
    case DType::I8: convertPlain<int8_t>(src, dst, n, [](int8_t v) { return static_cast<float>(v); }); return;
    case DType::U8: convertPlain<uint8_t>(src, dst, n, [](uint8_t v) { return static_cast<float>(v); }); return;
    case DType::BOOL: convertPlain<uint8_t>(src, dst, n, [](uint8_t v) { return v ? 1.0f : 0.0f; }); return;
    default: break;
    }
    const auto &info = dtypeInfo(t);
    if (!info.quantized || !info.decodable)
        throw Error("no decoder for type " + std::string(info.name));
    ggmlDequantizeRow(t, src, dst, n);
}

void convertToFloat(DType t, std::span<const std::byte> src, std::span<float> dst)
{
    const auto &info = dtypeInfo(t);
    const auto need = storageBytes(t, dst.size());
    if (!need || *need != src.size())
        throw Error("convertToFloat: " + std::to_string(src.size()) + " bytes do not hold "
                    + std::to_string(dst.size()) + " values of type " + std::string(info.name));
    const int64_t blocks = static_cast<int64_t>(dst.size()) / info.blockElems;
    // ~64K values per task: big enough to amortise scheduling, small enough to balance.
    const int64_t grain = std::max<int64_t>(1, (1 << 16) / info.blockElems);
    if (blocks <= grain) {
        convertRowReference(t, src.data(), dst.data(), static_cast<int64_t>(dst.size()));
        return;
    }
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, blocks, grain), [&](const auto &r) {
        const int64_t b0 = r.begin(), nb = r.end() - r.begin();
        convertRowReference(t, src.data() + b0 * info.blockBytes, dst.data() + b0 * info.blockElems,
                            nb * info.blockElems);
    });
}

} // namespace cwb
