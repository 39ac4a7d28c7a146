// SPDX-License-Identifier: MIT
#pragma once
// Element types of every format we read. Plain types (safetensors, HDF5, GGUF F32/F16/BF16) have
// blockElems == 1; ggml block types store `blockElems` values in `blockBytes` bytes, blocks laid
// along the innermost (row) dimension. ggmlType is the GGUF/ggml type id (ggml.h `enum ggml_type`)
// or -1 where GGUF has no such type.

#include <cstdint>
#include <optional>
#include <string_view>

namespace cwb {

enum class DType : uint8_t {
    F64, F32, F16, BF16, F8_E4M3, F8_E5M2,
    I64, I32, I16, I8, U8, BOOL,
    // ggml block types we can dequantize
    Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K,
    // ggml block types whose layout (size) we know but whose values we do not decode (yet)
    IQ2_XXS, IQ2_XS, IQ3_XXS, IQ1_S, IQ4_NL, IQ3_S, IQ2_S, IQ4_XS, IQ1_M, TQ1_0, TQ2_0,
    Unknown, // a type id we do not know at all: listed, never decoded
};

struct DTypeInfo {
    DType type;
    std::string_view name;   // display name, GGUF spelling for ggml types ("Q4_K", "F16")
    int ggmlType;            // GGUF type id, -1 if none
    int blockElems;          // values per block (1 for plain types)
    int blockBytes;          // bytes per block
    bool decodable;          // we can convert it to float
    bool quantized;          // a ggml block type
};

[[nodiscard]] const DTypeInfo &dtypeInfo(DType t);
[[nodiscard]] std::string_view dtypeName(DType t);
[[nodiscard]] std::optional<DType> dtypeFromGgml(uint32_t ggmlType);
[[nodiscard]] std::optional<DType> dtypeFromSafetensors(std::string_view name);
[[nodiscard]] std::optional<DType> dtypeFromName(std::string_view name); // case-insensitive display name

// Storage bytes of `elems` values; nullopt when elems is not a whole number of blocks or overflows.
[[nodiscard]] std::optional<uint64_t> storageBytes(DType t, uint64_t elems);
// Average stored bits per value (e.g. 4.5 for Q4_0).
[[nodiscard]] double bitsPerWeight(DType t);

} // namespace cwb
