// SPDX-License-Identifier: MIT
#include "recipe/llama_mixture.h"

#include "model/canonical_name.h"
#include "recipe/name_match.h"
#include "util/error.h"

#include <algorithm>
#include <cctype>
#include <optional>

namespace cwb {
namespace {

enum class Kind { Pure, KM };

struct Mixture {
    Kind kind = Kind::Pure;
    DType base = DType::Q4_K;
    DType fusedQkv = DType::Q5_K; // KM: attn.qkv
    std::string name;
};

std::string upper(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return char(std::toupper(c)); });
    return out;
}

Mixture mixtureOf(std::string_view name)
{
    const std::string u = upper(name);
    if (u == "Q4_K_M")
        return {Kind::KM, DType::Q4_K, DType::Q5_K, u};
    if (u == "Q5_K_M")
        return {Kind::KM, DType::Q5_K, DType::Q6_K, u};
    for (const DType t : {DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1, DType::Q8_0,
                          DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K})
        if (u == dtypeName(t))
            return {Kind::Pure, t, t, "pure " + u};
    throw Error("unknown llama.cpp mixture \"" + std::string(name)
                + "\" (Q4_K_M, Q5_K_M, or a ggml type for a pure mixture: Q4_0 ... Q6_K)");
}

bool useMoreBits(int64_t i, int64_t n)
{
    return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

std::optional<DType> fallbackOf(DType t)
{
    switch (t) {
    case DType::Q2_K:
    case DType::Q3_K: return DType::Q4_0;
    case DType::Q4_K: return DType::Q5_0;
    case DType::Q5_K: return DType::Q5_1;
    case DType::Q6_K: return DType::Q8_0;
    default: return std::nullopt;
    }
}

bool fits(DType t, int64_t cols)
{
    return cols % dtypeInfo(t).blockElems == 0;
}

// The type and why, before the shape fallback.
std::pair<DType, std::string> chosenType(const Mixture &m, const Tensor &t, bool tied,
                                         int64_t layers)
{
    if (m.kind == Kind::Pure)
        return {m.base, m.name};
    const std::string &c = t.canonical;
    const bool output = c == "head" || (tied && c == "embed");
    if (output) {
        if (!fits(m.base, t.rowLength()))
            return {DType::Q8_0, m.name + ": output, rows not whole "
                                     + std::string(dtypeName(m.base)) + " blocks"};
        return {DType::Q6_K, m.name + ": output" + std::string(tied ? " (tied embedding)" : "")};
    }
    const auto split = splitLayerTensorName(c);
    if (split && split->role == "attn.v" && useMoreBits(split->layer, layers))
        return {DType::Q6_K, m.name + ": attn_v, use_more_bits"};
    if (split && split->role == "attn.qkv")
        return {m.fusedQkv, m.name + ": fused attn_qkv"};
    if (split && split->role == "mlp.down" && useMoreBits(split->layer, layers))
        return {DType::Q6_K, m.name + ": ffn_down, use_more_bits"};
    return {m.base, m.name};
}

} // namespace

Recipe llamaCppMixture(const Model &model, std::string_view name)
{
    const Mixture m = mixtureOf(name);
    const bool tied = !model.findTensor("head");
    Recipe r;
    r.source = "llama.cpp " + m.name;
    r.name = "llama.cpp " + m.name + " (llama-quant.cpp rules of c392e509, no imatrix)";
    for (const Tensor &t : model.tensors) {
        if (!isMatrix(t) || t.canonical.empty())
            continue;
        auto [type, why] = chosenType(m, t, tied, model.hparams.nLayers);
        const int64_t cols = t.rowLength();
        if (!fits(type, cols)) {
            const std::string from(dtypeName(type));
            const auto fallback = fallbackOf(type);
            type = fallback && fits(*fallback, cols) ? *fallback : DType::F16;
            why += "; row length " + std::to_string(cols) + " is not whole " + from
                   + " blocks: falls back to " + std::string(dtypeName(type));
        }
        const std::string method(methodStoringType(type));
        if (method.empty())
            throw Error("no registered method stores " + std::string(dtypeName(type)));
        r.overrides.push_back({t.canonical, {MethodEntry{method, MethodSlot::Quantize, {}, {}}},
                               why});
    }
    return r;
}

} // namespace cwb
