// SPDX-License-Identifier: MIT
#include "eval/transformer_runtime.h"

#include "eval/attention.h"
#include "eval/layer_ops.h"
#include "model/canonical_name.h"
#include "util/error.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <string>

namespace cwb {
namespace {

int arenaThreads(const EngineOptions &options)
{
    if (options.threads < 0)
        throw Error("EngineOptions::threads is " + std::to_string(options.threads)
                    + "; use 0 for all cores or a positive count");
    return options.threads == 0 ? tbb::task_arena::automatic : options.threads;
}

// Element-wise work (norms, activations, RoPE) is split over blocks of token rows once a call
// has this many values: below it a oneTBB fork/join costs more than it saves.
constexpr int64_t kParallelValues = int64_t(1) << 16;

// fn(firstRow, endRow) over [0, n), in parallel blocks when n * width values justify it.
void forRowBlocks(int64_t n, int64_t width, const std::function<void(int64_t, int64_t)> &fn)
{
    if (n < 2 || n * width < kParallelValues) {
        fn(0, n);
        return;
    }
    const int64_t grain = std::max<int64_t>(1, kParallelValues / (4 * width));
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, grain),
                      [&](const tbb::blocked_range<int64_t> &r) { fn(r.begin(), r.end()); });
}

void grow(AlignedVector<float> &v, int64_t n)
{
    if (v.size() < size_t(n))
        v.resize(size_t(n));
}

} // namespace

TransformerRuntime::TransformerRuntime(const Model &model, const EngineOptions &options)
    : arena_(arenaThreads(options)), observer_(options.observer),
      cacheTypeK_(options.cacheTypeK), cacheTypeV_(options.cacheTypeV)
{
    arena_.execute([&] { w_ = loadTransformerWeights(model, options); });
    // As llama.cpp (n_embd_head % blck_size): a block never spans two heads.
    for (const KvCacheType t : {cacheTypeK_, cacheTypeV_})
        if (w_.hp.headDim % kvCacheBlockValues(t) != 0)
            throwIn(w_.source, std::string("a ") + kvCacheTypeName(t)
                                   + " KV cache needs heads of whole blocks of "
                                   + std::to_string(kvCacheBlockValues(t))
                                   + " values; this model's head dimension is "
                                   + std::to_string(w_.hp.headDim));
    if (observer_)
        buildObserverSites();
}

void TransformerRuntime::buildObserverSites()
{
    const HyperParams &h = w_.hp;
    sites_.clear();
    for (int64_t l = 0; l < h.nLayers; ++l) {
        const TransformerLayer &layer = w_.layers[size_t(l)];
        const std::string p = layerPrefix(l);
        auto names = [&](std::initializer_list<const char *> parts) {
            std::vector<std::string> out;
            for (const char *part : parts)
                out.push_back(p + part);
            return out;
        };
        std::vector<std::string> mlpIn;
        if (w_.family == ArchFamily::Gpt2)
            mlpIn = names({"mlp.up"});
        else if (layer.gateUp)
            mlpIn = names({"mlp.gate_up"});
        else
            mlpIn = names({"mlp.gate", "mlp.up"});
        sites_.push_back({p + "attn_norm.out", l,
                          layer.qkv ? names({"attn.qkv"}) : names({"attn.q", "attn.k", "attn.v"}),
                          h.dim});
        sites_.push_back({p + "attn.heads", l, names({"attn.o"}), w_.qDim});
        sites_.push_back({p + "mlp_norm.out", l, std::move(mlpIn), h.dim});
        sites_.push_back({p + "mlp.act", l, names({"mlp.down"}), layer.hiddenDim});
    }
}

uint64_t TransformerRuntime::kvCacheBytes(int64_t nCtx) const
{
    return KvCache::bytesFor(w_.hp.nLayers, std::max<int64_t>(nCtx, 0), w_.kvDim, cacheTypeK_,
                             cacheTypeV_);
}

void TransformerRuntime::reset(int64_t nCtx)
{
    if (nCtx < 2 || nCtx > w_.contextLimit)
        throwIn(w_.source, "n_ctx " + std::to_string(nCtx) + " is out of range: it must be 2 .. "
                               + std::to_string(w_.contextLimit) + " (the model's context)");
    cache_.reset(w_.hp.nLayers, nCtx, w_.kvDim, cacheTypeK_, cacheTypeV_);
    if (w_.rope != RopeLayout::None && nCtx > ropePositions_) {
        rope_.build(nCtx, w_.hp.headDim, w_.hp.ropeTheta);
        ropePositions_ = nCtx;
    }
    nCtx_ = nCtx;
    pos_ = 0;
}

void TransformerRuntime::checkCall(std::span<const int32_t> tokens) const
{
    if (nCtx_ == 0)
        throwIn(w_.source, "eval() before reset(): no KV cache has been reserved");
    if (tokens.empty())
        throwIn(w_.source, "eval() was given no tokens");
    const int64_t n = int64_t(tokens.size());
    if (pos_ + n > nCtx_)
        throwIn(w_.source, "evaluating " + std::to_string(n) + " tokens at position "
                               + std::to_string(pos_) + " would overflow the KV cache of "
                               + std::to_string(nCtx_) + " positions");
    for (int64_t i = 0; i < n; ++i)
        if (tokens[size_t(i)] < 0 || tokens[size_t(i)] >= w_.hp.vocabSize)
            throwIn(w_.source, "token id " + std::to_string(tokens[size_t(i)]) + " at index "
                                   + std::to_string(i) + " is outside the vocabulary (0 .. "
                                   + std::to_string(w_.hp.vocabSize - 1) + ")");
}

void TransformerRuntime::eval(std::span<const int32_t> tokens, std::vector<float> &logits,
                              bool allLogits, const JobContext &ctx)
{
    checkCall(tokens);
    arena_.execute([&] { forward(tokens, logits, allLogits, ctx); });
}

int64_t TransformerRuntime::windowRows(size_t hiddenValues) const
{
    const int64_t dim = w_.hp.dim;
    const int64_t n = dim > 0 ? int64_t(hiddenValues) / dim : 0;
    if (n <= 0 || n * dim != int64_t(hiddenValues))
        throwIn(w_.source, "a staged window holds " + std::to_string(hiddenValues)
                               + " values, not a positive multiple of the width "
                               + std::to_string(dim));
    if (nCtx_ == 0 || pos_ != 0 || n > nCtx_)
        throwIn(w_.source, "a staged window of " + std::to_string(n)
                               + " rows needs a fresh reset() with n_ctx >= " + std::to_string(n)
                               + " (n_ctx " + std::to_string(nCtx_) + ", position "
                               + std::to_string(pos_) + ")");
    return n;
}

void TransformerRuntime::embedWindow(std::span<const int32_t> tokens, std::vector<float> &hidden)
{
    checkCall(tokens);
    if (pos_ != 0)
        throwIn(w_.source, "embedWindow() after eval(): reset() first");
    const int64_t n = int64_t(tokens.size());
    arena_.execute([&] {
        ensureWorkspace(n);
        embed(tokens);
    });
    hidden.assign(ws_.x.begin(), ws_.x.begin() + n * w_.hp.dim);
}

void TransformerRuntime::runLayers(int64_t first, int64_t last, std::vector<float> &hidden,
                                   const JobContext &ctx)
{
    if (first < 0 || first > last || last > w_.hp.nLayers)
        throwIn(w_.source, "layers [" + std::to_string(first) + ", " + std::to_string(last)
                               + ") are outside 0 .. " + std::to_string(w_.hp.nLayers));
    const int64_t n = windowRows(hidden.size());
    arena_.execute([&] {
        ensureWorkspace(n);
        std::copy(hidden.begin(), hidden.end(), ws_.x.begin());
        for (int64_t l = first; l < last; ++l) {
            ctx.checkCancelled();
            const TransformerLayer &layer = w_.layers[size_t(l)];
            attentionBlock(layer, l, n);
            mlpBlock(layer, l, n);
        }
    });
    std::copy(ws_.x.begin(), ws_.x.begin() + int64_t(hidden.size()), hidden.begin());
}

void TransformerRuntime::windowLogits(std::span<const float> hidden, std::vector<float> &logits)
{
    const int64_t n = windowRows(hidden.size());
    arena_.execute([&] {
        ensureWorkspace(n);
        std::copy(hidden.begin(), hidden.end(), ws_.x.begin());
        computeLogits(n, true, logits);
    });
}

std::shared_ptr<const LinearWeights>
TransformerRuntime::swapWeights(const std::string &canonical,
                                std::shared_ptr<const LinearWeights> weights)
{
    std::shared_ptr<const LinearWeights> *slot = weightSlot(w_, canonical);
    if (!slot)
        throwIn(w_.source, "swapWeights: '" + canonical + "' names no projection of this engine");
    const std::shared_ptr<const LinearWeights> old = *slot;
    if (!weights)
        throwIn(w_.source, "swapWeights: the weights for '" + canonical + "' are null");
    if (weights->outFeatures() != old->outFeatures() || weights->inFeatures() != old->inFeatures())
        throwIn(w_.source, "swapWeights: '" + canonical + "' is "
                               + std::to_string(old->outFeatures()) + " x "
                               + std::to_string(old->inFeatures()) + ", the replacement "
                               + std::to_string(weights->outFeatures()) + " x "
                               + std::to_string(weights->inFeatures()) + " ("
                               + weights->format() + ")");
    if (weights.get() != old.get())
        arena_.execute([&] {
            checkFiniteWeights(*weights, w_.source, "'" + canonical + "' (" + weights->format()
                                                         + ")");
        });
    // A tied head is not counted on its own: the embedding's bytes hold it.
    const auto counted = [&](const std::shared_ptr<const LinearWeights> &p, bool isHead) {
        return isHead && p.get() == w_.embed.get() ? uint64_t(0) : p->storedBytes();
    };
    const bool isHead = slot == &w_.head;
    const bool headFollows = slot == &w_.embed && w_.head.get() == old.get();
    w_.storedBytes -= counted(old, isHead);
    *slot = weights;
    if (headFollows)
        w_.head = weights;
    w_.storedBytes += counted(weights, isHead);
    return old;
}

void TransformerRuntime::ensureWorkspace(int64_t n)
{
    if (n <= ws_.rows)
        return;
    const HyperParams &h = w_.hp;
    grow(ws_.x, n * h.dim);
    grow(ws_.xn, n * h.dim);
    grow(ws_.tmp, n * h.dim);
    grow(ws_.q, n * w_.qDim);
    grow(ws_.att, n * w_.qDim);
    grow(ws_.gate, n * h.hiddenDim);
    grow(ws_.up, n * h.hiddenDim);
    int64_t fused = 0;
    for (const auto &layer : w_.layers) {
        if (layer.qkv)
            fused = std::max(fused, w_.qDim + 2 * w_.kvDim);
        if (layer.gateUp)
            fused = std::max(fused, 2 * layer.hiddenDim);
    }
    grow(ws_.fused, n * fused);
    ws_.rows = n;
}

void TransformerRuntime::forward(std::span<const int32_t> tokens, std::vector<float> &logits,
                                 bool allLogits, const JobContext &ctx)
{
    const int64_t n = int64_t(tokens.size());
    ensureWorkspace(n);
    embed(tokens);
    for (int64_t l = 0; l < w_.hp.nLayers; ++l) {
        ctx.checkCancelled();
        const TransformerLayer &layer = w_.layers[size_t(l)];
        attentionBlock(layer, l, n);
        mlpBlock(layer, l, n);
    }
    ctx.checkCancelled();
    computeLogits(n, allLogits, logits);
    pos_ += n; // only now: a cancelled or failed call leaves the cache as it was
}

void TransformerRuntime::embed(std::span<const int32_t> tokens)
{
    const int64_t dim = w_.hp.dim;
    for (size_t i = 0; i < tokens.size(); ++i) {
        float *row = ws_.x.data() + int64_t(i) * dim;
        w_.embed->row(tokens[i], row);
        if (!w_.posEmbed.empty())
            addInPlace(row, w_.posEmbed.data() + (pos_ + int64_t(i)) * dim, dim);
    }
}

void TransformerRuntime::normRows(const NormWeights &norm, const float *x, int64_t n,
                                  float *out) const
{
    const float eps = float(w_.hp.normEps);
    const int64_t dim = w_.hp.dim;
    forRowBlocks(n, dim, [&](int64_t r0, int64_t r1) {
        if (norm.bias.empty())
            rmsNormRows(x + r0 * dim, r1 - r0, dim, norm.weight.data(), eps, out + r0 * dim);
        else
            layerNormRows(x + r0 * dim, r1 - r0, dim, norm.weight.data(), norm.bias.data(), eps,
                          out + r0 * dim);
    });
}

void TransformerRuntime::attentionBlock(const TransformerLayer &layer, int64_t l, int64_t n)
{
    const HyperParams &h = w_.hp;
    const int64_t qDim = w_.qDim, kvDim = w_.kvDim;
    float *q = ws_.q.data();
    // Rows pos_ .. pos_ + n - 1 of the cache (f32) or its staging area (rounded by store()).
    float *k = cache_.keyRows(l, pos_, n);
    float *v = cache_.valueRows(l, pos_, n);
    normRows(layer.attnNorm, ws_.x.data(), n, ws_.xn.data());
    observe(l, AttnIn, ws_.xn.data(), n);
    if (layer.qkv) {
        const int64_t width = qDim + 2 * kvDim;
        layer.qkv.apply(ws_.xn.data(), n, ws_.fused.data());
        for (int64_t t = 0; t < n; ++t) {
            const float *row = ws_.fused.data() + t * width;
            std::memcpy(q + t * qDim, row, size_t(qDim) * sizeof(float));
            std::memcpy(k + t * kvDim, row + qDim, size_t(kvDim) * sizeof(float));
            std::memcpy(v + t * kvDim, row + qDim + kvDim, size_t(kvDim) * sizeof(float));
        }
    } else {
        layer.q.apply(ws_.xn.data(), n, q);
        layer.k.apply(ws_.xn.data(), n, k);
        layer.v.apply(ws_.xn.data(), n, v);
    }
    forRowBlocks(n, qDim + kvDim, [&](int64_t r0, int64_t r1) {
        rope_.apply(w_.rope, q + r0 * qDim, r1 - r0, qDim, h.nHeads, pos_ + r0);
        rope_.apply(w_.rope, k + r0 * kvDim, r1 - r0, kvDim, h.nKvHeads, pos_ + r0);
    });
    cache_.store(l, pos_, n);
    attention({h.nHeads, h.nKvHeads, h.headDim}, q, n, pos_, cache_.keys(l, pos_ + n),
              cache_.values(l, pos_ + n), ws_.att.data());
    observe(l, AttnOut, ws_.att.data(), n);
    layer.o.apply(ws_.att.data(), n, ws_.tmp.data());
    addInPlace(ws_.x.data(), ws_.tmp.data(), n * h.dim);
}

void TransformerRuntime::mlpBlock(const TransformerLayer &layer, int64_t l, int64_t n)
{
    const HyperParams &h = w_.hp;
    const int64_t hidden = layer.hiddenDim; // per layer: a pruned model's widths differ
    normRows(layer.mlpNorm, ws_.x.data(), n, ws_.xn.data());
    observe(l, MlpIn, ws_.xn.data(), n);
    float *gate = ws_.gate.data();
    float *up = ws_.up.data();
    if (w_.family == ArchFamily::Gpt2) {
        layer.up.apply(ws_.xn.data(), n, up);
        forRowBlocks(n, hidden, [&](int64_t r0, int64_t r1) {
            geluTanh(up + r0 * hidden, (r1 - r0) * hidden);
        });
        observe(l, MlpOut, up, n);
        layer.down.apply(up, n, ws_.tmp.data());
    } else {
        if (layer.gateUp) {
            layer.gateUp.apply(ws_.xn.data(), n, ws_.fused.data());
            for (int64_t t = 0; t < n; ++t) {
                const float *row = ws_.fused.data() + t * 2 * hidden;
                std::memcpy(gate + t * hidden, row, size_t(hidden) * sizeof(float));
                std::memcpy(up + t * hidden, row + hidden, size_t(hidden) * sizeof(float));
            }
        } else {
            layer.gate.apply(ws_.xn.data(), n, gate);
            layer.up.apply(ws_.xn.data(), n, up);
        }
        forRowBlocks(n, hidden, [&](int64_t r0, int64_t r1) {
            siluMul(gate + r0 * hidden, up + r0 * hidden, (r1 - r0) * hidden);
        });
        observe(l, MlpOut, gate, n);
        layer.down.apply(gate, n, ws_.tmp.data());
    }
    addInPlace(ws_.x.data(), ws_.tmp.data(), n * h.dim);
}

void TransformerRuntime::computeLogits(int64_t n, bool allLogits, std::vector<float> &logits)
{
    const int64_t dim = w_.hp.dim, vocab = w_.hp.vocabSize;
    const int64_t first = allLogits ? 0 : n - 1, rows = n - first;
    normRows(w_.finalNorm, ws_.x.data() + first * dim, rows, ws_.xn.data());
    logits.resize(size_t(rows * vocab));
    w_.head->forward(ws_.xn.data(), rows, logits.data());
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < vocab; ++j) {
            const float value = logits[size_t(r * vocab + j)];
            if (!std::isfinite(value))
                throwIn(w_.source, "logit " + std::to_string(j) + " at position "
                                       + std::to_string(pos_ + first + r) + " is "
                                       + (std::isnan(value) ? "NaN" : "Inf"));
        }
}

} // namespace cwb
