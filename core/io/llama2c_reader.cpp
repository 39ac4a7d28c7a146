// SPDX-License-Identifier: MIT
#include "io/llama2c_reader.h"

#include "io/byte_reader.h"
#include "io/readers.h"
#include "util/error.h"
#include "util/mapped_file.h"

#include <array>
#include <filesystem>

namespace cwb::io {
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kHeaderBytes = 7 * 4;

[[noreturn]] void badField(const std::string &source, uint64_t at, const char *field, int64_t value,
                           const std::string &why)
{
    throwAt(source, at,
            std::string("header field ") + field + " = " + std::to_string(value) + ": " + why);
}

// Cuts consecutive tensors out of the file, in order, keeping the byte offset.
class Slicer {
public:
    Slicer(Model &m, std::span<const std::byte> bytes, const std::string &source)
        : model_(m), bytes_(bytes), source_(source)
    {
    }

    void add(std::string name, std::vector<int64_t> shape)
    {
        Tensor t;
        t.name = std::move(name);
        t.dtype = DType::F32;
        t.dtypeLabel = "F32";
        t.shape = std::move(shape);
        t.file = source_;
        t.fileOffset = offset_;
        t.byteSize = static_cast<uint64_t>(t.numel()) * 4;
        t.data = bytes_.subspan(static_cast<size_t>(offset_), static_cast<size_t>(t.byteSize));
        offset_ += t.byteSize;
        model_.tensors.push_back(std::move(t));
    }
    // One tensor per layer out of an [L, ...] array.
    void addPerLayer(const char *field, int64_t layers, std::vector<int64_t> shape)
    {
        for (int64_t l = 0; l < layers; ++l)
            add("layers." + std::to_string(l) + "." + field, shape);
    }
    void skip(uint64_t bytes) { offset_ += bytes; }
    [[nodiscard]] uint64_t offset() const { return offset_; }

private:
    Model &model_;
    std::span<const std::byte> bytes_;
    const std::string &source_;
    uint64_t offset_ = kHeaderBytes;
};

std::string findTokenizer(const fs::path &modelPath, int64_t vocab)
{
    const fs::path dir = modelPath.parent_path();
    for (const auto &name :
         {"tok" + std::to_string(vocab) + ".bin", std::string("tokenizer.bin")}) {
        std::error_code ec;
        const auto p = dir / name;
        if (fs::is_regular_file(p, ec))
            return fs::absolute(p, ec).lexically_normal().string();
    }
    return {};
}

} // namespace

uint64_t llama2cExpectedBytes(const Llama2cHeader &h, const std::string &source)
{
    const std::array<std::pair<const char *, int32_t>, 5> positive{{{"dim", h.dim},
                                                                    {"hidden_dim", h.hiddenDim},
                                                                    {"n_layers", h.nLayers},
                                                                    {"n_heads", h.nHeads},
                                                                    {"n_kv_heads", h.nKvHeads}}};
    for (size_t k = 0; k < positive.size(); ++k)
        if (positive[k].second <= 0)
            badField(source, 4 * k, positive[k].first, positive[k].second, "must be positive");
    if (h.vocabSize == 0 || h.vocabSize == INT32_MIN)
        badField(source, 20, "vocab_size", h.vocabSize,
                 "must be non-zero (negative means an unshared classifier)");
    if (h.seqLen <= 0)
        badField(source, 24, "seq_len", h.seqLen, "must be positive");
    if (h.dim % h.nHeads != 0)
        badField(source, 12, "n_heads", h.nHeads, "does not divide dim = " + std::to_string(h.dim));
    if ((h.dim / h.nHeads) % 2 != 0)
        badField(source, 12, "n_heads", h.nHeads,
                 "gives an odd head size " + std::to_string(h.dim / h.nHeads)
                     + " (RoPE needs pairs)");
    if (h.nKvHeads > h.nHeads || h.nHeads % h.nKvHeads != 0)
        badField(source, 16, "n_kv_heads", h.nKvHeads,
                 "must divide n_heads = " + std::to_string(h.nHeads));

    // 128-bit arithmetic: every factor is below 2^31, so no product of three can overflow.
    __extension__ typedef unsigned __int128 U;
    const U dim = static_cast<U>(h.dim), hidden = static_cast<U>(h.hiddenDim),
            layers = static_cast<U>(h.nLayers);
    const U vocab =
        static_cast<U>(h.vocabSize < 0 ? -static_cast<int64_t>(h.vocabSize) : h.vocabSize);
    const U headSize = dim / static_cast<U>(h.nHeads);
    const U kvDim = headSize * static_cast<U>(h.nKvHeads);
    U floats = vocab * dim // token_embedding
               + layers
                     * (2 * dim                           // rms_att, rms_ffn
                        + 2 * dim * dim + 2 * kvDim * dim // wq, wo, wk, wv
                        + 3 * hidden * dim)               // w1, w2, w3
               + dim                                      // rms_final
               + static_cast<U>(h.seqLen) * headSize;     // freq_cis_real + freq_cis_imag
    if (h.vocabSize < 0)
        floats += vocab * dim; // wcls
    const U bytes = kHeaderBytes + 4 * floats;
    if (bytes > static_cast<U>(INT64_MAX))
        throwAt(source, 0, "header implies a file of more than 2^63 bytes");
    return static_cast<uint64_t>(bytes);
}

Model parseLlama2c(std::span<const std::byte> bytes, const std::string &source)
{
    ByteReader r(bytes, source);
    Llama2cHeader h;
    h.dim = r.read<int32_t>("dim");
    h.hiddenDim = r.read<int32_t>("hidden_dim");
    h.nLayers = r.read<int32_t>("n_layers");
    h.nHeads = r.read<int32_t>("n_heads");
    h.nKvHeads = r.read<int32_t>("n_kv_heads");
    h.vocabSize = r.read<int32_t>("vocab_size");
    h.seqLen = r.read<int32_t>("seq_len");
    const uint64_t expected = llama2cExpectedBytes(h, source);
    if (expected != bytes.size())
        throwAt(source, std::min<uint64_t>(expected, bytes.size()),
                "file is " + std::to_string(bytes.size()) + " bytes but its header (dim "
                    + std::to_string(h.dim) + ", hidden_dim " + std::to_string(h.hiddenDim)
                    + ", n_layers " + std::to_string(h.nLayers) + ", n_heads "
                    + std::to_string(h.nHeads) + ", n_kv_heads " + std::to_string(h.nKvHeads)
                    + ", vocab_size " + std::to_string(h.vocabSize) + ", seq_len "
                    + std::to_string(h.seqLen) + ") implies exactly " + std::to_string(expected)
                    + " bytes" + (bytes.size() < expected ? " (truncated)" : " (trailing bytes)"));

    const bool sharedClassifier = h.vocabSize > 0;
    const int64_t dim = h.dim, hidden = h.hiddenDim, layers = h.nLayers;
    const int64_t vocab = sharedClassifier ? h.vocabSize : -static_cast<int64_t>(h.vocabSize);
    const int64_t headSize = dim / h.nHeads;
    const int64_t kvDim = headSize * h.nKvHeads;

    Model m;
    m.path = source;
    m.format = ModelFormat::Llama2c;
    m.family = ArchFamily::Llama;
    m.architecture = "llama";
    m.rope = RopeLayout::Interleaved;
    const std::array<std::pair<const char *, int32_t>, 7> fields{{{"dim", h.dim},
                                                                  {"hidden_dim", h.hiddenDim},
                                                                  {"n_layers", h.nLayers},
                                                                  {"n_heads", h.nHeads},
                                                                  {"n_kv_heads", h.nKvHeads},
                                                                  {"vocab_size", h.vocabSize},
                                                                  {"seq_len", h.seqLen}}};
    for (const auto &[key, value] : fields)
        m.metadata.emplace_back(std::string("llama2c.") + key, MetaValue::ofInt(value, "i32"));

    auto &hp = m.hparams;
    hp.dim = dim;
    hp.nLayers = layers;
    hp.nHeads = h.nHeads;
    hp.nKvHeads = h.nKvHeads;
    hp.headDim = headSize;
    hp.hiddenDim = hidden;
    hp.vocabSize = vocab;
    hp.contextLength = h.seqLen;
    hp.normEps = 1e-5;      // llama2.c's rmsnorm hard-codes it
    hp.ropeTheta = 10000.0; // and its RoPE tables use this base
    hp.tiedEmbeddings = sharedClassifier;

    Slicer s(m, bytes, source);
    s.add("token_embedding", {vocab, dim});
    s.addPerLayer("rms_att", layers, {dim});
    s.addPerLayer("wq", layers, {dim, dim});
    s.addPerLayer("wk", layers, {kvDim, dim});
    s.addPerLayer("wv", layers, {kvDim, dim});
    s.addPerLayer("wo", layers, {dim, dim});
    s.addPerLayer("rms_ffn", layers, {dim});
    s.addPerLayer("w1", layers, {hidden, dim});
    s.addPerLayer("w2", layers, {dim, hidden});
    s.addPerLayer("w3", layers, {hidden, dim});
    s.add("rms_final", {dim});
    const uint64_t ropeAt = s.offset();
    const uint64_t ropeBytes =
        static_cast<uint64_t>(h.seqLen) * static_cast<uint64_t>(headSize) * 4;
    s.skip(ropeBytes);
    m.notes.push_back("precomputed RoPE tables freq_cis_real/freq_cis_imag ("
                      + std::to_string(h.seqLen) + " x " + std::to_string(headSize / 2)
                      + " floats each, " + std::to_string(ropeBytes) + " bytes at offset "
                      + std::to_string(ropeAt)
                      + ") are not parameters and are not listed as tensors");
    if (sharedClassifier)
        m.notes.push_back(
            "the classifier shares token_embedding (vocab_size > 0): no separate wcls");
    else
        s.add("wcls", {vocab, dim});
    m.notes.push_back(
        "llama2.c declares no norm epsilon or RoPE base: using its hard-coded 1e-5 and 10000");
    return m;
}

Model readLlama2c(const std::string &path)
{
    const auto file = MappedFile::open(path);
    Model m = parseLlama2c(file->bytes(), path);
    for (auto &t : m.tensors) {
        t.keepAlive = file;
        t.mappedFrom = file.get();
    }
    m.files.push_back(file);
    if (const auto tok = findTokenizer(path, m.hparams.vocabSize); !tok.empty()) {
        m.tokenizer.kind = "llama2c-bin";
        m.tokenizer.files.push_back(tok);
    } else {
        m.notes.push_back("no tok" + std::to_string(m.hparams.vocabSize)
                          + ".bin or tokenizer.bin beside the model: no tokenizer");
    }
    return m;
}

} // namespace cwb::io
