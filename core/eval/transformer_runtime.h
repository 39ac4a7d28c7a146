// SPDX-License-Identifier: MIT
#pragma once
// The Engine for decoder-only transformers: the llama family (RMSNorm, RoPE, GQA, SwiGLU) and
// GPT-2 (LayerNorm with bias, learned positions, fused QKV, tanh GELU). One eval() call runs all
// its tokens through each projection as one matrix product (prefill) or, for a single token, as
// matrix-vector products (decode); the KV cache grows by the tokens evaluated. All work runs in
// the engine's own oneTBB arena (EngineOptions::threads). Buffers grow to the largest call and
// are reused, so decoding allocates nothing per token (except the rounded input copies that
// EngineOptions::emulateQ8Activations needs). One eval() at a time: an Engine is not
// thread-safe, but its calls use all of its arena's threads.

#include "eval/aligned_buffer.h"
#include "eval/engine.h"
#include "eval/kv_cache.h"
#include "eval/rope.h"
#include "eval/transformer_weights.h"

#include <oneapi/tbb/task_arena.h>

namespace cwb {

class TransformerRuntime final : public Engine {
public:
    TransformerRuntime(const Model &model, const EngineOptions &options);

    [[nodiscard]] int64_t vocabSize() const override { return w_.hp.vocabSize; }
    [[nodiscard]] int64_t contextLimit() const override { return w_.contextLimit; }
    [[nodiscard]] uint64_t weightBytes() const override { return w_.storedBytes; }
    [[nodiscard]] uint64_t kvCacheBytes(int64_t nCtx) const override;
    void reset(int64_t nCtx) override;
    [[nodiscard]] int64_t position() const override { return pos_; }
    void eval(std::span<const int32_t> tokens, std::vector<float> &logits, bool allLogits,
              const JobContext &ctx) override;

    [[nodiscard]] int64_t layerCount() const override { return w_.hp.nLayers; }
    [[nodiscard]] int64_t hiddenSize() const override { return w_.hp.dim; }
    void embedWindow(std::span<const int32_t> tokens, std::vector<float> &hidden) override;
    void runLayers(int64_t first, int64_t last, std::vector<float> &hidden,
                   const JobContext &ctx) override;
    void windowLogits(std::span<const float> hidden, std::vector<float> &logits) override;
    std::shared_ptr<const LinearWeights>
    swapWeights(const std::string &canonical, std::shared_ptr<const LinearWeights> weights) override;

private:
    struct Workspace {
        int64_t rows = 0;
        AlignedVector<float> x, xn, tmp; // [n x dim]: residual stream, normed input, block output
        AlignedVector<float> q, att;     // [n x qDim]
        AlignedVector<float> gate, up;   // [n x hidden]
        AlignedVector<float> fused;      // fused qkv or gate_up outputs
    };

    void checkCall(std::span<const int32_t> tokens) const;
    // Rows of a staged window (hidden.size() / dim), checked against the cache and position.
    int64_t windowRows(size_t hiddenValues) const;
    void forward(std::span<const int32_t> tokens, std::vector<float> &logits, bool allLogits,
                 const JobContext &ctx);
    void ensureWorkspace(int64_t n);
    void embed(std::span<const int32_t> tokens);
    void normRows(const NormWeights &norm, const float *x, int64_t n, float *out) const;
    void attentionBlock(const TransformerLayer &layer, int64_t l, int64_t n);
    void mlpBlock(const TransformerLayer &layer, int64_t l, int64_t n);
    void computeLogits(int64_t n, bool allLogits, std::vector<float> &logits);
    // Observer sites per layer, in this order (built only when an observer is set).
    enum Site { AttnIn, AttnOut, MlpIn, MlpOut, SitesPerLayer };
    void buildObserverSites();
    void observe(int64_t l, Site site, const float *x, int64_t n) const
    {
        if (observer_)
            observer_->observe(sites_[size_t(l * SitesPerLayer + site)], x, n);
    }

    tbb::task_arena arena_;
    TransformerWeights w_;
    KvCache cache_;
    RopeTable rope_;
    int64_t ropePositions_ = 0;
    int64_t nCtx_ = 0;
    int64_t pos_ = 0;
    Workspace ws_;
    std::shared_ptr<LinearInputObserver> observer_;
    std::vector<LinearInputSite> sites_;
    KvCacheType cacheTypeK_, cacheTypeV_;
};

} // namespace cwb
