// SPDX-License-Identifier: MIT
#include "export/ggml_repack.h"

#include "formats/ggml_int_grid.h"
#include "util/error.h"

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

std::vector<std::byte> repackAsGgml(const QuantizedTensor &q, DType type)
{
    if (exactGgmlTypeOf(q) != type)
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
            uint32_t u[32];
            for (int j = 0; j < 32; ++j)
                u[j] = q.codeAt(r, b * 32 + j);
            if (type == DType::Q8_0) {
                for (int j = 0; j < 32; ++j)
                    block[2 + j] = std::byte(uint8_t(int8_t(int(u[j]) - 128)));
                continue;
            }
            std::byte *qs = block + (type == DType::Q5_0 ? 6 : 2);
            for (int j = 0; j < 16; ++j)
                qs[j] = std::byte(uint8_t((u[j] & 0xF) | ((u[j + 16] & 0xF) << 4)));
            if (type == DType::Q5_0) {
                uint32_t qh = 0;
                for (int j = 0; j < 32; ++j)
                    qh |= ((u[j] >> 4) & 1u) << j;
                std::memcpy(block + 2, &qh, 4);
            }
        }
    return out;
}

} // namespace cwb
