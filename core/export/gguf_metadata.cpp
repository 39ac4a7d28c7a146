// SPDX-License-Identifier: MIT
#include "export/gguf_metadata.h"

#include "prune/structured_plan.h"
#include "tokenizer/bpe_vocab.h"
#include "tokenizer/scored_vocab.h"
#include "tokenizer/sentencepiece_tokenizer.h"
#include "util/error.h"

#include <filesystem>

namespace cwb {
namespace {

MetaValue u32(int64_t v) { return MetaValue::ofUInt(static_cast<uint64_t>(v), "u32"); }
MetaValue f32(double v) { return MetaValue::ofFloat(v, "f32"); }

MetaValue stringArray(const std::vector<std::string> &items)
{
    MetaValue a;
    a.kind = MetaValue::Kind::Array;
    a.typeName = "array[string]";
    a.array.reserve(items.size());
    for (const auto &s : items)
        a.array.push_back(MetaValue::ofString(s));
    return a;
}

template <typename T, typename Make>
MetaValue typedArray(const std::vector<T> &items, const std::string &elem, Make make)
{
    MetaValue a;
    a.kind = MetaValue::Kind::Array;
    a.typeName = "array[" + elem + "]";
    a.array.reserve(items.size());
    for (const auto &x : items)
        a.array.push_back(make(x));
    return a;
}

MetaValue tokenTypes(const std::vector<TokenType> &types)
{
    return typedArray(types, "i32", [](TokenType t) {
        return MetaValue::ofInt(static_cast<int32_t>(t), "i32");
    });
}

void addSpecialIds(io::GgufWriter &w, int32_t bos, int32_t eos, int32_t unk)
{
    if (bos >= 0)
        w.addMeta("tokenizer.ggml.bos_token_id", u32(bos));
    if (eos >= 0)
        w.addMeta("tokenizer.ggml.eos_token_id", u32(eos));
    if (unk >= 0)
        w.addMeta("tokenizer.ggml.unknown_token_id", u32(unk));
}

void addScoredVocab(io::GgufWriter &w, const ScoredVocab &v)
{
    w.addMeta("tokenizer.ggml.model", MetaValue::ofString("llama"));
    w.addMeta("tokenizer.ggml.tokens", stringArray(v.pieces));
    w.addMeta("tokenizer.ggml.scores",
              typedArray(v.scores, "f32", [](float s) { return f32(s); }));
    w.addMeta("tokenizer.ggml.token_type", tokenTypes(v.types));
    addSpecialIds(w, v.bos, v.eos, v.unk);
    w.addMeta("tokenizer.ggml.add_bos_token", MetaValue::ofBool(v.addBos));
    w.addMeta("tokenizer.ggml.add_space_prefix", MetaValue::ofBool(v.addSpacePrefix));
}

// llama.cpp's tokenizer.ggml.pre spelling of our pre-tokenizers (src/llama-vocab.cpp).
std::string preName(const BpeVocab &v)
{
    switch (v.pre) {
    case PreTokenizer::Gpt2: return "gpt2";
    case PreTokenizer::Llama3: return "llama-bpe";
    case PreTokenizer::Qwen2: return "qwen2";
    case PreTokenizer::None:
    case PreTokenizer::MetaspaceSplit: break;
    }
    throwIn(v.source, "its pre-tokenizer has no llama.cpp equivalent (tokenizer.ggml.pre); "
                      "the GGUF export writes gpt2, llama-bpe and qwen2 byte-level vocabularies");
}

void addBpeVocab(io::GgufWriter &w, const BpeVocab &v)
{
    if (!v.byteLevel)
        throwIn(v.source, "a SentencePiece-style tokenizer.json (U+2581 spaces) is not "
                          "exported to GGUF; use the tokenizer.model beside it");
    std::vector<std::string> merges;
    merges.reserve(v.merges.size());
    for (const auto &[a, b] : v.merges)
        merges.push_back(a + " " + b);
    w.addMeta("tokenizer.ggml.model", MetaValue::ofString("gpt2"));
    w.addMeta("tokenizer.ggml.pre", MetaValue::ofString(preName(v)));
    w.addMeta("tokenizer.ggml.tokens", stringArray(v.tokens));
    w.addMeta("tokenizer.ggml.token_type", tokenTypes(v.types));
    w.addMeta("tokenizer.ggml.merges", stringArray(merges));
    addSpecialIds(w, v.bos, v.eos, v.unk);
    w.addMeta("tokenizer.ggml.add_bos_token", MetaValue::ofBool(v.addBos));
}

void addTokenizer(io::GgufWriter &w, const Model &m, std::vector<std::string> &notes)
{
    const TokenizerSource &t = m.tokenizer;
    const auto file = [&](size_t i) {
        if (t.files.size() <= i)
            throwIn(m.path, "tokenizer \"" + t.kind + "\" lists no file");
        return t.files[i];
    };
    if (t.kind == "gguf") {
        for (const auto &[key, value] : m.metadata)
            if (key.starts_with("tokenizer."))
                w.addMeta(key, value);
        notes.push_back("tokenizer: copied from the source GGUF");
    } else if (t.kind == "llama2c-bin") {
        addScoredVocab(w, readLlama2cVocab(file(0)));
        notes.push_back("tokenizer: llama (SentencePiece) from " + file(0));
    } else if (t.kind == "sentencepiece") {
        addScoredVocab(w, readSentencePieceVocab(file(0)));
        notes.push_back("tokenizer: llama (SentencePiece) from " + file(0));
    } else if (t.kind == "tokenizer.json") {
        addBpeVocab(w, readTokenizerJson(file(0), t.files.size() > 1 ? t.files[1] : ""));
        notes.push_back("tokenizer: gpt2 (byte-level BPE) from " + file(0));
    } else if (t.kind == "vocab.json+merges.txt") {
        addBpeVocab(w, readVocabJsonMerges(file(0), file(1)));
        notes.push_back("tokenizer: gpt2 (byte-level BPE) from " + file(0));
    } else if (t.kind.empty()) {
        throwIn(m.path, "the model names no tokenizer, and llama.cpp needs one in the GGUF "
                        "(tokenizer.ggml.tokens)");
    } else {
        throwIn(m.path, "tokenizer kind \"" + t.kind + "\" cannot be written to GGUF");
    }
}

void require(const Model &m, int64_t value, const char *what)
{
    if (value <= 0)
        throwIn(m.path, std::string("hyper-parameter ") + what
                            + " is unknown; llama.cpp needs it in the GGUF");
}

std::string modelName(const Model &m)
{
    if (const MetaValue *n = m.findMeta("general.name"); n && n->kind == MetaValue::Kind::String)
        return n->s;
    std::filesystem::path p(m.path);
    if (p.filename().empty())
        p = p.parent_path();
    return p.stem().string();
}

} // namespace

void addLlamaMetadata(io::GgufWriter &w, const Model &m, std::vector<std::string> &notes)
{
    const HyperParams &h = m.hparams;
    require(m, h.dim, "dim (embedding_length)");
    require(m, h.nLayers, "layers (block_count)");
    require(m, h.nHeads, "heads (attention.head_count)");
    require(m, h.hiddenDim, "FFN width (feed_forward_length)");
    require(m, h.headDim, "head dimension (rope.dimension_count)");
    require(m, h.contextLength, "context length");
    // A structurally pruned model with per-layer FFN widths: llama.cpp's `llama` architecture
    // builds every layer with one width (prune/structured_plan.h), so such a file would not load.
    if (m.family == ArchFamily::Llama)
        for (const std::string &why : planRefusals(m, StructuredPlan{}, PruneTarget::Gguf))
            throwIn(m.path, "cannot be written as GGUF: " + why);
    w.addMeta("general.architecture", MetaValue::ofString("llama"));
    w.addMeta("general.name", MetaValue::ofString(modelName(m)));
    w.addMeta("general.quantization_version", u32(2));
    w.addMeta("llama.context_length", u32(h.contextLength));
    w.addMeta("llama.embedding_length", u32(h.dim));
    w.addMeta("llama.block_count", u32(h.nLayers));
    w.addMeta("llama.feed_forward_length", u32(h.hiddenDim));
    w.addMeta("llama.attention.head_count", u32(h.nHeads));
    w.addMeta("llama.attention.head_count_kv", u32(h.nKvHeads > 0 ? h.nKvHeads : h.nHeads));
    w.addMeta("llama.rope.dimension_count", u32(h.headDim));
    if (h.headDim * h.nHeads != h.dim)
        w.addMeta("llama.attention.key_length", u32(h.headDim));
    if (h.headDim * h.nHeads != h.dim)
        w.addMeta("llama.attention.value_length", u32(h.headDim));
    w.addMeta("llama.rope.freq_base", f32(h.ropeTheta));
    w.addMeta("llama.attention.layer_norm_rms_epsilon", f32(h.normEps));
    if (h.vocabSize > 0)
        w.addMeta("llama.vocab_size", u32(h.vocabSize));
    addTokenizer(w, m, notes);
}

uint32_t llamaFileType(DType t)
{
    switch (t) {
    case DType::F32: return 0;
    case DType::F16: return 1;
    case DType::Q4_0: return 2;
    case DType::Q4_1: return 3;
    case DType::Q8_0: return 7;
    case DType::Q5_0: return 8;
    case DType::Q5_1: return 9;
    case DType::Q2_K: return 10;
    case DType::Q3_K: return 12; // Q3_K_M
    case DType::Q4_K: return 15; // Q4_K_M
    case DType::Q5_K: return 17; // Q5_K_M
    case DType::Q6_K: return 18;
    case DType::BF16: return 32;
    default: return 0;
    }
}

} // namespace cwb
