// SPDX-License-Identifier: MIT
// fuzz_make_seeds OUT_DIR: writes the seed corpus of every fuzz target into OUT_DIR/<target>/,
// from our own writers (GGUF, safetensors, logits file, project file, archive) and small
// hand-built files in the other formats. scripts/fuzz.sh adds the real files of
// $CWB_SHARED/models beside them. Seeds are small (a few KB), so libFuzzer spends its time on
// structure, not on copying tensor data; a target whose first input byte picks a mode gets that
// byte in front of the file.

#include "analysis/model_analysis.h"
#include "eval/logits_file.h"
#include "io/gguf_writer.h"
#include "io/safetensors_writer.h"
#include "pipeline/archive.h"
#include "pipeline/pipeline.h"
#include "project/project_file.h"
#include "recipe/recipe.h"
#include "recipe/resolve.h"

#include <hdf5.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::byte>;

fs::path gOut;

void put(const std::string &target, const std::string &name, const std::string &prefix,
         const std::string &content)
{
    fs::create_directories(gOut / target);
    std::ofstream out(gOut / target / name, std::ios::binary | std::ios::trunc);
    out << prefix << content;
}

std::string fileText(const fs::path &p)
{
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string text(const Bytes &b)
{
    return {reinterpret_cast<const char *>(b.data()), b.size()};
}

// Deterministic values in [-1, 1).
std::vector<float> values(size_t n, uint32_t seed)
{
    std::vector<float> v(n);
    uint32_t s = seed * 2654435761u + 1;
    for (auto &x : v) {
        s = s * 1664525u + 1013904223u;
        x = static_cast<float>(s >> 8) / static_cast<float>(1u << 23) - 1.0f;
    }
    return v;
}

Bytes floatBytes(const std::vector<float> &v)
{
    Bytes b(v.size() * 4);
    std::memcpy(b.data(), v.data(), b.size());
    return b;
}

// Plausible block bytes for any ggml type: random, with every fp16 scale field a small value
// is not needed (the decoders must take any bits).
Bytes blockBytes(cwb::DType t, uint64_t elems, uint32_t seed)
{
    const uint64_t n = cwb::storageBytes(t, elems).value();
    Bytes b(n);
    uint32_t s = seed;
    for (auto &x : b) {
        s = s * 1664525u + 1013904223u;
        x = std::byte(s >> 24);
    }
    return b;
}

cwb::MetaValue stringArray(const std::vector<std::string> &items)
{
    cwb::MetaValue v;
    v.kind = cwb::MetaValue::Kind::Array;
    v.typeName = "array[string]";
    for (const auto &s : items)
        v.array.push_back(cwb::MetaValue::ofString(s));
    return v;
}

template <typename T>
cwb::MetaValue numberArray(const std::vector<T> &items, const std::string &type)
{
    cwb::MetaValue v;
    v.kind = cwb::MetaValue::Kind::Array;
    v.typeName = "array[" + type + "]";
    for (const T &x : items) {
        if constexpr (std::is_floating_point_v<T>)
            v.array.push_back(cwb::MetaValue::ofFloat(x, type));
        else
            v.array.push_back(cwb::MetaValue::ofInt(x, type));
    }
    return v;
}

// ---- GGUF ------------------------------------------------------------------------------

constexpr int kDim = 32, kHidden = 64, kVocab = 16, kHeads = 2;

void addLlamaMeta(cwb::io::GgufWriter &w, bool gpt2Vocab)
{
    using cwb::MetaValue;
    w.addMeta("general.architecture", MetaValue::ofString("llama"));
    w.addMeta("general.name", MetaValue::ofString("fuzz seed"));
    w.addMeta("llama.context_length", MetaValue::ofUInt(64, "u32"));
    w.addMeta("llama.embedding_length", MetaValue::ofUInt(kDim, "u32"));
    w.addMeta("llama.block_count", MetaValue::ofUInt(1, "u32"));
    w.addMeta("llama.feed_forward_length", MetaValue::ofUInt(kHidden, "u32"));
    w.addMeta("llama.attention.head_count", MetaValue::ofUInt(kHeads, "u32"));
    w.addMeta("llama.attention.head_count_kv", MetaValue::ofUInt(kHeads, "u32"));
    w.addMeta("llama.rope.dimension_count", MetaValue::ofUInt(kDim / kHeads, "u32"));
    w.addMeta("llama.attention.layer_norm_rms_epsilon", MetaValue::ofFloat(1e-5, "f32"));
    w.addMeta("llama.rope.freq_base", MetaValue::ofFloat(10000.0, "f32"));
    std::vector<std::string> tokens = {"<unk>", "<s>", "</s>", "<0x0A>", "\xe2\x96\x81", "a", "b",
                                       "\xe2\x96\x81" "a", "ab", "c", "d", "e", "H", "o",
                                       "\xe2\x96\x81" "ab", "l"};
    if (gpt2Vocab) {
        tokens = {"<|endoftext|>", "H", "e", "l", "o", "\xc4\xa0", "w", "r", "d", "He", "ll",
                  "\xc4\xa0w", "or", "ld", "Hell", "Hello"};
        w.addMeta("tokenizer.ggml.model", MetaValue::ofString("gpt2"));
        w.addMeta("tokenizer.ggml.pre", MetaValue::ofString("default"));
        w.addMeta("tokenizer.ggml.merges",
                  stringArray({"H e", "l l", "\xc4\xa0 w", "o r", "l d", "He ll", "Hell o"}));
    } else {
        w.addMeta("tokenizer.ggml.model", MetaValue::ofString("llama"));
        std::vector<float> scores;
        for (int i = 0; i < kVocab; ++i)
            scores.push_back(-static_cast<float>(i));
        w.addMeta("tokenizer.ggml.scores", numberArray(scores, "f32"));
    }
    w.addMeta("tokenizer.ggml.tokens", stringArray(tokens));
    std::vector<int32_t> types(kVocab, 1);
    types[0] = 2;
    if (!gpt2Vocab) {
        types[1] = types[2] = 3;
        types[3] = 6;
    }
    w.addMeta("tokenizer.ggml.token_type", numberArray(types, "i32"));
    w.addMeta("tokenizer.ggml.bos_token_id", MetaValue::ofUInt(gpt2Vocab ? 0 : 1, "u32"));
    w.addMeta("tokenizer.ggml.eos_token_id", MetaValue::ofUInt(gpt2Vocab ? 0 : 2, "u32"));
    w.addMeta("tokenizer.ggml.add_bos_token", MetaValue::ofBool(!gpt2Vocab));
}

void addLlamaTensors(cwb::io::GgufWriter &w, cwb::DType matrixType)
{
    using cwb::DType;
    uint32_t seed = 1;
    const auto matrix = [&](const std::string &name, int64_t rows, int64_t cols) {
        const uint64_t n = static_cast<uint64_t>(rows * cols);
        if (matrixType == DType::F32)
            w.addTensor(name, DType::F32, {rows, cols}, floatBytes(values(n, seed++)));
        else
            w.addTensor(name, matrixType, {rows, cols}, blockBytes(matrixType, n, seed++));
    };
    const auto vec = [&](const std::string &name, int64_t n) {
        w.addTensor(name, DType::F32, {n}, floatBytes(std::vector<float>(n, 1.0f)));
    };
    w.addTensor("token_embd.weight", DType::F32, {kVocab, kDim},
                floatBytes(values(kVocab * kDim, seed++)));
    vec("blk.0.attn_norm.weight", kDim);
    matrix("blk.0.attn_q.weight", kDim, kDim);
    matrix("blk.0.attn_k.weight", kDim, kDim);
    matrix("blk.0.attn_v.weight", kDim, kDim);
    matrix("blk.0.attn_output.weight", kDim, kDim);
    vec("blk.0.ffn_norm.weight", kDim);
    matrix("blk.0.ffn_gate.weight", kHidden, kDim);
    matrix("blk.0.ffn_up.weight", kHidden, kDim);
    matrix("blk.0.ffn_down.weight", kDim, kHidden);
    vec("output_norm.weight", kDim);
}

void ggufSeeds()
{
    using cwb::DType;
    using cwb::MetaValue;
    // A llama with an SPM vocabulary (F32), one with a GPT-2 vocabulary, one per block type.
    {
        cwb::io::GgufWriter w;
        addLlamaMeta(w, false);
        addLlamaTensors(w, DType::F32);
        put("gguf", "tiny-llama-f32.gguf", "", text(w.toBytes()));
        w.write((gOut / "tiny-llama-f32.gguf").string()); // the model the HDF5 seeds describe
    }
    {
        cwb::io::GgufWriter w({.version = 2, .alignment = 64});
        addLlamaMeta(w, true);
        addLlamaTensors(w, DType::F16);
        put("gguf", "tiny-gpt2-vocab-v2.gguf", "", text(w.toBytes()));
    }
    for (DType t : {DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1, DType::Q8_0, DType::BF16}) {
        cwb::io::GgufWriter w;
        addLlamaMeta(w, false);
        addLlamaTensors(w, t);
        put("gguf", "tiny-llama-" + std::string(cwb::dtypeName(t)) + ".gguf", "",
            text(w.toBytes()));
    }
    // Every metadata type and every block type we know (k-quants need rows of 256).
    cwb::io::GgufWriter w;
    w.addMeta("general.architecture", MetaValue::ofString("fuzz"));
    w.addMeta("u8", MetaValue::ofUInt(1, "u8"));
    w.addMeta("i8", MetaValue::ofInt(-1, "i8"));
    w.addMeta("u16", MetaValue::ofUInt(2, "u16"));
    w.addMeta("i16", MetaValue::ofInt(-2, "i16"));
    w.addMeta("u32", MetaValue::ofUInt(3, "u32"));
    w.addMeta("i32", MetaValue::ofInt(-3, "i32"));
    w.addMeta("u64", MetaValue::ofUInt(4, "u64"));
    w.addMeta("i64", MetaValue::ofInt(-4, "i64"));
    w.addMeta("f32", MetaValue::ofFloat(0.5, "f32"));
    w.addMeta("f64", MetaValue::ofFloat(0.25, "f64"));
    w.addMeta("bool", MetaValue::ofBool(true));
    w.addMeta("string", MetaValue::ofString("text"));
    w.addMeta("strings", stringArray({"a", "bc", ""}));
    MetaValue nested;
    nested.kind = MetaValue::Kind::Array;
    nested.typeName = "array[array]";
    nested.array.push_back(numberArray(std::vector<int32_t>{1, 2}, "i32"));
    nested.array.push_back(stringArray({"x"}));
    w.addMeta("nested", nested);
    uint32_t seed = 7;
    for (DType t : {DType::F32, DType::F16, DType::BF16, DType::Q4_0, DType::Q4_1, DType::Q5_0,
                    DType::Q5_1, DType::Q8_0, DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q5_K,
                    DType::Q6_K, DType::Q8_K, DType::IQ4_NL}) {
        const int64_t cols = cwb::dtypeInfo(t).blockElems > 32 ? 256 : 64;
        w.addTensor(std::string(cwb::dtypeName(t)), t, {2, cols},
                    blockBytes(t, static_cast<uint64_t>(2 * cols), seed++));
    }
    w.addRawTensor("unknown-type", 200, {32}, Bytes(16));
    put("gguf", "every-type.gguf", "", text(w.toBytes()));
}

// ---- safetensors -----------------------------------------------------------------------

void safetensorsSeeds()
{
    using cwb::DType;
    using cwb::io::tensorFromBytes;
    using cwb::io::tensorFromFloats;
    std::vector<cwb::io::SafetensorsTensor> t;
    t.push_back(tensorFromFloats("model.embed_tokens.weight", {kVocab, kDim},
                                 values(kVocab * kDim, 1), DType::F32));
    t.push_back(tensorFromFloats("model.layers.0.self_attn.q_proj.weight", {kDim, kDim},
                                 values(kDim * kDim, 2), DType::F16));
    t.push_back(tensorFromFloats("model.layers.0.input_layernorm.weight", {kDim},
                                 values(kDim, 3), DType::BF16));
    t.push_back(tensorFromFloats("model.norm.weight", {kDim}, values(kDim, 4), DType::F64));
    const Bytes small = blockBytes(DType::I8, 8, 5);
    t.push_back(tensorFromBytes("int8", DType::I8, {2, 4}, small));
    t.push_back(tensorFromBytes("uint8", DType::U8, {8}, small));
    t.push_back(tensorFromBytes("bool", DType::BOOL, {8}, Bytes(8, std::byte{1})));
    t.push_back(tensorFromBytes("fp8", DType::F8_E4M3, {8}, small));
    t.push_back(tensorFromBytes("i32", DType::I32, {2}, small));
    const fs::path dir = gOut / "scratch-safetensors";
    fs::create_directories(dir);
    cwb::io::writeSafetensors((dir / "a.safetensors").string(), t,
                              {{"format", "pt"}, {"note", "fuzz seed"}});
    put("safetensors", "all-dtypes.safetensors", "F", fileText(dir / "a.safetensors"));
    cwb::io::writeSafetensors((dir / "b.safetensors").string(),
                              std::vector<cwb::io::SafetensorsTensor>(t.begin(), t.begin() + 1));
    put("safetensors", "one.safetensors", "F", fileText(dir / "b.safetensors"));
    fs::remove_all(dir);
    // Index files naming the shard fuzz_safetensors writes beside them.
    put("safetensors", "index.json", "I", R"({"metadata": {"total_size": 160},
 "weight_map": {"model.embed_tokens.weight": "model-00001-of-00001.safetensors",
                "model.norm.weight": "model-00001-of-00001.safetensors"}})");
    put("safetensors", "index-missing.json", "I", R"({"weight_map": {"x": "../other.safetensors", "y": "model-00002-of-00002.safetensors"}})");
}

// ---- llama2.c ----------------------------------------------------------------------------

void llama2cSeeds()
{
    // dim 8, hidden 16, 1 layer, 2 heads, 2 kv heads, vocab 6 (negative: own classifier), seq 4.
    for (int32_t vocab : {6, -6}) {
        const int32_t header[7] = {8, 16, 1, 2, 2, vocab, 4};
        const int64_t v = std::abs(vocab), dim = 8, hidden = 16, seq = 4, head = dim / 2;
        int64_t floats = v * dim + dim + 4 * dim * dim + dim + 3 * hidden * dim + dim
                         + 2 * seq * (head / 2);
        if (vocab < 0)
            floats += v * dim;
        std::string bytes(reinterpret_cast<const char *>(header), sizeof header);
        const Bytes f = floatBytes(values(static_cast<size_t>(floats), 9));
        bytes += text(f);
        put("llama2c", vocab < 0 ? "tiny-wcls.bin" : "tiny.bin", "M", bytes);
    }
    // tokenizer.bin: max_token_length, then per token f32 score, i32 length, bytes.
    std::string tok;
    const auto i32 = [&](int32_t x) { tok.append(reinterpret_cast<const char *>(&x), 4); };
    const auto f32 = [&](float x) { tok.append(reinterpret_cast<const char *>(&x), 4); };
    const std::vector<std::string> pieces = {"<unk>", "\n<s>\n", "\n</s>\n", "<0x0A>", " a",
                                             "a", " once", "\xe2\x96\x81upon"};
    i32(8);
    for (size_t i = 0; i < pieces.size(); ++i) {
        f32(-static_cast<float>(i));
        i32(static_cast<int32_t>(pieces[i].size()));
        tok += pieces[i];
    }
    put("llama2c", "tokenizer.bin", "T", tok);
}

// ---- BPE tokenizer files -----------------------------------------------------------------

void bpeSeeds()
{
    const std::string vocab = R"({"<|endoftext|>": 0, "H": 1, "e": 2, "l": 3, "o": 4, "\u0120": 5, "w": 6, "r": 7, "d": 8, "He": 9, "ll": 10, "\u0120w": 11, "or": 12, "ld": 13, "Hell": 14, "Hello": 15})";
    const std::string merges = "#version: 0.2\nH e\nl l\n\xc4\xa0 w\no r\nl d\nHe ll\nHell o\n";
    put("bpe_tokenizer", "vocab-merges", "V", vocab + std::string(1, '\0') + merges);
    const std::string tokenizerJson = R"({"version": "1.0",
 "added_tokens": [{"id": 0, "content": "<|endoftext|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
 "normalizer": null,
 "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
 "post_processor": {"type": "ByteLevel"},
 "decoder": {"type": "ByteLevel"},
 "model": {"type": "BPE", "dropout": null, "unk_token": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
   "vocab": )" + vocab + R"(,
   "merges": ["H e", "l l", "\u0120 w", "o r", "l d", "He ll", "Hell o"]}})";
    put("bpe_tokenizer", "tokenizer.json", "J", tokenizerJson);
    const std::string config = R"({"add_bos_token": true, "bos_token": "<|endoftext|>", "eos_token": {"content": "<|endoftext|>"}, "unk_token": null})";
    put("bpe_tokenizer", "tokenizer-with-config.json", "J",
        tokenizerJson + std::string(1, '\0') + config);
    const std::string metaspace = R"({"added_tokens": [{"id": 0, "content": "<s>", "special": true}, {"id": 1, "content": "</s>", "special": true}],
 "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": false},
 "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"}, {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
 "decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Fuse"}]},
 "model": {"type": "BPE", "byte_fallback": true, "unk_token": "<unk>",
   "vocab": {"<s>": 0, "</s>": 1, "<unk>": 2, "<0x0A>": 3, "\u2581": 4, "a": 5, "b": 6, "\u2581a": 7, "ab": 8},
   "merges": [["\u2581", "a"], ["a", "b"]]}})";
    put("bpe_tokenizer", "metaspace.json", "J", metaspace);
}

// ---- recipes -----------------------------------------------------------------------------

const char *kEveryMethodRecipe = R"({"version": 1, "name": "every method",
  "defaults": {"params": {"rtn": {"sym": true}}},
  "rules": [
    {"match": "layers.0.attn.q", "methods": [{"method": "gptq", "params": {"bits": 4, "group": 32, "damp": 0.01, "act_order": true}}]},
    {"match": "layers.0.attn.k", "methods": [{"method": "awq", "params": {"bits": 4, "group": -1, "alpha_grid": 5}}]},
    {"match": "layers.0.attn.v", "methods": [{"method": "nf4", "params": {"block_size": 64, "double_quant": true, "dq_block_size": 64}}]},
    {"match": "layers.0.attn.o", "methods": [{"method": "fp8_e4m3", "params": {"granularity": "per-channel"}}]},
    {"match": "layers.0.mlp.gate", "methods": [{"method": "mxfp4"}]},
    {"match": "layers.0.mlp.up", "methods": [{"method": "nvfp4"}]},
    {"match": "layers.0.mlp.down", "methods": [{"method": "ternary", "params": {"packing": "base3"}}]},
    {"match": "layers.1.attn.*", "methods": [{"method": "q4_0", "params": {"imatrix": true}}]},
    {"match": "layers.1.mlp.gate", "methods": [{"method": "magnitude", "params": {"sparsity": 0.3}}, {"method": "q4_1"}]},
    {"match": "layers.1.mlp.up", "methods": [{"method": "wanda", "params": {"nm": "2:4"}}, {"method": "gptq", "params": {"bits": 8, "group": -1}}]},
    {"match": "re:layers\\.1\\.mlp\\.d.*", "methods": [{"method": "svd", "params": {"rank": 32}}, {"method": "rtn", "params": {"bits": 8, "group": 32}}]},
    {"match": "layers.*.attn_norm", "methods": [{"method": "f16"}]}
  ],
  "overrides": {"head": {"methods": [{"method": "q8_0"}]},
                "blk.0.ffn_down.weight": {"methods": [{"method": "asvd", "params": {"energy": 0.99}}]},
                "embed": {"methods": [{"method": "q5_0"}]}}})";

// The archive seed: one storage family per tensor, no calibration needed.
const char *kArchiveRecipe = R"({"version": 1,
  "rules": [
    {"match": "layers.0.attn.q", "methods": [{"method": "rtn", "params": {"bits": 4, "group": 32, "sym": false}}]},
    {"match": "layers.0.attn.k", "methods": [{"method": "q8_0"}]},
    {"match": "layers.0.attn.v", "methods": [{"method": "magnitude", "params": {"nm": "2:4"}}, {"method": "q4_0"}]},
    {"match": "layers.0.attn.o", "methods": [{"method": "svd", "params": {"rank": 4}}]},
    {"match": "layers.0.mlp.gate", "methods": [{"method": "mxfp4"}]},
    {"match": "layers.0.mlp.up", "methods": [{"method": "ternary"}]},
    {"match": "layers.0.mlp.down", "methods": [{"method": "fp8_e5m2"}]},
    {"match": "layers.0.attn_norm", "methods": [{"method": "f16"}]}
  ]})";

void recipeSeeds()
{
    put("recipe", "every-method.json", "", kEveryMethodRecipe);
    put("recipe", "archive.json", "", kArchiveRecipe);
    put("recipe", "minimal.json", "", R"({"version": 1, "rules": [{"match": "*", "methods": [{"method": "q8_0"}]}]})");
    put("recipe", "problems.json", "",
        R"({"version": 1, "name": 3, "rules": [{"match": "layers.9.*", "methods": [{"method": "nope"}]}, {"match": "[", "methods": []}], "overrides": {"missing.weight": {"methods": [{"method": "rtn", "params": {"bits": 99, "group": 7}}]}}})");
}

// ---- logits file -------------------------------------------------------------------------

void logitsSeeds()
{
    const fs::path path = gOut / "seed.logits";
    cwb::eval::LogitsFileHeader h;
    h.nCtx = 4;
    h.nVocab = 5;
    h.chunks = 2;
    h.firstScored = 1;
    h.modelLabel = "tiny.gguf";
    const std::vector<int32_t> tokens = {1, 2, 3, 4, 1, 3, 2, 0};
    {
        cwb::eval::LogitsFileWriter w(path.string(), h, tokens);
        cwb::eval::EncodedWindow win;
        win.resize(h.rowsPerWindow(), h.nVocab);
        for (size_t i = 0; i < win.codes.size(); ++i)
            win.codes[i] = static_cast<uint16_t>(i * 977);
        for (size_t i = 0; i < win.scales.size(); ++i) {
            win.scales[i] = 0.01f;
            win.minLogProbs[i] = -20.0f;
        }
        w.writeWindow(win);
        w.writeWindow(win);
        w.commit();
    }
    put("logits", "two-windows.logits", "", fileText(path));
    fs::remove(path);
}

// ---- HDF5: Keras, project file, archive ---------------------------------------------------

struct H5 {
    hid_t id;
    explicit H5(hid_t i) : id(i) {}
    ~H5()
    {
        if (id >= 0)
            H5Oclose(id);
    }
};

void h5Strings(hid_t obj, const char *name, const std::vector<std::string> &items)
{
    size_t width = 1;
    for (const auto &s : items)
        width = std::max(width, s.size());
    std::string buf(items.size() * width, '\0');
    for (size_t i = 0; i < items.size(); ++i)
        std::memcpy(buf.data() + i * width, items[i].data(), items[i].size());
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, width);
    H5Tset_strpad(type, H5T_STR_NULLPAD);
    const hsize_t n = items.size();
    const hid_t space = H5Screate_simple(1, &n, nullptr);
    const hid_t attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attr, type, buf.data());
    H5Aclose(attr);
    H5Sclose(space);
    H5Tclose(type);
}

void h5VarString(hid_t obj, const char *name, const std::string &value)
{
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    const char *p = value.c_str();
    H5Awrite(attr, type, &p);
    H5Aclose(attr);
    H5Sclose(space);
    H5Tclose(type);
}

void kerasSeed(bool fullModel, bool chunked)
{
    const fs::path path = gOut / "seed.h5";
    const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    const std::string base = fullModel ? "model_weights/" : "";
    const auto dataset = [&](const std::string &name, std::vector<hsize_t> dims, uint32_t seed) {
        hsize_t n = 1;
        for (hsize_t d : dims)
            n *= d;
        const std::vector<float> v = values(n, seed);
        const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
        const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        if (chunked) {
            H5Pset_chunk(dcpl, static_cast<int>(dims.size()), dims.data());
            H5Pset_deflate(dcpl, 1);
        }
        const hid_t ds = H5Dcreate2(file, (base + name).c_str(), H5T_IEEE_F32LE, space, lcpl,
                                    dcpl, H5P_DEFAULT);
        H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
        H5Dclose(ds);
        H5Pclose(dcpl);
        H5Sclose(space);
    };
    dataset("dense/dense/kernel:0", {6, 4}, 1);
    dataset("dense/dense/bias:0", {4}, 2);
    dataset("dense_1/dense_1/kernel:0", {4, 3}, 3);
    dataset("dense_1/dense_1/bias:0", {3}, 4);
    {
        H5 g(H5Gopen2(file, (base + "dense").c_str(), H5P_DEFAULT));
        h5Strings(g.id, "weight_names", {"dense/kernel:0", "dense/bias:0"});
    }
    {
        H5 g(H5Gopen2(file, (base + "dense_1").c_str(), H5P_DEFAULT));
        h5Strings(g.id, "weight_names", {"dense_1/kernel:0", "dense_1/bias:0"});
    }
    {
        H5 g(H5Gopen2(file, fullModel ? "model_weights" : "/", H5P_DEFAULT));
        h5Strings(g.id, "layer_names", {"dense", "dense_1"});
        h5VarString(g.id, "keras_version", "2.2.4-tf");
        h5VarString(g.id, "backend", "tensorflow");
    }
    if (fullModel) {
        H5 root(H5Gopen2(file, "/", H5P_DEFAULT));
        h5VarString(root.id, "model_config",
                    R"({"class_name": "Sequential", "config": {"name": "seq", "layers": [{"class_name": "Dense", "config": {"name": "dense", "units": 4, "activation": "relu", "batch_input_shape": [null, 6]}}, {"class_name": "Dense", "config": {"name": "dense_1", "units": 3, "activation": "softmax"}}]}})");
        h5VarString(root.id, "keras_version", "2.2.4-tf");
        h5VarString(root.id, "backend", "tensorflow");
    }
    H5Pclose(lcpl);
    H5Fclose(file);
    put("hdf5", std::string("keras-") + (fullModel ? "model" : "weights") + (chunked ? "-deflate" : "")
                    + ".h5",
        "K", fileText(path));
    fs::remove(path);
}

// A model in memory with the tiny llama's names and canonical roles (for the plan) and values.
cwb::Model tinyModel()
{
    cwb::Model m;
    m.path = (gOut / "tiny-llama-f32.gguf").string();
    m.architecture = "llama";
    uint32_t seed = 11;
    const auto add = [&](std::string name, std::string canonical, std::vector<int64_t> shape) {
        cwb::Tensor t;
        t.name = std::move(name);
        t.canonical = std::move(canonical);
        t.shape = std::move(shape);
        t.dtype = cwb::DType::F32;
        auto owned = std::make_shared<Bytes>(floatBytes(values(static_cast<size_t>(t.numel()), seed++)));
        t.byteSize = owned->size();
        t.data = *owned;
        t.keepAlive = owned;
        m.tensors.push_back(std::move(t));
    };
    add("token_embd.weight", "embed", {kVocab, kDim});
    add("blk.0.attn_norm.weight", "layers.0.attn_norm", {kDim});
    add("blk.0.attn_q.weight", "layers.0.attn.q", {kDim, kDim});
    add("blk.0.attn_k.weight", "layers.0.attn.k", {kDim, kDim});
    add("blk.0.attn_v.weight", "layers.0.attn.v", {kDim, kDim});
    add("blk.0.attn_output.weight", "layers.0.attn.o", {kDim, kDim});
    add("blk.0.ffn_gate.weight", "layers.0.mlp.gate", {kHidden, kDim});
    add("blk.0.ffn_up.weight", "layers.0.mlp.up", {kHidden, kDim});
    add("blk.0.ffn_down.weight", "layers.0.mlp.down", {kDim, kHidden});
    add("output_norm.weight", "final_norm", {kDim});
    return m;
}

void projectAndArchiveSeeds()
{
    const cwb::Model model = tinyModel();
    cwb::ModelAnalysisParams params;
    params.spectra = true;
    params.threads = 1;
    params.histogram.bins = 16;
    const fs::path project = gOut / "seed.cwbproj";
    cwb::writeProject(project.string(), cwb::makeProject(model, cwb::analyzeModel(model, params),
                                                         params));
    put("hdf5", "analysis.cwbproj", "P", fileText(project));
    cwb::writeProject(project.string(), cwb::emptyProject(model));
    put("hdf5", "empty.cwbproj", "P", fileText(project));
    fs::remove(project);

    const cwb::Plan plan = cwb::resolvePlan(cwb::parseRecipe(kArchiveRecipe, "archive.json"), model);
    cwb::requireValidPlan(plan);
    cwb::CompressParams cp;
    cp.threads = 1;
    cp.outputError = false;
    cp.recipeJson = kArchiveRecipe;
    const fs::path archive = gOut / "seed.cwbarchive";
    cwb::writeArchive(archive.string(), cwb::compressModel(model, plan, cp));
    put("hdf5", "every-storage.cwbarchive", "A", fileText(archive));
    fs::remove(archive);
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::cerr << "usage: fuzz_make_seeds OUT_DIR\n";
        return 2;
    }
    gOut = argv[1];
    try {
        fs::create_directories(gOut);
        ggufSeeds();
        safetensorsSeeds();
        llama2cSeeds();
        bpeSeeds();
        recipeSeeds();
        logitsSeeds();
        kerasSeed(true, false);
        kerasSeed(false, true);
        projectAndArchiveSeeds();
    } catch (const std::exception &e) {
        std::cerr << "fuzz_make_seeds: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
