// SPDX-License-Identifier: MIT
#include "compare/compare_side.h"

#include "io/open_model.h"
#include "model/model_fingerprint.h"

#include <filesystem>

namespace cwb {

EngineOptions CompareSide::engineOptions(int threads) const
{
    EngineOptions o;
    o.threads = threads;
    if (archive) {
        o.replacements = archive->replacements.matrices;
        o.vectorReplacements = archive->replacements.vectors;
    }
    return o;
}

const CompressedTensor *CompareSide::compressed(const Tensor &tensor) const
{
    if (!archive)
        return nullptr;
    return archive->compressed.find(tensor.canonical.empty() ? tensor.name : tensor.canonical);
}

std::vector<float> CompareSide::values(const Tensor &tensor) const
{
    if (const CompressedTensor *c = compressed(tensor))
        return c->reconstruct();
    return tensor.toFloat();
}

uint64_t CompareSide::storedBytes() const
{
    return archive ? archive->compressed.totals.compressedBytes : model->totals().bytes;
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
    side.label = std::filesystem::path(path).filename().string();
    if (side.label.empty())
        side.label = path;
    if (isArchive(path)) {
        side.archive = std::make_shared<const OpenedArchive>(openArchive(path));
        side.model = side.archive->source;
    } else {
        side.model = std::make_shared<const Model>(io::openModel(path));
    }
    return side;
}

bool isOriginalOf(const CompareSide &original, const CompareSide &compressed)
{
    if (original.isArchive() || !compressed.isArchive())
        return false;
    const ModelFingerprint fp = fingerprintModel(*original.model);
    return fp.fileSize == compressed.archive->compressed.sourceFileSize
           && fp.hashHex() == compressed.archive->compressed.sourceHash;
}

} // namespace cwb
