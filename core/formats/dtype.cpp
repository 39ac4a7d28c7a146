// SPDX-License-Identifier: MIT
#include "formats/dtype.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace cwb {
namespace {

// Block sizes follow ggml's type_traits table (ggml.c); ids follow ggml.h.
constexpr std::array<DTypeInfo, 36> kInfos{{
    {DType::F64, "F64", 28, 1, 8, true, false},
    {DType::F32, "F32", 0, 1, 4, true, false},
    {DType::F16, "F16", 1, 1, 2, true, false},
    {DType::BF16, "BF16", 30, 1, 2, true, false},
    {DType::F8_E4M3, "F8_E4M3", -1, 1, 1, true, false},
    {DType::F8_E5M2, "F8_E5M2", -1, 1, 1, true, false},
    {DType::I64, "I64", 27, 1, 8, true, false},
    {DType::I32, "I32", 26, 1, 4, true, false},
    {DType::I16, "I16", 25, 1, 2, true, false},
    {DType::I8, "I8", 24, 1, 1, true, false},
    {DType::U8, "U8", -1, 1, 1, true, false},
    {DType::BOOL, "BOOL", -1, 1, 1, true, false},
    {DType::Q4_0, "Q4_0", 2, 32, 18, true, true},
    {DType::Q4_1, "Q4_1", 3, 32, 20, true, true},
    {DType::Q5_0, "Q5_0", 6, 32, 22, true, true},
    {DType::Q5_1, "Q5_1", 7, 32, 24, true, true},
    {DType::Q8_0, "Q8_0", 8, 32, 34, true, true},
    {DType::Q8_1, "Q8_1", 9, 32, 36, true, true},
    {DType::Q2_K, "Q2_K", 10, 256, 84, true, true},
    {DType::Q3_K, "Q3_K", 11, 256, 110, true, true},
    {DType::Q4_K, "Q4_K", 12, 256, 144, true, true},
    {DType::Q5_K, "Q5_K", 13, 256, 176, true, true},
    {DType::Q6_K, "Q6_K", 14, 256, 210, true, true},
    {DType::Q8_K, "Q8_K", 15, 256, 292, true, true},
    {DType::IQ2_XXS, "IQ2_XXS", 16, 256, 66, false, true},
    {DType::IQ2_XS, "IQ2_XS", 17, 256, 74, false, true},
    {DType::IQ3_XXS, "IQ3_XXS", 18, 256, 98, false, true},
    {DType::IQ1_S, "IQ1_S", 19, 256, 50, false, true},
    {DType::IQ4_NL, "IQ4_NL", 20, 32, 18, false, true},
    {DType::IQ3_S, "IQ3_S", 21, 256, 110, false, true},
    {DType::IQ2_S, "IQ2_S", 22, 256, 82, false, true},
    {DType::IQ4_XS, "IQ4_XS", 23, 256, 136, false, true},
    {DType::IQ1_M, "IQ1_M", 29, 256, 56, false, true},
    {DType::TQ1_0, "TQ1_0", 34, 256, 54, false, true},
    {DType::TQ2_0, "TQ2_0", 35, 256, 66, false, true},
    {DType::Unknown, "unknown", -1, 1, 0, false, false},
}};

bool iequals(std::string_view a, std::string_view b)
{
    return a.size() == b.size()
        && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x))
                   == std::tolower(static_cast<unsigned char>(y));
           });
}

} // namespace

const DTypeInfo &dtypeInfo(DType t)
{
    for (const auto &i : kInfos)
        if (i.type == t)
            return i;
    return kInfos.back();
}

std::string_view dtypeName(DType t) { return dtypeInfo(t).name; }

std::optional<DType> dtypeFromGgml(uint32_t ggmlType)
{
    for (const auto &i : kInfos)
        if (i.ggmlType >= 0 && static_cast<uint32_t>(i.ggmlType) == ggmlType)
            return i.type;
    return std::nullopt;
}

std::optional<DType> dtypeFromSafetensors(std::string_view name)
{
    // safetensors spells these exactly; anything else is unknown to us.
    static constexpr std::array<std::pair<std::string_view, DType>, 12> kNames{{
        {"F64", DType::F64}, {"F32", DType::F32}, {"F16", DType::F16}, {"BF16", DType::BF16},
        {"F8_E4M3", DType::F8_E4M3}, {"F8_E5M2", DType::F8_E5M2}, {"I64", DType::I64},
        {"I32", DType::I32}, {"I16", DType::I16}, {"I8", DType::I8}, {"U8", DType::U8},
        {"BOOL", DType::BOOL},
    }};
    for (const auto &[n, t] : kNames)
        if (n == name)
            return t;
    return std::nullopt;
}

std::optional<DType> dtypeFromName(std::string_view name)
{
    for (const auto &i : kInfos)
        if (i.type != DType::Unknown && iequals(i.name, name))
            return i.type;
    return std::nullopt;
}

std::optional<uint64_t> storageBytes(DType t, uint64_t elems)
{
    const auto &i = dtypeInfo(t);
    if (i.blockBytes == 0)
        return std::nullopt;
    if (elems % static_cast<uint64_t>(i.blockElems) != 0)
        return std::nullopt;
    const uint64_t blocks = elems / static_cast<uint64_t>(i.blockElems);
    if (blocks > UINT64_MAX / static_cast<uint64_t>(i.blockBytes))
        return std::nullopt;
    return blocks * static_cast<uint64_t>(i.blockBytes);
}

double bitsPerWeight(DType t)
{
    const auto &i = dtypeInfo(t);
    return i.blockElems > 0 ? 8.0 * i.blockBytes / i.blockElems : 0.0;
}

} // namespace cwb
