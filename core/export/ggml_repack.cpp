// SPDX-License-Identifier: MIT
#include "export/ggml_repack.h"

#include "formats/float_formats.h"
#include "formats/ggml_int_grid.h"
#include "util/error.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <variant>

namespace cwb {

std::optional<DType> exactGgmlTypeOf(const QuantizedTensor &q)
{
    const auto *rtn = std::get_if<RtnParams>(&q.params);
    if (!rtn || q.packing != CodePacking::Bits || q.hasTensorScale || q.cols % 32 != 0)
        return std::nullopt;
    return ggmlBlockTypeOfIntGrid(q.codeBits, rtn->symmetric, q.groupSize,
                                  q.scaleType == ScaleType::F16);
}

namespace {

// The block minimum -s zero of scale entry i, as an fp16 bit pattern.
uint16_t blockMinimum(const QuantizedTensor &q, int64_t i)
{
    // s is an fp16 value and zero < 64: the product is exact in float, then rounded once.
    return floatToFp16(-q.scaleAt(i) * float(q.zeroAt(i)));
}

bool isAsymmetricGroup32(const QuantizedTensor &q)
{
    const auto *rtn = std::get_if<RtnParams>(&q.params);
    return rtn && !rtn->symmetric && q.packing == CodePacking::Bits && !q.hasTensorScale
        && q.groupSize == 32 && q.cols % 32 == 0 && q.scaleType == ScaleType::F16
        && (q.codeBits == 4 || q.codeBits == 5);
}

} // namespace

std::optional<DType> minimumGgmlTypeOf(const QuantizedTensor &q)
{
    if (!isAsymmetricGroup32(q))
        return std::nullopt;
    for (int64_t i = 0; i < q.scaleCount(); ++i)
        if (!std::isfinite(fp16ToFloat(blockMinimum(q, i))))
            return std::nullopt;
    return q.codeBits == 4 ? DType::Q4_1 : DType::Q5_1;
}

std::vector<std::byte> repackAsGgml(const QuantizedTensor &q, DType type)
{
    const bool withMinimum = type == DType::Q4_1 || type == DType::Q5_1;
    if ((withMinimum ? minimumGgmlTypeOf(q) : exactGgmlTypeOf(q)) != type)
        throw Error("GGUF export: " + q.method + " codes are not " + std::string(dtypeName(type)));
    const int64_t blocksPerRow = q.cols / 32;
    const size_t blockBytes = size_t(dtypeInfo(type).blockBytes);
    std::vector<std::byte> out(size_t(q.rows * blocksPerRow) * blockBytes);
    for (int64_t r = 0; r < q.rows; ++r)
        for (int64_t b = 0; b < blocksPerRow; ++b) {
            std::byte *block = out.data() + size_t(r * blocksPerRow + b) * blockBytes;
            // The fp16 scale's bits as stored (row-major over groups of 32).
            const size_t group = size_t((r * q.cols) / 32 + b);
            std::memcpy(block, q.scales.data() + 2 * group, 2);
            const size_t head = withMinimum ? 4 : 2; // d, and m for the types with a minimum
            if (withMinimum) {
                const uint16_t m = blockMinimum(q, int64_t(group));
                std::memcpy(block + 2, &m, 2);
            }
            uint32_t u[32];
            for (int j = 0; j < 32; ++j)
                u[j] = q.codeAt(r, b * 32 + j);
            if (type == DType::Q8_0) {
                for (int j = 0; j < 32; ++j)
                    block[2 + j] = std::byte(uint8_t(int8_t(int(u[j]) - 128)));
                continue;
            }
            const bool fiveBit = type == DType::Q5_0 || type == DType::Q5_1;
            std::byte *qs = block + head + (fiveBit ? 4 : 0);
            for (int j = 0; j < 16; ++j)
                qs[j] = std::byte(uint8_t((u[j] & 0xF) | ((u[j + 16] & 0xF) << 4)));
            if (fiveBit) {
                uint32_t qh = 0;
                for (int j = 0; j < 32; ++j)
                    qh |= ((u[j] >> 4) & 1u) << j;
                std::memcpy(block + head, &qh, 4);
            }
        }
    return out;
}

} // namespace cwb
