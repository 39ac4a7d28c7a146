// SPDX-License-Identifier: MIT
#pragma once
// How a run is set up from what the user chose, one function per decision, so that the CLI
// (core/cli) and the GUI (widgets/evaluate_panel, widgets/compression_panel) cannot disagree:
//   - evaluating compressed weights: the engine gets them in place of the model's tensors;
//   - evaluating an archive: its source model with the archive's tensors in place;
//   - compressing: the calibration and thread settings the pipeline takes.
// It sits with the archive and the pipeline (above eval): it joins their types.

#include "compress/compressed_model.h"
#include "eval/evaluation.h"
#include "pipeline/archive.h"
#include "pipeline/pipeline.h"

#include <cstdint>
#include <string>

namespace cwb {

// Evaluate `weights` in place of the model's tensors; `label` names the run in the results
// ("stories260K.gguf (compressed, Q4_0)").
void useCompressedWeights(EvalParams &params, const CompressedReplacements &weights,
                          std::string label);

// Evaluate an opened archive: its source model with the compressed tensors in place, labelled
// with the archive's file name. `archive` must outlive the evaluation (params.model points
// into it).
void useArchive(EvalParams &params, const OpenedArchive &archive, const std::string &archivePath);

struct CompressionInputs {
    std::string calibrationPath;   // UTF-8 text; empty: none
    int64_t sequences = 0;         // calibration sequences; 0: CompressParams' default (64)
    int64_t tokensPerSequence = 0; // with BOS; 0: CompressParams' default (256)
    int threads = 0;               // pipeline and calibration threads; 0 = all cores
    bool sequential = false;       // CompressParams::sequentialCalibration
    std::string recipeJson;        // stored with the result, as given
};

[[nodiscard]] CompressParams compressParams(const CompressionInputs &inputs);

} // namespace cwb
