// SPDX-License-Identifier: MIT
#pragma once
// What the forward pass needs from a Model, checked and ready to multiply: every matrix as a
// LinearWeights (DenseLinear for float types, GgmlLinear for ggml blocks), norms and biases as
// float vectors. loadTransformerWeights is where a model is refused: an unsupported family, a
// missing or misshapen tensor (named, with the shape expected), a type that cannot be decoded,
// or a NaN/Inf in any weight (tensor, row and column named).
//
// Tensors by canonical name (model/architecture.h):
//   llama: embed [vocab x dim], head [vocab x dim] (absent or tiedTo: embed is used), final_norm,
//          layers.N.{attn_norm, mlp_norm} [dim], attn.q [nHeads*headDim x dim],
//          attn.{k,v} [nKvHeads*headDim x dim] (or fused attn.qkv), attn.o [dim x nHeads*headDim],
//          mlp.{gate,up} [hidden x dim] (or fused mlp.gate_up, gate rows first),
//          mlp.down [dim x hidden]; any projection may have a ".bias" (Qwen2's q/k/v).
//          `hidden` may differ per layer (a structurally pruned model): each layer's width is
//          read from its down projection and its gate/up must agree with it.
//   gpt2:  as above without gate, plus pos_embed [positions x dim], ".bias" on every norm and
//          projection, fused attn.qkv. Hugging Face files store Conv1D weights [in x out] (the
//          transpose of Linear) and are transposed on load; GGUF stores them [out x in].

#include "eval/linear_weights.h"
#include "model/model.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cwb {

struct EngineOptions;

struct Projection {
    std::shared_ptr<const LinearWeights> weight; // null when the model has no such projection
    std::vector<float> bias;                     // empty: no bias

    [[nodiscard]] explicit operator bool() const { return weight != nullptr; }
    // y[n x out] = x[n x in] * W^T + bias
    void apply(const float *x, int64_t n, float *y) const;
};

struct NormWeights {
    std::vector<float> weight;
    std::vector<float> bias; // LayerNorm only
};

struct TransformerLayer {
    NormWeights attnNorm, mlpNorm;
    Projection qkv; // fused [q; k; v] rows, or empty with q, k, v set
    Projection q, k, v, o;
    Projection gateUp; // fused [gate; up] rows, or empty with gate, up set
    Projection gate, up, down;
    int64_t hiddenDim = 0; // this layer's FFN width (the down projection's input features)
};

struct TransformerWeights {
    std::string source; // model path, for messages
    ArchFamily family = ArchFamily::Llama;
    RopeLayout rope = RopeLayout::None;
    HyperParams hp;     // hp.hiddenDim: the declared width, which no layer exceeds
    int64_t qDim = 0;  // nHeads * headDim
    int64_t kvDim = 0; // nKvHeads * headDim
    int64_t contextLimit = 0;
    std::shared_ptr<const LinearWeights> embed;
    std::shared_ptr<const LinearWeights> head; // may be the same object as embed
    std::vector<float> posEmbed;               // GPT-2: [contextLimit x dim]
    NormWeights finalNorm;
    std::vector<TransformerLayer> layers;
    uint64_t storedBytes = 0; // every tensor used, tied ones once
};

// Runs on the current oneTBB arena (the NaN scan is parallel).
[[nodiscard]] TransformerWeights loadTransformerWeights(const Model &model,
                                                        const EngineOptions &options);

// Throws cwb::Error (in `source`) naming `what`, the first row and column holding NaN or Inf.
// Runs on the current oneTBB arena.
void checkFiniteWeights(const LinearWeights &weights, const std::string &source,
                        const std::string &what);

// Where the weights of the projection `canonical` ("layers.3.attn.q", "embed", "head") are
// held in `w`; nullptr when the engine has no such projection. A head tied to the embedding is
// its own slot holding the same object as "embed".
[[nodiscard]] std::shared_ptr<const LinearWeights> *weightSlot(TransformerWeights &w,
                                                              const std::string &canonical);

} // namespace cwb
