// SPDX-License-Identifier: MIT
#include "export/hf_config.h"

#include "io/json_meta.h"
#include "prune/structured_plan.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"
#include "util/write_steps.h"
#include "util/version.h"

#include <filesystem>
#include <fstream>

namespace cwb {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr uint64_t kMaxConfigBytes = 16ull * 1000 * 1000;

// Files of a HF directory's tokenizer and generation defaults, copied when present.
constexpr const char *kHfTokenizerFiles[] = {
    "tokenizer.json",   "tokenizer.model",        "tokenizer_config.json",
    "special_tokens_map.json", "added_tokens.json", "vocab.json",
    "merges.txt",       "generation_config.json", "tokenizer.bin"};

bool isFile(const fs::path &p)
{
    std::error_code ec;
    return fs::is_regular_file(p, ec);
}

int64_t metaInt(const Model &m, const char *key)
{
    const MetaValue *v = m.findMeta(key);
    if (!v || (v->kind != MetaValue::Kind::Int && v->kind != MetaValue::Kind::UInt))
        return -1;
    return v->asInt();
}

// The process's umask (from /proc/self/status: reading it with umask() would change it for a
// moment under other threads); 022 where it cannot be read.
fs::perms newFilePerms()
{
    unsigned mask = 022;
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.starts_with("Umask:"))
            mask = unsigned(std::stoul(line.substr(6), nullptr, 8));
    return fs::perms(0666 & ~mask);
}

void copyFile(const fs::path &from, const fs::path &to)
{
    std::error_code ec;
    writeStep(WriteStepKind::Write, to.string());
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
    if (ec)
        throwIn(to.string(), "cannot copy " + from.string() + " here: " + ec.message());
}

// Where a non-HF source's tokenizer files go in the directory, by the tokenizer's kind.
std::vector<std::pair<std::string, std::string>> tokenizerCopies(const Model &m)
{
    const TokenizerSource &t = m.tokenizer;
    std::vector<std::pair<std::string, std::string>> copies; // {from, name}
    const auto add = [&](size_t i, const char *name) {
        if (i < t.files.size())
            copies.emplace_back(t.files[i], name);
    };
    if (t.kind == "llama2c-bin") {
        add(0, "tokenizer.bin");
    } else if (t.kind == "sentencepiece") {
        add(0, "tokenizer.model");
    } else if (t.kind == "tokenizer.json") {
        add(0, "tokenizer.json");
        add(1, "tokenizer_config.json");
    } else if (t.kind == "vocab.json+merges.txt") {
        add(0, "vocab.json");
        add(1, "merges.txt");
    }
    return copies;
}

} // namespace

SpecialIds specialIdsOf(const Model &m)
{
    SpecialIds ids;
    for (const char *prefix : {"config.", "generation_config."}) {
        if (ids.bos < 0)
            ids.bos = metaInt(m, (std::string(prefix) + "bos_token_id").c_str());
        if (ids.eos < 0)
            ids.eos = metaInt(m, (std::string(prefix) + "eos_token_id").c_str());
    }
    if ((ids.bos < 0 || ids.eos < 0) && !m.tokenizer.kind.empty()) {
        try {
            const auto tok = loadTokenizer(m);
            if (ids.bos < 0)
                ids.bos = tok->bos();
            if (ids.eos < 0)
                ids.eos = tok->eos();
        } catch (const Error &) {
            // No ids then: config.json leaves them out, as a tokenizer-less source would.
        }
    }
    return ids;
}

Json hfLlamaConfig(const Model &m, bool tiedHead, std::string_view torchDtype,
                   std::vector<std::string> &notes)
{
    // Per-layer FFN widths (a structurally pruned model): LlamaConfig has one intermediate_size.
    if (m.family == ArchFamily::Llama)
        for (const std::string &why : planRefusals(m, StructuredPlan{}, PruneTarget::Safetensors))
            throwIn(m.path, "cannot be written with a Hugging Face config: " + why);
    const HyperParams &h = m.hparams;
    Json c = Json::object();
    const fs::path sourceConfig = fs::path(m.path) / "config.json";
    if (m.format == ModelFormat::HfDirectory && isFile(sourceConfig)) {
        c = io::readJsonFile(sourceConfig.string(), kMaxConfigBytes, "config.json");
        if (!c.is_object())
            throwIn(sourceConfig.string(), "config.json is not a JSON object");
        c.erase("quantization_config");
        c.erase("compression_config");
        notes.push_back("config.json: the source's, with the hyper-parameters set from the model "
                        "as read and torch_dtype " + std::string(torchDtype));
    } else {
        c["architectures"] = Json::array({"LlamaForCausalLM"});
        c["model_type"] = "llama";
        c["hidden_act"] = "silu";
        bool qBias = false;
        for (const Tensor &t : m.tensors)
            qBias = qBias || t.canonical.ends_with("attn.q.bias");
        c["attention_bias"] = qBias;
        c["mlp_bias"] = false;
        c["rope_scaling"] = nullptr;
        notes.push_back("config.json: LlamaForCausalLM from the model's hyper-parameters");
    }
    c["hidden_size"] = h.dim;
    c["intermediate_size"] = h.hiddenDim;
    c["num_hidden_layers"] = h.nLayers;
    c["num_attention_heads"] = h.nHeads;
    c["num_key_value_heads"] = h.nKvHeads > 0 ? h.nKvHeads : h.nHeads;
    c["head_dim"] = h.headDim;
    c["vocab_size"] = h.vocabSize;
    if (h.contextLength > 0)
        c["max_position_embeddings"] = h.contextLength;
    else
        notes.push_back("the model declares no context length: config.json has no "
                        "max_position_embeddings (transformers assumes 2048)");
    c["rms_norm_eps"] = h.normEps;
    c["rope_theta"] = h.ropeTheta;
    c["tie_word_embeddings"] = tiedHead;
    c["torch_dtype"] = std::string(torchDtype);
    const SpecialIds ids = specialIdsOf(m);
    if (!c.contains("bos_token_id") && ids.bos >= 0)
        c["bos_token_id"] = ids.bos;
    if (!c.contains("eos_token_id") && ids.eos >= 0)
        c["eos_token_id"] = ids.eos;
    return c;
}

std::vector<std::string> copyTokenizerFiles(const Model &m, const std::string &dir, bool preview,
                                            std::vector<std::string> &notes)
{
    std::vector<std::pair<std::string, std::string>> copies; // {from, name}
    if (m.format == ModelFormat::HfDirectory) {
        for (const char *name : kHfTokenizerFiles)
            if (isFile(fs::path(m.path) / name))
                copies.emplace_back((fs::path(m.path) / name).string(), name);
    } else {
        copies = tokenizerCopies(m);
    }
    std::vector<std::string> written;
    bool hfTokenizer = false, generation = false;
    for (const auto &[from, name] : copies) {
        if (!preview)
            copyFile(from, fs::path(dir) / name);
        written.push_back(name);
        hfTokenizer = hfTokenizer || name == "tokenizer.json" || name == "tokenizer.model"
                   || name == "vocab.json";
        generation = generation || name == "generation_config.json";
    }
    if (!written.empty()) {
        std::string list;
        for (const auto &n : written)
            list += (list.empty() ? "" : ", ") + n;
        notes.push_back("copied from the source: " + list);
    }
    if (!hfTokenizer) {
        std::string why = "the source has none";
        if (m.tokenizer.kind == "gguf")
            why = "the source's vocabulary is embedded in its GGUF and is not converted";
        else if (m.tokenizer.kind == "llama2c-bin")
            why = "the source's is a llama2.c tokenizer.bin (copied: our reader opens it, Hugging "
                  "Face engines do not)";
        notes.push_back("the directory has no tokenizer (no tokenizer.json or tokenizer.model): "
                        + why);
    }
    if (!generation) {
        const SpecialIds ids = specialIdsOf(m);
        if (ids.bos >= 0 || ids.eos >= 0) {
            Json g = Json::object();
            if (ids.bos >= 0)
                g["bos_token_id"] = ids.bos;
            if (ids.eos >= 0)
                g["eos_token_id"] = ids.eos;
            if (!preview)
                writeJsonFile(dir, "generation_config.json", g);
            written.push_back("generation_config.json");
        }
    }
    return written;
}

void writeJsonFile(const std::string &dir, const std::string &name, const Json &json)
{
    const std::string path = (fs::path(dir) / name).string();
    writeStep(WriteStepKind::Write, path);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << json.dump(2) << "\n";
    out.flush();
    if (!out)
        throwIn(path, "write failed");
}

void writeExportMarker(const std::string &dir, std::string_view target, const Model &m,
                       bool fromArchive, const std::vector<std::string> &files)
{
    Json j;
    j["schema"] = "cwb.export-directory/1";
    j["target"] = std::string(target);
    j["created_by"] = createdBy();
    j["source"] = m.path;
    j["compressed_tensors_from_archive"] = fromArchive;
    j["files"] = files;
    writeJsonFile(dir, kExportMarkerFile, j);
}

void givePlainFilePermissions(const std::string &dir, const std::vector<std::string> &names)
{
    const fs::perms perms = newFilePerms();
    for (const auto &name : names) {
        std::error_code ec;
        fs::permissions(fs::path(dir) / name, perms, fs::perm_options::replace, ec);
        if (ec)
            throwIn((fs::path(dir) / name).string(), "cannot set its permissions: " + ec.message());
    }
}

void listWrittenFiles(ExportResult &result, const std::string &out,
                      const std::vector<std::string> &names)
{
    result.files.clear();
    result.fileBytes = 0;
    for (const auto &name : names) {
        const fs::path p = fs::path(out) / name;
        std::error_code ec;
        result.fileBytes += fs::file_size(p, ec);
        result.files.push_back(p.string());
    }
    result.written = true;
    result.verified = true;
}

std::vector<std::string> writeHfDirectory(const std::string &dir,
                                          std::span<const io::SafetensorsTensor> tensors,
                                          const nlohmann::ordered_json &config, const Model &m,
                                          std::string_view target, bool fromArchive,
                                          std::vector<std::string> &notes)
{
    io::writeSafetensors((std::filesystem::path(dir) / kHfWeightsFile).string(), tensors,
                         {{"format", "pt"}});
    writeJsonFile(dir, "config.json", config);
    std::vector<std::string> files{"config.json", kHfWeightsFile};
    for (auto &name : copyTokenizerFiles(m, dir, false, notes))
        files.push_back(std::move(name));
    files.push_back(kExportMarkerFile);
    writeExportMarker(dir, target, m, fromArchive, files);
    givePlainFilePermissions(dir, files);
    return files;
}

} // namespace cwb
