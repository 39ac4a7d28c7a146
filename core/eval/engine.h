// SPDX-License-Identifier: MIT
#pragma once
// The inference engine: a decoder-only transformer (llama family, GPT-2) evaluated on the CPU
// with a KV cache. Prefill runs batched matrix-matrix products; decode one token at a time.
// Metrics (perplexity, KLD, latency) and the GUI all go through this one class.

#include "eval/kv_cache_type.h"
#include "jobs/job_context.h"
#include "model/model.h"

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace cwb {

class LinearWeights;

// One distinct input of linear projections: q, k and v read the same normed rows, and so do
// gate and up, so each such input is one site. Names are listed in analysis/activation_stats.h.
struct LinearInputSite {
    std::string name;                 // "layers.3.attn_norm.out"
    int64_t layer = 0;
    std::vector<std::string> weights; // canonical names of the weights that read it
    int64_t inFeatures = 0;
};

// Sees every projection input during eval() (prefill and decode), before the projections run:
// x holds nRows x site.inFeatures row-major floats (the values before any Q8 emulation), valid
// only during the call. Called on the engine's arena thread that runs eval(), one call at a time
// (it may use oneTBB inside); an exception it throws leaves eval() like any other failure.
class LinearInputObserver {
public:
    virtual ~LinearInputObserver() = default;
    virtual void observe(const LinearInputSite &site, const float *x, int64_t nRows) = 0;
};

struct EngineOptions {
    int threads = 0;                  // oneTBB worker threads for this engine; 0 = all cores
    // Integer activations: matmul inputs of ggml-block weights quantized to Q8_0 / Q8_K blocks
    // and multiplied in int8 as llama.cpp's CPU backend does (eval/ggml_linear.h), the model's
    // tensors and replacements alike (LinearWeights::withIntegerActivations); off: float
    // activations. (The name is from when this only emulated the rounding.)
    bool emulateQ8Activations = false;
    // Storage of the K and V caches (llama.cpp's -ctk / -ctv); kvCacheBytes() follows them.
    KvCacheType cacheTypeK = KvCacheType::F32;
    KvCacheType cacheTypeV = KvCacheType::F32;
    // Null: nothing is observed and nothing is spent on it.
    std::shared_ptr<LinearInputObserver> observer;
    // Layer projections to use instead of the model's tensors, by canonical name
    // ("layers.3.attn.q"): e.g. compressed weights under evaluation. Each must have the Linear
    // shape [out x in] the tensor has (named on mismatch); a name that is not a projection of the
    // model is refused. weightBytes() counts their storedBytes() instead of the tensor's bytes.
    // Also "embed" and "head" (the embedding is read a row at a time through row(); a head tied
    // to the embedding follows an embed replacement unless it has its own).
    std::map<std::string, std::shared_ptr<const LinearWeights>> replacements;
    // 1-D tensors (norm weights, biases) to use instead of the model's, by canonical name; the
    // length must match (named on mismatch); a name the engine does not read is refused.
    std::map<std::string, std::shared_ptr<const std::vector<float>>> vectorReplacements;
};

class Engine {
public:
    // Builds the runtime from a loaded model. Throws cwb::Error naming a missing or misshapen
    // tensor, an unsupported architecture, or NaN/Inf found in a weight (with the tensor name).
    static std::unique_ptr<Engine> create(const Model &model, const EngineOptions &options = {});
    virtual ~Engine() = default;

    [[nodiscard]] virtual int64_t vocabSize() const = 0;
    [[nodiscard]] virtual int64_t contextLimit() const = 0; // what the model supports
    [[nodiscard]] virtual uint64_t weightBytes() const = 0;  // stored bytes of all weights used
    [[nodiscard]] virtual uint64_t kvCacheBytes(int64_t nCtx) const = 0;

    // Empties the KV cache and reserves room for nCtx positions (2 <= nCtx <= contextLimit()).
    virtual void reset(int64_t nCtx) = 0;
    [[nodiscard]] virtual int64_t position() const = 0; // tokens already in the cache

    // Appends `tokens` after position(); fills `logits` with [n x vocab] row-major values for every
    // new position when allLogits, else [1 x vocab] for the last. Polls ctx between layers.
    // Throws cwb::Error when the cache would overflow or a logit is NaN/Inf (naming the position).
    virtual void eval(std::span<const int32_t> tokens, std::vector<float> &logits, bool allLogits,
                      const JobContext &ctx = {}) = 0;

    // ---- One window in stages (work that changes one layer reruns only what follows it) ----
    // A window of n tokens is evaluated from an empty cache as embedWindow -> runLayers (any
    // split of [0, layerCount())) -> windowLogits, the residual stream `hidden` ([n x
    // hiddenSize()] row-major) carried between the stages: the same values eval() computes for
    // the window, because layer l reads only the stream and its own KV cache rows. The stages
    // write the cache rows 0 .. n-1 of the layers they run and leave position() as it was; call
    // reset(nCtx >= n) first and do not mix them with eval() before the next reset().
    [[nodiscard]] virtual int64_t layerCount() const = 0;
    [[nodiscard]] virtual int64_t hiddenSize() const = 0;
    // The stream entering layer 0 (embeddings, plus learned positions 0 .. n-1 for GPT-2).
    virtual void embedWindow(std::span<const int32_t> tokens, std::vector<float> &hidden) = 0;
    // Runs layers [first, last) on `hidden` in place. Polls ctx between layers.
    virtual void runLayers(int64_t first, int64_t last, std::vector<float> &hidden,
                           const JobContext &ctx = {}) = 0;
    // Final norm and head of every row of `hidden`: logits [n x vocab]. Throws cwb::Error for a
    // NaN/Inf logit, as eval() does.
    virtual void windowLogits(std::span<const float> hidden, std::vector<float> &logits) = 0;

    // Uses `weights` for one projection from now on, by canonical name as in
    // EngineOptions::replacements (a head tied to the embedding follows "embed" unless the
    // engine has its own head), and returns the weights it used before (to swap them back).
    // weightBytes() follows. Throws cwb::Error for an unknown name, a null or misshapen
    // replacement, or NaN/Inf in it; the engine is then unchanged.
    virtual std::shared_ptr<const LinearWeights>
    swapWeights(const std::string &canonical, std::shared_ptr<const LinearWeights> weights) = 0;
};

} // namespace cwb
