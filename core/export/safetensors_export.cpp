// SPDX-License-Identifier: MIT
// exportSafetensors: plan every tensor as dense floats, write the directory through
// io::writeSafetensors, reopen it with io::openModel and compare every tensor and the
// hyper-parameters with the source.
#include "export/safetensors_export.h"

#include "export/hf_config.h"
#include "export/hf_dense_tensor.h"
#include "export/hf_tensors.h"
#include "io/open_model.h"
#include "io/safetensors_writer.h"
#include "util/atomic_directory.h"
#include "util/error.h"

#include <filesystem>

namespace cwb {
namespace {

namespace fs = std::filesystem;


// The reopened directory must describe the same model: the fields an engine sizes it from.
void checkHyperParams(const Model &back, const Model &m, bool tiedHead, const std::string &path)
{
    const HyperParams &a = back.hparams, &b = m.hparams;
    const auto same = [&](const char *what, int64_t x, int64_t y) {
        if (x != y)
            throwIn(path, std::string("verification: config.json reads back ") + what + " = "
                              + std::to_string(x) + ", the model has " + std::to_string(y));
    };
    same("hidden_size", a.dim, b.dim);
    same("num_hidden_layers", a.nLayers, b.nLayers);
    same("num_attention_heads", a.nHeads, b.nHeads);
    same("num_key_value_heads", a.nKvHeads, b.nKvHeads > 0 ? b.nKvHeads : b.nHeads);
    same("head_dim", a.headDim, b.headDim);
    same("intermediate_size", a.hiddenDim, b.hiddenDim);
    same("vocab_size", a.vocabSize, b.vocabSize);
    same("tie_word_embeddings", a.tiedEmbeddings, tiedHead);
    if (back.family != ArchFamily::Llama || back.rope != RopeLayout::HalfSplit)
        throwIn(path, "verification: the directory does not read back as a Hugging Face Llama "
                      "model (rotate_half Q/K rows)");
}

void verify(const std::string &temp, const std::string &path, const Model &m, bool tiedHead,
            std::vector<DenseTensorPlan> &planned, const JobContext &job)
{
    const Model back = io::openModel(temp);
    checkHyperParams(back, m, tiedHead, path);
    if (back.tensors.size() != planned.size())
        throwIn(path, "verification: read back " + std::to_string(back.tensors.size())
                          + " tensors, " + std::to_string(planned.size()) + " were written");
    for (DenseTensorPlan &p : planned) {
        job.checkCancelled();
        const Tensor *t = back.findTensor(p.report.name);
        if (!t)
            throwIn(path, "verification: " + p.report.name + " is missing");
        checkDenseTensor(p, *t, path);
    }
}

} // namespace

ExportResult exportSafetensors(const ExportRequest &request, const JobContext &job)
{
    if (!request.model)
        throw Error("safetensors export: no model given");
    const Model &m = *request.model;
    if (request.floatType != DType::F32 && request.floatType != DType::F16
        && request.floatType != DType::BF16)
        throw Error("safetensors export: float type "
                    + std::string(dtypeName(request.floatType)) + " is not F32, F16 or BF16");
    if (request.outPath.empty())
        throw Error("safetensors export: no output directory given");
    checkReplaceableDirectory(request.outPath, kExportMarkerFile);

    ExportResult result;
    result.target = "safetensors";
    result.path = request.outPath;
    HfTensorList list = hfTensorList(m, request.compressed, "safetensors export");
    result.notes = list.notes;
    std::vector<DenseTensorPlan> planned;
    planned.reserve(list.tensors.size());
    for (size_t i = 0; i < list.tensors.size(); ++i) {
        job.checkCancelled();
        const HfTensor &t = list.tensors[i];
        job.report(0.7 * double(i) / double(list.tensors.size()), "tensor " + t.name);
        planned.push_back(planDenseTensor(t, m.hparams.headDim, request.floatType,
                                          !request.preview));
    }
    const nlohmann::ordered_json config =
        hfLlamaConfig(m, list.tiedHead, torchDtypeName(request.floatType), result.notes);
    result.notes.push_back("norms and other 1-D tensors are written F32, matrices "
                           + std::string(dtypeName(request.floatType)));

    if (request.preview) {
        (void)copyTokenizerFiles(m, {}, true, result.notes);
        for (auto &p : planned)
            result.tensors.push_back(std::move(p.report));
        return result;
    }
    std::vector<std::string> files;
    writeDirectoryAtomically(request.outPath, kExportMarkerFile, [&](const std::string &temp) {
        job.report(0.7, "writing " + request.outPath);
        job.checkCancelled();
        std::vector<io::SafetensorsTensor> tensors;
        tensors.reserve(planned.size());
        for (const DenseTensorPlan &p : planned)
            tensors.push_back({.name = p.report.name, .dtype = p.type, .shape = p.shape,
                               .bytes = p.bytes});
        files = writeHfDirectory(temp, tensors, config, m, result.target,
                                 request.compressed != nullptr, result.notes);
        job.checkCancelled();
        job.report(0.85, "verifying " + request.outPath);
        verify(temp, request.outPath, m, list.tiedHead, planned, job);
    }, request.writeHooks);
    listWrittenFiles(result, request.outPath, files);
    for (auto &p : planned)
        result.tensors.push_back(std::move(p.report));
    job.report(1.0, "done");
    return result;
}

} // namespace cwb
