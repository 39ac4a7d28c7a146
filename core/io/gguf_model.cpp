// SPDX-License-Identifier: MIT
// readGguf: a parsed GGUF (gguf_reader.cpp) turned into a Model — tensors as views into the
// memory map, hyper-parameters from the "<arch>.*" keys llama.cpp writes, and the RoPE layout
// of Q/K rows (why each architecture gets which layout is written down in gguf_reader.h).

#include "io/gguf_reader.h"
#include "io/readers.h"
#include "util/mapped_file.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cwb::io {
namespace {

// llama_model_rope_type() in llama.cpp's src/llama-model.cpp, by general.architecture spelling.
// LLAMA_ROPE_TYPE_NORM (adjacent pairs; HF rows were permuted by the converter):
constexpr std::array<std::string_view, 28> kNormRope{
    "llama", "llama4", "llada", "mllama", "deci", "baichuan", "starcoder", "plamo", "orion",
    "internlm2", "minicpm", "xverse", "command-r", "cohere2", "olmo", "arctic", "deepseek",
    "deepseek2", "plm", "chatglm", "granite", "granitemoe", "chameleon", "solar", "smollm3",
    "arcee", "ernie4_5", "bailingmoe"};
// LLAMA_ROPE_TYPE_NEOX (pairs offset by n_rot/2; rows kept in HF order):
constexpr std::array<std::string_view, 27> kNeoxRope{
    "falcon", "grok", "dbrx", "bert", "nomic-bert", "stablelm", "bitnet", "qwen", "qwen2",
    "qwen2moe", "qwen3", "qwen3moe", "olmo2", "olmoe", "phi2", "phi3", "phimoe", "gemma", "gemma2",
    "gemma3", "starcoder2", "openelm", "gptneox", "codeshell", "nemotron", "exaone", "minicpm3"};
// LLAMA_ROPE_TYPE_NONE:
constexpr std::array<std::string_view, 13> kNoRope{
    "gpt2", "gptj", "mpt", "refact", "bloom", "mamba", "jina-bert-v2", "t5", "t5encoder", "jais",
    "rwkv6", "rwkv6qwen2", "wavtokenizer-dec"};

template <size_t N>
bool listed(const std::array<std::string_view, N> &list, std::string_view arch)
{
    return std::find(list.begin(), list.end(), arch) != list.end();
}

class HyperParamReader {
public:
    HyperParamReader(const GgufFile &f, Model &m) : f_(f), m_(m), arch_(m.architecture) {}

    // A non-negative integer "<arch>.<suffix>", or nullopt (with a note when present but unusable).
    std::optional<int64_t> integer(std::string_view suffix)
    {
        const std::string key = arch_ + "." + std::string(suffix);
        const MetaValue *v = f_.findMeta(key);
        if (!v)
            return std::nullopt;
        if (v->kind == MetaValue::Kind::Array) {
            // Per-layer values (OpenELM-style head counts): the largest is the safe width.
            int64_t best = -1;
            for (const auto &e : v->array)
                if (e.kind == MetaValue::Kind::Int || e.kind == MetaValue::Kind::UInt)
                    best = std::max(best, e.asInt());
            if (best < 0)
                return note(key + " is an array without integers; ignored");
            m_.notes.push_back(key + " varies per layer; using its largest value "
                               + std::to_string(best));
            return best;
        }
        if (v->kind != MetaValue::Kind::Int && v->kind != MetaValue::Kind::UInt)
            return note(key + " has type " + v->typeName + ", expected an integer; ignored");
        if (v->kind == MetaValue::Kind::Int ? v->i < 0 : v->u > uint64_t{INT64_MAX})
            return note(key + " = " + v->toDisplay() + " is out of range; ignored");
        return v->asInt();
    }

    std::optional<double> real(std::string_view suffix)
    {
        const std::string key = arch_ + "." + std::string(suffix);
        const MetaValue *v = f_.findMeta(key);
        if (!v)
            return std::nullopt;
        if (v->kind != MetaValue::Kind::Float && v->kind != MetaValue::Kind::Int
            && v->kind != MetaValue::Kind::UInt) {
            note(key + " has type " + v->typeName + ", expected a number; ignored");
            return std::nullopt;
        }
        return v->asDouble();
    }

private:
    std::nullopt_t note(std::string text)
    {
        m_.notes.push_back(std::move(text));
        return std::nullopt;
    }

    const GgufFile &f_;
    Model &m_;
    std::string arch_;
};

void readHyperParams(const GgufFile &f, Model &m)
{
    auto &hp = m.hparams;
    if (m.architecture.empty()) {
        m.notes.push_back("no general.architecture key: hyper-parameters are unknown");
        return;
    }
    HyperParamReader r(f, m);
    hp.dim = r.integer("embedding_length").value_or(0);
    hp.nLayers = r.integer("block_count").value_or(0);
    hp.nHeads = r.integer("attention.head_count").value_or(0);
    hp.nKvHeads = r.integer("attention.head_count_kv").value_or(hp.nHeads);
    hp.hiddenDim = r.integer("feed_forward_length").value_or(0);
    hp.contextLength = r.integer("context_length").value_or(0);
    if (const auto eps = r.real("attention.layer_norm_rms_epsilon"))
        hp.normEps = *eps;
    else if (const auto eps2 = r.real("attention.layer_norm_epsilon"))
        hp.normEps = *eps2;
    if (const auto theta = r.real("rope.freq_base"))
        hp.ropeTheta = *theta;
    if (const auto keyLength = r.integer("attention.key_length"))
        hp.headDim = *keyLength;
    else if (hp.nHeads > 0 && hp.dim % hp.nHeads == 0)
        hp.headDim = hp.dim / hp.nHeads;
    const auto ropeDims = r.integer("rope.dimension_count");
    if (ropeDims && *ropeDims != hp.headDim)
        m.notes.push_back("RoPE rotates " + std::to_string(*ropeDims) + " of the "
                          + std::to_string(hp.headDim) + " dimensions of each head");

    if (const MetaValue *tokens = f.findMeta("tokenizer.ggml.tokens");
        tokens && tokens->kind == MetaValue::Kind::Array)
        hp.vocabSize = static_cast<int64_t>(tokens->array.size());
    else if (const auto vocab = r.integer("vocab_size"))
        hp.vocabSize = *vocab;

    // llama.cpp reuses token_embd.weight as the head when output.weight is absent. (The
    // architecture adapter explains this in a note and also spots heads stored as copies.)
    hp.tiedEmbeddings = m.findTensor("token_embd.weight") && !m.findTensor("output.weight");
}

void chooseRope(Model &m)
{
    const std::string_view arch = m.architecture;
    if (listed(kNormRope, arch)) {
        m.rope = RopeLayout::Interleaved;
    } else if (listed(kNeoxRope, arch)) {
        m.rope = RopeLayout::HalfSplit;
    } else if (listed(kNoRope, arch)) {
        m.rope = RopeLayout::None;
    } else if (!arch.empty()) {
        m.rope = RopeLayout::None;
        m.notes.push_back("RoPE layout of architecture '" + m.architecture
                          + "' is not known here; Q/K rows are left as stored");
    }
}

Tensor makeTensor(const GgufFile &f, const GgufTensorInfo &info,
                  const std::shared_ptr<const MappedFile> &mapped)
{
    Tensor t;
    t.name = info.name;
    t.dtype = info.dtype;
    t.dtypeLabel = info.dtype == DType::Unknown ? "ggml type " + std::to_string(info.ggmlType)
                                                : std::string(dtypeName(info.dtype));
    // GGUF ne[] is innermost-first; parseGguf bounded each dimension and their product by 2^63.
    for (auto it = info.ne.rbegin(); it != info.ne.rend(); ++it)
        t.shape.push_back(static_cast<int64_t>(*it));
    t.file = mapped->path();
    t.fileOffset = f.dataStart + info.offset;
    t.byteSize = info.byteSize;
    if (info.byteSize > 0) // parseGguf checked it lies inside the file
        t.data = mapped->bytes().subspan(static_cast<size_t>(t.fileOffset),
                                         static_cast<size_t>(info.byteSize));
    t.keepAlive = mapped;
    t.mappedFrom = mapped.get();
    return t;
}

void noteUndecodable(Model &m)
{
    int64_t unknown = 0, listedOnly = 0;
    std::string unknownLabels, listedLabels;
    std::vector<std::string> seen;
    auto add = [&seen](std::string &labels, const std::string &label) {
        if (std::find(seen.begin(), seen.end(), label) != seen.end())
            return;
        seen.push_back(label);
        labels += (labels.empty() ? "" : ", ") + label;
    };
    for (const auto &t : m.tensors) {
        if (t.dtype == DType::Unknown) {
            ++unknown;
            add(unknownLabels, t.dtypeLabel);
        } else if (!dtypeInfo(t.dtype).decodable) {
            ++listedOnly;
            add(listedLabels, t.dtypeLabel);
        }
    }
    if (unknown)
        m.notes.push_back(std::to_string(unknown) + " tensor(s) have types this build does not "
                          "know (" + unknownLabels + "): listed, sizes unknown, not decodable");
    if (listedOnly)
        m.notes.push_back(std::to_string(listedOnly) + " tensor(s) use types whose values are "
                          "not decoded here (" + listedLabels + ")");
}

} // namespace

Model readGguf(const std::string &path)
{
    const auto mapped = MappedFile::open(path);
    GgufFile f = parseGguf(mapped->bytes(), path);

    Model m;
    m.path = path;
    m.format = ModelFormat::Gguf;
    m.files.push_back(mapped);
    if (const MetaValue *arch = f.findMeta("general.architecture");
        arch && arch->kind == MetaValue::Kind::String)
        m.architecture = arch->s;
    if (f.findMeta("tokenizer.ggml.model"))
        m.tokenizer.kind = "gguf";

    m.tensors.reserve(f.tensors.size());
    for (const auto &info : f.tensors)
        m.tensors.push_back(makeTensor(f, info, mapped));

    readHyperParams(f, m);
    chooseRope(m);
    noteUndecodable(m);
    m.metadata = std::move(f.metadata);
    return m;
}

} // namespace cwb::io
