// SPDX-License-Identifier: MIT
#pragma once
// One call that evaluates a model on a text: perplexity (llama.cpp's protocol or full windows),
// optional KL divergence against a saved base run, optional latency, and the memory figures.
// The GUI and the CLI both call runEvaluation(); everything else in core/eval is its parts.

#include "eval/device_profile.h"
#include "eval/kv_cache_type.h"
#include "jobs/job_context.h"
#include "model/model.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cwb {

// How windows are cut from the token stream and which positions are scored.
enum class PplProtocol {
    // llama-perplexity: text tokenized once with BOS; n_chunk = floor(n_tokens / nCtx) windows
    // of nCtx tokens; the first token of each window replaced by BOS; each window evaluated from
    // an empty cache; predictions scored for the second half only (positions nCtx/2 .. nCtx-1).
    LlamaCppHalfWindow,
    // Non-overlapping windows of nCtx tokens over [BOS] + text; every prediction scored
    // (token t+1 from logits at t, t = 0 .. nCtx-2); BOS only at the start of the text.
    FullWindow,
};

class LinearWeights;

struct EvalParams {
    std::string modelPath;        // opened with io::openModel when `model` is null
    const Model *model = nullptr; // an already open model (the GUI's); takes precedence
    std::string modelLabel;       // shown instead of the model's file name (e.g. an archive's)
    std::string textPath;         // UTF-8 text file to score
    int64_t nCtx = 512;           // window length in tokens, 2 <= nCtx <= model context limit
    int64_t chunks = 0;           // windows to score; 0 = as many as the text holds
    int threads = 0;              // engine worker threads; 0 = all cores
    PplProtocol protocol = PplProtocol::LlamaCppHalfWindow;
    std::string saveLogitsPath;   // non-empty: write the scored log-probabilities here (a base)
    std::string kldBasePath;      // non-empty: compare against this base (KLD, top-1, Δppl)
    bool emulateQ8 = false;       // integer activations: Q8 inputs, int8 dot products (llama.cpp)
    KvCacheType cacheTypeK = KvCacheType::F32; // KV cache storage (llama.cpp's -ctk / -ctv)
    KvCacheType cacheTypeV = KvCacheType::F32;
    bool measureLatency = false;  // also measure prefill/decode latency, with `threads` and with 1
    int64_t latencyPrompt = 128;  // prefill length P for the latency measurement
    int64_t latencyGenerate = 32; // decode steps G for the latency measurement
    bool estimateDevices = false; // measure this CPU and estimate decode speed on every device
                                  // profile (roofline, at a context of nCtx)
    // Passed to the engine as EngineOptions::replacements (compressed weights to evaluate).
    std::map<std::string, std::shared_ptr<const LinearWeights>> replacements;
    // Passed as EngineOptions::vectorReplacements (compressed norms and biases).
    std::map<std::string, std::shared_ptr<const std::vector<float>>> vectorReplacements;
};

struct KldSummary {
    double mean = 0; // mean over scored positions of sum_v p_base(v) (log p_base(v) - log p(v))
    double meanStderr = 0; // standard error of that mean
    double median = 0;
    double p99 = 0; // 99th percentile
    double max = 0;
    double top1AgreementPct = 0; // % of positions where both runs' most likely tokens agree
    double basePpl = 0;          // perplexity of the base run on the same positions
    double pplRatio = 0;         // ppl / basePpl (llama.cpp's "Mean PPL(Q)/PPL(base)")
    double deltaPpl = 0;         // ppl - basePpl
    int64_t positions = 0;
};

struct LatencySummary {
    double prefillTokPerS = 0; // prompt of `promptTokens` tokens in one eval, logits for the last
    double decodeTokPerS = 0;  // `generatedTokens` single-token evals after the prompt
    double tokenP50Ms = 0;     // per decoded token
    double tokenP95Ms = 0;
    int64_t promptTokens = 0;
    int64_t generatedTokens = 0;
    int threads = 0; // threads the engine ran with (0 = all cores)
};

struct EvalResult {
    std::string modelLabel;   // file name of the model
    double bitsPerWeight = 0; // stored bits per weight of the model's tensors
    PplProtocol protocol = PplProtocol::LlamaCppHalfWindow;
    int64_t nCtx = 0;

    double ppl = 0;
    double pplStderr = 0; // as llama-perplexity reports it (delta method on the mean NLL)
    double meanNll = 0;   // nats per scored token
    int64_t tokensScored = 0;
    int64_t windows = 0;
    int64_t textTokens = 0; // tokens in the whole text (with BOS)

    bool hasKld = false; // true when kldBasePath was given
    KldSummary kld;

    bool hasLatency = false;            // true when measureLatency was set
    LatencySummary latency;             // with `threads` threads (0 = all cores)
    LatencySummary latencySingleThread; // the same measurement with one thread

    uint64_t weightBytes = 0;  // stored bytes of every weight the engine uses
    uint64_t kvCacheBytes = 0; // KV cache at nCtx: K and V together
    uint64_t kvCacheKeyBytes = 0, kvCacheValueBytes = 0; // each side, as its type stores it
    KvCacheType cacheTypeK = KvCacheType::F32, cacheTypeV = KvCacheType::F32;
    double peakRssMiB = 0;     // process high-water mark (VmHWM) after the run
    double seconds = 0;        // wall time of the whole evaluation
    double evalTokPerS = 0;    // tokens evaluated per second during the perplexity run

    // Roofline decode estimates, one per device profile (each has estimate == true); filled
    // when estimateDevices was set. hostMeasurement holds this CPU's measured triad and GEMM.
    std::vector<eval::RooflineEstimate> deviceEstimates;
    eval::HostMeasurement hostMeasurement;
    std::vector<std::string> notes; // things the user should know about this run
};

[[nodiscard]] const char *protocolName(PplProtocol p); // "llama" or "full"

// Runs the evaluation. Reports progress once per window ("window 3/100: ppl 4.21"); polls
// ctx between windows and layers and throws cwb::Cancelled when cancelled. Throws cwb::Error for
// empty or non-UTF-8 text (naming the byte offset), nCtx out of range, a text shorter than one
// window, and a KLD base recorded from different tokens, nCtx or vocabulary.
[[nodiscard]] EvalResult runEvaluation(const EvalParams &params, const JobContext &ctx = {});

} // namespace cwb
