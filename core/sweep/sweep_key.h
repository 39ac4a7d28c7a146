// SPDX-License-Identifier: MIT
#pragma once
// What makes two sweep points the same measurement, so a point already in the project's
// history is never measured again (resume) and results from other machines merge without
// duplicates (Slurm). A point's key is 64-bit FNV-1a, as 16 hex digits, over the text
//
//   cwb.history-key/1
//   model <format> <file size> <file count> <content hash>    (model/model_fingerprint.h)
//   recipe <canonical recipe, or nothing for the original model>
//   <setting>=<value>                                          one line each, sorted by name
//
// The canonical recipe is the recipe parsed and written back (recipe/recipe_edit.h
// recipeToJson) without the fields for people (name, description, comments), then printed as
// compact JSON with sorted keys: formatting, key order and comments do not change the key, any
// method, parameter, pattern or rule order does.
// The settings (evaluationSettings) hold the evaluation text's size and content hash (not its
// path, so a moved file or another machine's copy is the same), n_ctx, chunks and protocol, the
// latency measurement when on, "activations=integer" when integer activations are on (absent for
// float ones, so keys from before that setting existed stay valid), and the calibration text's
// hash and amounts only for plans that read calibration statistics.

#include "model/model_fingerprint.h"

#include <cstdint>
#include <map>
#include <string>

namespace cwb {

// The evaluation every point of a sweep shares.
struct SweepEvaluation {
    std::string textPath;       // UTF-8 text scored (llama.cpp's protocol)
    int64_t nCtx = 512;         // window length
    int64_t chunks = 0;         // windows; 0 = as many as the text holds
    bool latency = false;       // also measure prefill and decode speed
    int64_t latencyPrompt = 128;
    int64_t latencyGenerate = 32;
    // Quantized matrices take integer (Q8) activations, llama.cpp's arithmetic and speed
    // (EngineOptions::emulateQ8Activations); off: float activations.
    bool integerActivations = false;
};

// The calibration every point that needs one shares (pipeline/run_inputs.h defaults: 0 = 64
// sequences of 256 tokens).
struct SweepCalibration {
    std::string path; // empty: none
    int64_t sequences = 0;
    int64_t tokensPerSequence = 0;
};

// Size and FNV-1a content hash of a file, read once per sweep. Throws cwb::Error naming it.
struct FileIdentity {
    uint64_t bytes = 0;
    uint64_t hash = 0;
};
[[nodiscard]] FileIdentity fileIdentity(const std::string &path);

// The settings part of a key; `calibration` is null when the plan reads no statistics.
[[nodiscard]] std::map<std::string, std::string>
evaluationSettings(const SweepEvaluation &eval, const FileIdentity &text,
                   const SweepCalibration *calibration, const FileIdentity *calibrationText);

// The canonical form above; throws cwb::Error listing every problem when `recipeJson` is no
// valid recipe (`source` names it). Empty for an empty recipe (the original model).
[[nodiscard]] std::string canonicalRecipe(const std::string &recipeJson, const std::string &source);

// 16 lowercase hex digits of FNV-1a over `text`.
[[nodiscard]] std::string hashHex(const std::string &text);

[[nodiscard]] std::string historyKey(const ModelFingerprint &model, const std::string &canonical,
                                     const std::map<std::string, std::string> &settings);

} // namespace cwb
