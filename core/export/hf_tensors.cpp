// SPDX-License-Identifier: MIT
#include "export/hf_tensors.h"

#include "export/engine_values.h"
#include "formats/float_formats.h"
#include "model/architecture.h"
#include "model/canonical_name.h"
#include "util/error.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <limits>

namespace cwb {
namespace {

constexpr std::array<std::string_view, 9> kLinearRoles{
    "attn.q", "attn.k", "attn.v", "attn.o", "attn.qkv",
    "mlp.gate", "mlp.up", "mlp.down", "mlp.gate_up"};

bool isLinear(std::string_view canonical)
{
    if (canonical == "head")
        return true;
    const auto split = splitLayerTensorName(canonical);
    return split && std::find(kLinearRoles.begin(), kLinearRoles.end(), split->role)
                        != kLinearRoles.end();
}

// Heads of a Q or K weight or bias; 0 for every other tensor.
int64_t ropeHeadsOf(std::string_view canonical, const HyperParams &h)
{
    const auto split = splitLayerTensorName(canonical);
    if (!split)
        return 0;
    if (split->role == "attn.q" || split->role == "attn.q.bias")
        return h.nHeads;
    if (split->role == "attn.k" || split->role == "attn.k.bias")
        return h.nKvHeads > 0 ? h.nKvHeads : h.nHeads;
    return 0;
}

std::string lower(std::string s)
{
    for (auto &c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

template <typename T>
std::vector<T> permuteRows(const HfTensor &t, int64_t headDim, std::vector<T> in,
                           size_t unitsPerRow)
{
    if (t.ropeHeads <= 0)
        return in;
    const int64_t rows = t.ropeHeads * headDim;
    if (headDim <= 0 || headDim % 2 != 0 || in.size() != size_t(rows) * unitsPerRow)
        throwIn(t.tensor->name, "its "
                                    + std::to_string(in.size() / std::max<size_t>(1, unitsPerRow))
                                    + " rows do not form " + std::to_string(t.ropeHeads)
                                    + " heads of " + std::to_string(headDim) + " (even) rows");
    const std::vector<int64_t> from = halfSplitRowSources(t.ropeHeads, headDim);
    std::vector<T> out(in.size());
    for (int64_t r = 0; r < rows; ++r)
        std::memcpy(out.data() + size_t(r) * unitsPerRow,
                    in.data() + size_t(from[size_t(r)]) * unitsPerRow, unitsPerRow * sizeof(T));
    return out;
}

} // namespace

HfTensorList hfTensorList(const Model &m, const CompressedModel *archive, std::string_view target)
{
    const std::string who(target);
    if (m.family != ArchFamily::Llama)
        throwIn(m.path, "architecture '" + m.architecture + "' is not llama-family; the " + who
                            + " writes Hugging Face Llama directories only");
    if (m.format == ModelFormat::Gguf && lower(m.architecture) != "llama")
        throwIn(m.path, "GGUF architecture '" + m.architecture + "': the " + who
                            + " converts GGUF's \"llama\" architecture (LlamaForCausalLM) only");
    if (m.rope != RopeLayout::Interleaved && m.rope != RopeLayout::HalfSplit)
        throwIn(m.path, "the RoPE layout of its Q/K rows is unknown");

    HfTensorList list;
    const bool interleaved = m.rope == RopeLayout::Interleaved;
    for (const Tensor &t : m.tensors) {
        if (t.canonical.empty()) {
            list.notes.push_back("not exported: " + t.name + " (no role in a Llama model)");
            continue;
        }
        HfTensor h;
        h.tensor = &t;
        h.compressed = archive ? archive->find(t.canonical) : nullptr;
        if (t.canonical == "head" && !t.tiedTo.empty() && !h.compressed) {
            list.notes.push_back("no lm_head.weight: " + t.name + " is a copy of " + t.tiedTo
                                 + " (tie_word_embeddings)");
            continue;
        }
        h.name = hfLlamaTensorName(t.canonical);
        if (h.name.empty())
            throwIn(m.path, "tensor " + t.name + " (" + t.canonical
                                + ") has no Hugging Face Llama name; the " + who
                                + " cannot write it");
        h.module = h.name.substr(0, h.name.rfind('.'));
        h.linear = isLinear(t.canonical);
        if (interleaved)
            h.ropeHeads = ropeHeadsOf(t.canonical, m.hparams);
        if (t.canonical == "head")
            list.tiedHead = false;
        list.tensors.push_back(std::move(h));
    }
    // Layer by layer, as HF checkpoints list them (llama2.c groups its tensors by kind).
    const auto rank = [](const HfTensor &t) {
        const int64_t layer = canonicalLayerIndex(t.tensor->canonical);
        if (layer >= 0)
            return layer;
        return t.tensor->canonical == "embed" ? int64_t(-1) : std::numeric_limits<int64_t>::max();
    };
    std::stable_sort(list.tensors.begin(), list.tensors.end(),
                     [&](const HfTensor &a, const HfTensor &b) { return rank(a) < rank(b); });
    if (interleaved)
        list.notes.push_back("Q/K rows permuted from the interleaved RoPE order of " + m.path
                             + " into Hugging Face's rotate_half order");
    return list;
}

std::vector<int64_t> halfSplitRowSources(int64_t heads, int64_t headDim)
{
    std::vector<int64_t> from(size_t(heads * headDim));
    const int64_t half = headDim / 2;
    for (int64_t h = 0; h < heads; ++h)
        for (int64_t i = 0; i < 2; ++i)
            for (int64_t j = 0; j < half; ++j)
                from[size_t(h * headDim + i * half + j)] = h * headDim + 2 * j + i;
    return from;
}

std::vector<std::byte> toHfRowOrder(const HfTensor &t, int64_t headDim, std::vector<std::byte> rows)
{
    const size_t n = rows.size();
    const int64_t count = t.ropeHeads * headDim;
    return permuteRows(t, headDim, std::move(rows), count > 0 ? n / size_t(count) : n);
}

std::vector<float> toHfRowOrder(const HfTensor &t, int64_t headDim, std::vector<float> rows)
{
    const size_t n = rows.size();
    const int64_t count = t.ropeHeads * headDim;
    return permuteRows(t, headDim, std::move(rows), count > 0 ? n / size_t(count) : n);
}

std::vector<float> hfValues(const HfTensor &t, int64_t headDim)
{
    return toHfRowOrder(t, headDim,
                        t.compressed ? engineValues(*t.compressed) : t.tensor->toFloat());
}

std::vector<std::byte> floatBytes(const std::vector<float> &values, DType type)
{
    std::vector<std::byte> out;
    if (type == DType::F32) {
        out.resize(values.size() * 4);
        std::memcpy(out.data(), values.data(), out.size());
        return out;
    }
    if (type != DType::F16 && type != DType::BF16)
        throw Error("floatBytes: " + std::string(dtypeName(type)) + " is not F32, F16 or BF16");
    out.resize(values.size() * 2);
    for (size_t i = 0; i < values.size(); ++i) {
        const uint16_t h = type == DType::F16 ? floatToFp16(values[i]) : floatToBf16(values[i]);
        std::memcpy(out.data() + 2 * i, &h, 2);
    }
    return out;
}

std::string hfSourceLabel(const HfTensor &t)
{
    if (!t.compressed)
        return t.tensor->typeLabel();
    const CompressedTensor &ct = *t.compressed;
    std::string label = ct.weight ? ct.weight->describe()
                                  : "rank " + std::to_string(ct.factorA ? ct.factorA->cols : 0)
                                        + " factors";
    if (ct.mask)
        label += ", pruned";
    return label + " (archive)";
}

} // namespace cwb
