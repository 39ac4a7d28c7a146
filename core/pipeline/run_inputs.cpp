// SPDX-License-Identifier: MIT
#include "pipeline/run_inputs.h"

#include <filesystem>

namespace cwb {

void useCompressedWeights(EvalParams &params, const CompressedReplacements &weights,
                          std::string label)
{
    params.replacements = weights.matrices;
    params.vectorReplacements = weights.vectors;
    params.modelLabel = std::move(label);
}

void useArchive(EvalParams &params, const OpenedArchive &archive, const std::string &archivePath)
{
    params.model = archive.source.get();
    useCompressedWeights(params, archive.replacements,
                         std::filesystem::path(archivePath).filename().string());
}

CompressParams compressParams(const CompressionInputs &inputs)
{
    CompressParams p;
    p.calibrationPath = inputs.calibrationPath;
    p.threads = inputs.threads;
    p.calibration.threads = inputs.threads;
    if (inputs.sequences > 0)
        p.calibration.sequences = inputs.sequences;
    if (inputs.tokensPerSequence > 0)
        p.calibration.tokensPerSequence = inputs.tokensPerSequence;
    p.sequentialCalibration = inputs.sequential;
    p.recipeJson = inputs.recipeJson;
    return p;
}

} // namespace cwb
