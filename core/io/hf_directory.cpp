// SPDX-License-Identifier: MIT
// Hugging Face model directory: config.json (hyper-parameters), weights in model.safetensors or a
// sharded model.safetensors.index.json, and whichever tokenizer files are present. config.json is
// copied into metadata as "config.<key>" (nested objects flattened with dots) so nothing is lost;
// the fields every engine needs are also mapped onto HyperParams, under both the Llama-style names
// and GPT-2's (n_embd, n_layer, n_head, n_positions, n_inner).

#include "io/json_meta.h"
#include "io/readers.h"
#include "io/safetensors_reader.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <initializer_list>
#include <optional>

namespace cwb::io {
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace {

constexpr uint64_t kMaxConfigBytes = 16ull * 1000 * 1000;

// The first of `keys` holding a number; null values (GPT-2's "n_inner": null) count as absent.
std::optional<double> number(const Json &config, std::initializer_list<const char *> keys)
{
    for (const char *k : keys) {
        const auto it = config.find(k);
        if (it != config.end() && it->is_number())
            return it->get<double>();
    }
    return std::nullopt;
}

int64_t integer(const Json &config, std::initializer_list<const char *> keys,
                const std::string &source)
{
    const auto v = number(config, keys);
    if (!v)
        return 0;
    if (*v < 0 || *v > 1e15 || *v != static_cast<double>(static_cast<int64_t>(*v)))
        throwIn(source, std::string("config field '") + *keys.begin()
                            + "' is not a sane non-negative integer");
    return static_cast<int64_t>(*v);
}

std::string firstString(const Json &config, const char *key)
{
    const auto it = config.find(key);
    if (it == config.end())
        return {};
    if (it->is_string())
        return it->get<std::string>();
    if (it->is_array() && !it->empty() && it->front().is_string())
        return it->front().get<std::string>();
    return {};
}

HyperParams hyperParams(const Json &c, const std::string &source)
{
    HyperParams h;
    h.dim = integer(c, {"hidden_size", "n_embd", "d_model"}, source);
    h.nLayers = integer(c, {"num_hidden_layers", "n_layer", "num_layers"}, source);
    h.nHeads = integer(c, {"num_attention_heads", "n_head"}, source);
    h.nKvHeads = integer(c, {"num_key_value_heads"}, source);
    h.headDim = integer(c, {"head_dim"}, source);
    h.hiddenDim = integer(c, {"intermediate_size", "n_inner", "ffn_dim"}, source);
    h.vocabSize = integer(c, {"vocab_size"}, source);
    h.contextLength = integer(c, {"max_position_embeddings", "n_positions", "n_ctx"}, source);
    if (const auto eps = number(c, {"rms_norm_eps", "layer_norm_epsilon", "layer_norm_eps"}))
        h.normEps = *eps;
    if (const auto theta = number(c, {"rope_theta"}))
        h.ropeTheta = *theta;
    const auto modelType = firstString(c, "model_type");
    if (modelType == "gpt2" && h.hiddenDim == 0)
        h.hiddenDim = 4 * h.dim; // GPT-2's n_inner: null means 4 * n_embd
    // transformers' PretrainedConfig defaults tie_word_embeddings to true; the adapter corrects
    // this when an lm_head tensor with different contents is present.
    const auto tie = c.find("tie_word_embeddings");
    h.tiedEmbeddings = tie == c.end() || !tie->is_boolean() || tie->get<bool>();
    return h;
}

bool isFile(const fs::path &p)
{
    std::error_code ec;
    return fs::is_regular_file(p, ec);
}

std::string absolutePath(const fs::path &p)
{
    std::error_code ec;
    const auto a = fs::absolute(p, ec);
    return (ec ? p : a).lexically_normal().string();
}

// Records the tokenizer files in the directory, preferring the richest description.
TokenizerSource findTokenizer(const fs::path &dir)
{
    TokenizerSource t;
    if (isFile(dir / "tokenizer.json")) {
        t.kind = "tokenizer.json";
        t.files.push_back(absolutePath(dir / "tokenizer.json"));
        if (isFile(dir / "tokenizer_config.json"))
            t.files.push_back(absolutePath(dir / "tokenizer_config.json"));
    } else if (isFile(dir / "tokenizer.model")) {
        t.kind = "sentencepiece";
        t.files.push_back(absolutePath(dir / "tokenizer.model"));
    } else if (isFile(dir / "vocab.json") && isFile(dir / "merges.txt")) {
        t.kind = "vocab.json+merges.txt";
        t.files = {absolutePath(dir / "vocab.json"), absolutePath(dir / "merges.txt")};
    } else if (isFile(dir / "tokenizer.bin")) {
        t.kind = "llama2c-bin";
        t.files.push_back(absolutePath(dir / "tokenizer.bin"));
    }
    return t;
}

} // namespace

Model readHfDirectory(const std::string &dirPath)
{
    const fs::path dir(dirPath);
    Model m;
    if (isFile(dir / "model.safetensors.index.json"))
        m = readSafetensorsIndex((dir / "model.safetensors.index.json").string());
    else if (isFile(dir / "model.safetensors"))
        m = readSafetensorsFile((dir / "model.safetensors").string());
    else if (isFile(dir / "pytorch_model.bin") || isFile(dir / "pytorch_model.bin.index.json"))
        throwIn(dirPath,
                "holds PyTorch pickle weights (pytorch_model.bin); only safetensors weights "
                "are read — convert them to model.safetensors first");
    else
        throwIn(dirPath, "no model.safetensors or model.safetensors.index.json in this directory");
    m.path = dirPath;
    m.format = ModelFormat::HfDirectory;

    const fs::path configPath = dir / "config.json";
    if (isFile(configPath)) {
        const Json config = readJsonFile(configPath.string(), kMaxConfigBytes, "config.json");
        if (!config.is_object())
            throwAt(configPath.string(), 0, "config.json is not a JSON object");
        appendJsonMeta(config, "config", m.metadata);
        m.hparams = hyperParams(config, configPath.string());
        m.architecture = firstString(config, "model_type");
        if (m.architecture.empty())
            m.architecture = firstString(config, "architectures");
        if (m.architecture.empty())
            m.notes.push_back("config.json names no model_type or architectures");
    } else {
        m.notes.push_back("no config.json: hyper-parameters are inferred from tensor shapes");
    }
    const fs::path generationPath = dir / "generation_config.json";
    if (isFile(generationPath))
        appendJsonMeta(
            readJsonFile(generationPath.string(), kMaxConfigBytes, "generation_config.json"),
            "generation_config", m.metadata);

    m.tokenizer = findTokenizer(dir);
    if (m.tokenizer.kind.empty())
        m.notes.push_back(
            "no tokenizer files (tokenizer.json, tokenizer.model, vocab.json + merges.txt, "
            "tokenizer.bin) in the directory");
    // Llama-family HF checkpoints use rotate_half RoPE; the adapter sets it once the family is
    // known.
    return m;
}

} // namespace cwb::io
