// SPDX-License-Identifier: MIT
#pragma once
// Which ggml legacy block holds one of our integer grids bit for bit: the one rule that both the
// method registry (methods/int_grid.cpp, ExportForms::gguf, from a plan's parameters) and the
// GGUF export (export/ggml_repack.cpp, from a stored QuantizedTensor) apply. ggml's Q4_0 / Q5_0 /
// Q8_0 decode (q - 2^(b-1)) * d with an fp16 d per 32 weights; our symmetric grid's codes u and
// fp16 scale s give (u - 2^(b-1)) * s, the same products. Asymmetric grids are not Q4_1 / Q5_1:
// those store an fp16 minimum, not a zero point times the scale.

#include "formats/dtype.h"

#include <cstdint>
#include <optional>

namespace cwb {

// Q4_0, Q5_0 or Q8_0 for a symmetric 4-, 5- or 8-bit grid in groups of 32 with fp16 scales;
// nullopt for every other grid.
[[nodiscard]] inline std::optional<DType> ggmlBlockTypeOfIntGrid(int64_t bits, bool symmetric,
                                                                 int64_t group, bool f16Scales)
{
    if (!symmetric || !f16Scales || group != 32)
        return std::nullopt;
    switch (bits) {
    case 4: return DType::Q4_0;
    case 5: return DType::Q5_0;
    case 8: return DType::Q8_0;
    default: return std::nullopt;
    }
}

// Q4_1 or Q5_1 for an asymmetric 4- or 5-bit grid in groups of 32 with fp16 scales: the same
// codes and scale, the block minimum -s*zero rounded to fp16 (export/ggml_repack.h), so exact
// only where every such product is an fp16 value; nullopt for every other grid.
[[nodiscard]] inline std::optional<DType> ggmlMinimumBlockTypeOfIntGrid(int64_t bits,
                                                                        bool symmetric,
                                                                        int64_t group,
                                                                        bool f16Scales)
{
    if (symmetric || !f16Scales || group != 32)
        return std::nullopt;
    switch (bits) {
    case 4: return DType::Q4_1;
    case 5: return DType::Q5_1;
    default: return std::nullopt;
    }
}

} // namespace cwb
