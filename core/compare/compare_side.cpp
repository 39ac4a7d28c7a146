// SPDX-License-Identifier: MIT
#include "compare/compare_side.h"

#include "io/open_model.h"
#include "model/model_fingerprint.h"
#include "prune/structured_plan.h"
#include "util/error.h"


#include <filesystem>

namespace cwb {

namespace {

std::string fileLabel(const std::string &path)
{
    std::string label = std::filesystem::path(path).filename().string();
    return label.empty() ? path : label;
}

} // namespace


EngineOptions CompareSide::engineOptions(int threads) const
{
    EngineOptions o;
    o.threads = threads;
    if (replacements) {
        o.replacements = replacements->matrices;
        o.vectorReplacements = replacements->vectors;
    }
    return o;
}

std::string CompareSide::sourceKey(const Tensor &tensor) const
{
    const std::string key = tensor.canonical.empty() ? tensor.name : tensor.canonical;
    if (!compression || compression->structure.droppedBlocks.empty() || tensor.canonical.empty())
        return key;
    return nameBeforeDrops(key, compression->structure.droppedBlocks);
}

const CompressedTensor *CompareSide::compressed(const Tensor &tensor) const
{
    if (!compression)
        return nullptr;
    return compression->find(tensor.canonical.empty() ? tensor.name : tensor.canonical);
}

std::vector<float> CompareSide::values(const Tensor &tensor) const
{
    if (const CompressedTensor *c = compressed(tensor))
        return c->reconstruct();
    return tensor.toFloat();
}

uint64_t CompareSide::storedBytes() const
{
    return compression ? compression->totals.compressedBytes : model->totals().bytes;
}

double CompareSide::bitsPerWeight() const
{
    const int64_t parameters = model->totals().parameters;
    return parameters > 0 ? double(storedBytes()) * 8.0 / double(parameters) : 0.0;
}

CompareSide openCompareSide(const std::string &path)
{
    CompareSide side;
    side.path = path;
    side.label = fileLabel(path);
    if (isArchive(path)) {
        // The side's pointers share the opened archive's lifetime (aliasing constructors).
        const auto opened = std::make_shared<const OpenedArchive>(openArchive(path));
        side.model = opened->source;
        side.compression = std::shared_ptr<const CompressedModel>(opened, &opened->compressed);
        side.replacements =
            std::shared_ptr<const CompressedReplacements>(opened, &opened->replacements);
    } else {
        side.model = std::make_shared<const Model>(io::openModel(path));
    }
    return side;
}

CompareSide modelCompareSide(std::shared_ptr<const Model> model)
{
    if (!model)
        throwIn("compare", "no model");
    CompareSide side;
    side.path = model->path;
    side.label = fileLabel(model->path);
    side.model = std::move(model);
    return side;
}

CompareSide compressedCompareSide(std::shared_ptr<const Model> model,
                                  std::shared_ptr<const CompressedModel> compression,
                                  std::string label,
                                  std::shared_ptr<const CompressedReplacements> replacements)
{
    if (!model || !compression)
        throwIn("compare", "compressed weights without " + std::string(model ? "a compression"
                                                                             : "their model"));
    CompareSide side;
    side.path = label;
    side.label = std::move(label);
    if (!replacements)
        replacements = std::make_shared<const CompressedReplacements>(replacementsOf(*compression));
    side.model = std::move(model);
    side.compression = std::move(compression);
    side.replacements = std::move(replacements);
    return side;
}

bool isOriginalOf(const CompareSide &original, const CompareSide &compressed)
{
    if (original.isCompressed() || !compressed.isCompressed())
        return false;
    const ModelFingerprint fp = fingerprintModel(*original.model);
    return fp.fileSize == compressed.compression->sourceFileSize
           && fp.hashHex() == compressed.compression->sourceHash;
}

} // namespace cwb
