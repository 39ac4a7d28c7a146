// SPDX-License-Identifier: MIT
#pragma once
// The evaluation history of a project: every plan that was compressed and evaluated on this
// model (by a sweep, sweep/sweep.h), with its recipe, how it was measured and what it cost and
// bought. One point per identity `key`, a hash of the model, the canonical recipe and the
// evaluation settings (sweep/sweep_key.h computes it; here it is an opaque name), so a point is
// never measured twice and a sweep can resume from the project.
//
// Stored in the project file as the optional /history group (project_history.cpp; README
// "Project file (.cwbproj) layout"):
//   /history           @point_count
//   /history/<key>     @index (order of measurement) @key @name @recipe_hash @created_by
//                      @finished @text_path @calibration_path @threads, @reference_path (only
//                      on a reference point), the metrics below as attributes of the same names (@has_kld, @has_latency: 0/1);
//     recipe           the recipe as given: one UTF-8 string (absent for the original model)
//     settings         one string attribute per evaluation setting (escaped like /settings)
// Projects without /history read as an empty history; builds that predate it never open it.

#include <cstdint>
#include <map>
#include <string>

namespace cwb {

struct HistoryPoint {
    std::string key;        // 16 hex digits: the identity (model, canonical recipe, settings)
    std::string name;       // for people: "original" or the recipe's file name without .json
    std::string recipeJson; // the recipe as given; empty: the original model, uncompressed
    std::string recipeHash; // 16 hex digits over the canonical recipe; empty for the original
    // A reference point: another file of the same model (e.g. llama.cpp's own Q4_K_M GGUF of
    // it), evaluated by our engine as it is stored, against the original's logits. Empty for
    // the original and for recipes. Drawn apart on the charts, never on the Pareto front.
    std::string referencePath;
    // What the measurement depends on besides model and recipe, as key -> value
    // ("eval.n_ctx" -> "512"); part of the key. Paths are not: content hashes are.
    std::map<std::string, std::string> settings;
    std::string createdBy;       // the build that measured it
    std::string finished;        // when, UTC ISO 8601 ("2025-05-01T12:34:56Z")
    std::string textPath;        // the evaluation text as given (for people)
    std::string calibrationPath; // the calibration text, when the plan needed one
    int threads = 0;             // engine threads (0 = all cores)

    uint64_t bytes = 0;      // stored bytes of the whole model, a tied copy counted once
    uint64_t parameters = 0;
    double bitsPerWeight = 0; // bytes * 8 / parameters
    double ppl = 0;
    double pplStderr = 0;
    int64_t tokensScored = 0;
    int64_t windows = 0;
    // KL divergence to the original's logits on the same windows. The original is the base
    // itself: hasKld with 0, 0 and 100 %.
    bool hasKld = false;
    double kldMean = 0;
    double kldP99 = 0;
    double top1Pct = 0; // % of positions whose most likely token agrees with the original's
    bool hasLatency = false;  // measured prefill and decode speed (with `threads`)
    double prefillTokPerS = 0;
    double decodeTokPerS = 0;
    uint64_t weightBytes = 0; // what the engine holds for the weights
    uint64_t kvBytes = 0;     // KV cache at the evaluation's n_ctx
    double peakRssMiB = 0;    // process high-water mark during this point (reset before it
                              // where the system allows, host/memory_status.h)
    double seconds = 0;         // compression + evaluation, wall time
    double compressSeconds = 0; // of which compression (0 for the original)

    bool operator==(const HistoryPoint &) const = default;
};

} // namespace cwb
