// SPDX-License-Identifier: MIT
// The architecture adapter. Name tables per naming convention (Hugging Face Llama-style and GPT-2,
// GGUF, llama2.c, Keras); the family only decides RoPE layout and hyper-parameter defaults.
//
// Tie detection: `head` is tied to `embed` when dtype, shape and bytes are equal. Tensors up to
// 256 MB are compared in full; larger ones on 64 evenly spaced 4 KiB pages (first and last
// included), which touches 256 KiB instead of gigabytes while opening — a converter's copy is
// byte-identical everywhere, and two independently trained matrices differ on every page.

#include "model/architecture.h"

#include "model/canonical_name.h"
#include "util/error.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <optional>
#include <string_view>

namespace cwb {
namespace {

constexpr uint64_t kFullCompareLimit = 256ull << 20;
constexpr uint64_t kSamplePageBytes = 4096;
constexpr int kSamplePages = 64;

std::string lower(std::string_view s)
{
    std::string out(s);
    for (auto &c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Strips `prefix` from `s`, returning whether it was there.
bool eat(std::string_view &s, std::string_view prefix)
{
    if (!s.starts_with(prefix))
        return false;
    s.remove_prefix(prefix.size());
    return true;
}

// Reads "N." (a layer index followed by a dot) from the front of an original name's `s`.
std::optional<int64_t> eatLayer(std::string_view &s)
{
    int64_t n = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || p == s.data() || n < 0 || p == s.data() + s.size() || *p != '.')
        return std::nullopt;
    s.remove_prefix(static_cast<size_t>(p - s.data()) + 1);
    return n;
}

// "weight" -> "", "bias" -> ".bias", anything else -> nullopt.
std::optional<std::string> paramSuffix(std::string_view s)
{
    if (s == "weight")
        return std::string();
    if (s == "bias")
        return std::string(".bias");
    return std::nullopt;
}

struct Role {
    std::string_view from;
    std::string_view to;
};

// Looks `rest` ("self_attn.q_proj.weight") up in `table` (keyed without the .weight/.bias).
std::string mapRole(std::string_view rest, std::span<const Role> table, const std::string &prefix)
{
    const auto dot = rest.rfind('.');
    if (dot == std::string_view::npos)
        return {};
    const auto suffix = paramSuffix(rest.substr(dot + 1));
    if (!suffix)
        return {};
    const auto stem = rest.substr(0, dot);
    for (const auto &r : table)
        if (r.from == stem)
            return prefix + std::string(r.to) + *suffix;
    return {};
}

constexpr std::array<Role, 11> kHfLayer{{
    {"self_attn.q_proj", "attn.q"},
    {"self_attn.k_proj", "attn.k"},
    {"self_attn.v_proj", "attn.v"},
    {"self_attn.o_proj", "attn.o"},
    {"mlp.gate_proj", "mlp.gate"},
    {"mlp.up_proj", "mlp.up"},
    {"mlp.down_proj", "mlp.down"},
    {"input_layernorm", "attn_norm"},
    {"post_attention_layernorm", "mlp_norm"},
    {"self_attn.qkv_proj", "attn.qkv"},
    {"mlp.gate_up_proj", "mlp.gate_up"}, // Phi-3's fused projections
}};
constexpr std::array<Role, 3> kHfGlobal{
    {{"model.embed_tokens", "embed"}, {"model.norm", "final_norm"}, {"lm_head", "head"}}};

constexpr std::array<Role, 6> kGpt2Layer{{{"ln_1", "attn_norm"},
                                          {"attn.c_attn", "attn.qkv"},
                                          {"attn.c_proj", "attn.o"},
                                          {"ln_2", "mlp_norm"},
                                          {"mlp.c_fc", "mlp.up"},
                                          {"mlp.c_proj", "mlp.down"}}};
constexpr std::array<Role, 4> kGpt2Global{
    {{"wte", "embed"}, {"wpe", "pos_embed"}, {"ln_f", "final_norm"}, {"lm_head", "head"}}};

constexpr std::array<Role, 10> kGgufLayer{{{"attn_q", "attn.q"},
                                           {"attn_k", "attn.k"},
                                           {"attn_v", "attn.v"},
                                           {"attn_output", "attn.o"},
                                           {"attn_qkv", "attn.qkv"},
                                           {"attn_norm", "attn_norm"},
                                           {"ffn_gate", "mlp.gate"},
                                           {"ffn_up", "mlp.up"},
                                           {"ffn_down", "mlp.down"},
                                           {"ffn_norm", "mlp_norm"}}};
constexpr std::array<Role, 4> kGgufGlobal{{{"token_embd", "embed"},
                                           {"position_embd", "pos_embed"},
                                           {"output_norm", "final_norm"},
                                           {"output", "head"}}};

constexpr std::array<Role, 9> kLlama2cLayer{{{"wq", "attn.q"},
                                             {"wk", "attn.k"},
                                             {"wv", "attn.v"},
                                             {"wo", "attn.o"},
                                             {"rms_att", "attn_norm"},
                                             {"w1", "mlp.gate"},
                                             {"w3", "mlp.up"},
                                             {"w2", "mlp.down"},
                                             {"rms_ffn", "mlp_norm"}}};
constexpr std::array<Role, 3> kLlama2cGlobal{
    {{"token_embedding", "embed"}, {"rms_final", "final_norm"}, {"wcls", "head"}}};

// A convention whose names end in .weight/.bias: "<layers>N.<stem>.<param>" maps through
// `layerTable`, any other name through `globalTable`.
std::string mapName(std::string_view s, std::string_view layers, std::span<const Role> layerTable,
                    std::span<const Role> globalTable)
{
    std::string_view rest = s;
    if (eat(rest, layers)) {
        const auto layer = eatLayer(rest);
        return layer ? mapRole(rest, layerTable, layerPrefix(*layer)) : std::string();
    }
    return mapRole(s, globalTable, "");
}

std::string hfName(std::string_view s)
{
    return mapName(s, "model.layers.", kHfLayer, kHfGlobal);
}

std::string gpt2Name(std::string_view s)
{
    std::string_view rest = s;
    eat(rest, "transformer.");
    return mapName(rest, "h.", kGpt2Layer, kGpt2Global);
}

std::string ggufName(std::string_view s)
{
    return mapName(s, "blk.", kGgufLayer, kGgufGlobal);
}

std::string llama2cName(std::string_view s)
{
    std::string_view rest = s;
    const auto lookup = [](std::string_view stem, std::span<const Role> table,
                           const std::string &prefix) {
        for (const auto &r : table)
            if (r.from == stem)
                return prefix + std::string(r.to);
        return std::string();
    };
    if (eat(rest, "layers.")) {
        const auto layer = eatLayer(rest);
        return layer ? lookup(rest, kLlama2cLayer, layerPrefix(*layer)) : std::string();
    }
    return lookup(s, kLlama2cGlobal, "");
}

// "dense/dense_3/kernel:0" -> "dense.kernel": the outer group is the layer the user named.
std::string kerasName(std::string_view s)
{
    const auto first = s.find('/');
    const auto last = s.rfind('/');
    if (first == std::string_view::npos || first == 0 || last + 1 >= s.size())
        return {};
    std::string_view param = s.substr(last + 1);
    if (const auto colon = param.rfind(':'); colon != std::string_view::npos)
        param = param.substr(0, colon);
    if (param.empty())
        return {};
    return std::string(s.substr(0, first)) + "." + std::string(param);
}

bool isLlamaFamilyName(const std::string &arch)
{
    static constexpr std::array<std::string_view, 21> kNames{
        "llama",    "mistral",  "mixtral", "qwen",    "gemma",    "phi3",       "internlm",
        "deepseek", "baichuan", "granite", "olmo",    "smollm",   "tinyllama",  "codellama",
        "vicuna",   "orion",    "exaone",  "minicpm", "stablelm", "starcoder2", "cohere"};
    for (auto n : kNames)
        if (arch.find(n) != std::string::npos)
            return true;
    return false;
}

ArchFamily detectFamily(const Model &m)
{
    if (m.format == ModelFormat::Llama2c)
        return ArchFamily::Llama;
    if (m.format == ModelFormat::KerasH5)
        return ArchFamily::Generic;
    std::string arch = lower(m.architecture);
    if (arch.empty())
        if (const auto *a = m.findMeta("general.architecture"))
            arch = lower(a->s);
    if (arch.find("gpt2") != std::string::npos)
        return ArchFamily::Gpt2;
    if (isLlamaFamilyName(arch))
        return ArchFamily::Llama;
    if (!arch.empty())
        return ArchFamily::Generic;
    // No declared architecture (a bare .safetensors file): judge by the names.
    for (const auto &t : m.tensors) {
        if (t.name.starts_with("model.embed_tokens.")
            || t.name.find("self_attn.q_proj") != std::string::npos)
            return ArchFamily::Llama;
        if (t.name.find("attn.c_attn") != std::string::npos)
            return ArchFamily::Gpt2;
    }
    return ArchFamily::Generic;
}

std::span<const std::byte> pageAt(std::span<const std::byte> data, uint64_t offset)
{
    return data.subspan(static_cast<size_t>(offset), static_cast<size_t>(std::min<uint64_t>(
                                                         kSamplePageBytes, data.size() - offset)));
}

bool sameBytes(std::span<const std::byte> a, std::span<const std::byte> b)
{
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

// True when the two tensors hold the same dtype, shape and bytes (see the file comment on
// sampling).
bool identicalContents(const Tensor &a, const Tensor &b, bool &sampled)
{
    sampled = false;
    if (a.dtype != b.dtype || a.shape != b.shape || a.byteSize != b.byteSize || a.byteSize == 0)
        return false;
    if (a.loader || b.loader) {
        if (a.byteSize > kFullCompareLimit)
            return false; // would materialise gigabytes while opening: do not guess
        return a.copyBytes() == b.copyBytes();
    }
    if (a.data.size() != a.byteSize || b.data.size() != b.byteSize)
        return false;
    if (a.byteSize <= kFullCompareLimit)
        return sameBytes(a.data, b.data);
    sampled = true;
    const uint64_t lastPage = (a.byteSize - 1) / kSamplePageBytes;
    for (int k = 0; k < kSamplePages; ++k) {
        const uint64_t page = lastPage * static_cast<uint64_t>(k) / (kSamplePages - 1);
        const uint64_t off = page * kSamplePageBytes;
        if (!sameBytes(pageAt(a.data, off), pageAt(b.data, off)))
            return false;
    }
    return true;
}

Tensor *findCanonical(Model &m, std::string_view canonical)
{
    for (auto &t : m.tensors)
        if (t.canonical == canonical)
            return &t;
    return nullptr;
}

void detectTiedHead(Model &m)
{
    Tensor *embed = findCanonical(m, "embed");
    Tensor *head = findCanonical(m, "head");
    if (!embed)
        return;
    if (!head) {
        if (m.family != ArchFamily::Generic) {
            m.hparams.tiedEmbeddings = true;
            m.notes.push_back("no separate output matrix: the head reuses embed (" + embed->name
                              + ")");
        }
        return;
    }
    bool sampled = false;
    if (identicalContents(*head, *embed, sampled)) {
        head->tiedTo = embed->name;
        m.hparams.tiedEmbeddings = true;
        m.notes.push_back("head (" + head->name + ") is a byte-identical copy of embed ("
                          + embed->name + ")"
                          + (sampled ? ", judged on 64 sampled 4 KiB pages" : "")
                          + ": its parameters are counted once");
        return;
    }
    if (m.hparams.tiedEmbeddings && m.format == ModelFormat::HfDirectory)
        m.notes.push_back("config.json says tie_word_embeddings, but " + head->name
                          + " differs from " + embed->name + ": the stored head is used");
    m.hparams.tiedEmbeddings = false;
}

int64_t dimOf(const Tensor *t, size_t axis)
{
    return t && t->shape.size() > axis ? t->shape[axis] : 0;
}

void fillHyperParams(Model &m)
{
    auto &h = m.hparams;
    const Tensor *embed = findCanonical(m, "embed");
    // Embeddings are stored [vocab, dim] by every format we read (GGUF's reader reverses ne[]).
    if (h.vocabSize == 0)
        h.vocabSize = dimOf(embed, 0);
    if (h.dim == 0)
        h.dim = dimOf(embed, 1);
    if (h.nLayers == 0) {
        int64_t maxLayer = -1;
        for (const auto &t : m.tensors)
            maxLayer = std::max(maxLayer, canonicalLayerIndex(t.canonical));
        h.nLayers = maxLayer + 1;
    }
    if (h.hiddenDim == 0 && m.family == ArchFamily::Llama)
        h.hiddenDim = dimOf(findCanonical(m, layerTensorName(0, "mlp.up")), 0);
    if (h.nKvHeads == 0)
        h.nKvHeads = h.nHeads;
    if (h.headDim == 0 && h.nHeads > 0)
        h.headDim = h.dim / h.nHeads;
}

} // namespace

std::string hfLlamaTensorName(std::string_view canonical)
{
    std::string suffix = ".weight";
    if (canonical.ends_with(".bias")) {
        suffix = ".bias";
        canonical.remove_suffix(5);
    }
    for (const auto &r : kHfGlobal)
        if (r.to == canonical)
            return std::string(r.from) + suffix;
    if (const auto split = splitLayerTensorName(canonical))
        for (const auto &r : kHfLayer)
            if (r.to == split->role)
                return "model.layers." + std::to_string(split->layer) + "." + std::string(r.from)
                     + suffix;
    return {};
}

std::string canonicalName(ModelFormat format, ArchFamily family, const std::string &original)
{
    switch (format) {
    case ModelFormat::Gguf: return ggufName(original);
    case ModelFormat::Llama2c: return llama2cName(original);
    case ModelFormat::KerasH5: return kerasName(original);
    case ModelFormat::Safetensors:
    case ModelFormat::HfDirectory: {
        // lm_head is shared by both conventions; otherwise the names do not overlap, so an
        // unknown family tries both.
        if (family == ArchFamily::Gpt2)
            return gpt2Name(original);
        if (auto n = hfName(original); !n.empty() || family == ArchFamily::Llama)
            return n;
        return gpt2Name(original);
    }
    }
    return {};
}

void applyArchitecture(Model &model)
{
    model.family = detectFamily(model);
    for (auto &t : model.tensors)
        t.canonical = canonicalName(model.format, model.family, t.name);
    detectTiedHead(model);
    if (model.family == ArchFamily::Llama && model.rope == RopeLayout::None)
        model.rope =
            (model.format == ModelFormat::Safetensors || model.format == ModelFormat::HfDirectory)
                ? RopeLayout::HalfSplit
                : RopeLayout::Interleaved;
    fillHyperParams(model);
}

void permuteRopeRows(std::span<float> weight, int64_t nHeads, int64_t headDim, int64_t cols,
                     RopeLayout from, RopeLayout to)
{
    if (from == to)
        return;
    if (from == RopeLayout::None || to == RopeLayout::None)
        throw Error("permuteRopeRows: cannot convert between a RoPE layout and 'none'");
    if (nHeads <= 0 || headDim <= 0 || headDim % 2 != 0 || cols <= 0
        || static_cast<uint64_t>(nHeads) * static_cast<uint64_t>(headDim)
                   * static_cast<uint64_t>(cols)
               != weight.size())
        throw Error("permuteRopeRows: " + std::to_string(weight.size()) + " values do not form "
                    + std::to_string(nHeads) + " heads x " + std::to_string(headDim)
                    + " rows (even) x " + std::to_string(cols) + " columns");
    const int64_t half = headDim / 2;
    const size_t headValues = static_cast<size_t>(headDim * cols);
    std::vector<float> scratch(headValues);
    for (int64_t h = 0; h < nHeads; ++h) {
        float *head = weight.data() + static_cast<size_t>(h) * headValues;
        for (int64_t i = 0; i < half; ++i) {
            for (int64_t j = 0; j < 2; ++j) {
                const int64_t interleavedRow = 2 * i + j;
                const int64_t halfSplitRow = j * half + i;
                const int64_t src = from == RopeLayout::Interleaved ? interleavedRow : halfSplitRow;
                const int64_t dst = from == RopeLayout::Interleaved ? halfSplitRow : interleavedRow;
                std::memcpy(scratch.data() + dst * cols, head + src * cols,
                            static_cast<size_t>(cols) * sizeof(float));
            }
        }
        std::memcpy(head, scratch.data(), headValues * sizeof(float));
    }
}

} // namespace cwb
