// SPDX-License-Identifier: MIT
#pragma once
// Activation statistics from calibration text: the input of every linear projection of a
// decoder-only transformer, recorded while the evaluation engine runs prefill over sequences of
// calibration tokens. Per input channel: abs-max, mean |x|, mean x^2 and the outlier channels
// (abs-max > k x the median channel abs-max), plus, on request, the Hessian sum X^T X in double.
// Quantizers use them (GPTQ needs the Hessian, AWQ / SmoothQuant the per-channel scales); the
// Inspector shows them beside the weights. This collects them in one pass over the model as it
// is; layerwise_activations.h collects the same statistics layer by layer while the layers
// before are replaced (sequential calibration).
//
// Inputs are observed, not weights: q, k and v (or the fused qkv) read one input, and so do gate
// and up (or the fused gate_up). Each distinct input is accumulated once and reported once per
// weight that reads it; such records carry the same `input` name and share one Hessian object.
// Input names ("sites"):
//   layers.N.attn_norm.out  read by layers.N.attn.{q,k,v} or layers.N.attn.qkv   [dim]
//   layers.N.attn.heads     read by layers.N.attn.o                              [nHeads*headDim]
//   layers.N.mlp_norm.out   read by layers.N.mlp.{gate,up}, mlp.gate_up, or (GPT-2) mlp.up [dim]
//   layers.N.mlp.act        read by layers.N.mlp.down                            [hidden]
// The output head is not observed (the engine computes logits for the last position only), nor
// the embedding (a lookup, not a product); ActivationCoverage::notObserved names them.
//
// Sequences: the calibration stream (text tokenized without BOS) is cut back to back into pieces
// of tokensPerSequence - 1 tokens, each evaluated from an empty KV cache as [BOS] + piece, so
// every sequence is tokensPerSequence tokens long and BOS is the first token of each (as the
// model saw it in training). Vocabularies without BOS (GPT-2) use pieces of tokensPerSequence
// tokens. A stream shorter than one piece gives one sequence of all of it. BOS rows are counted
// in the statistics like every other row.

#include "jobs/job_context.h"
#include "model/model.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cwb {

struct ActivationParams {
    int64_t sequences = 128;         // at most this many; fewer when the text runs out
    int64_t tokensPerSequence = 512; // with BOS; 2 .. the model's context limit
    int64_t minTokens = 64;          // a stream with fewer tokens is refused as too short
    bool collectHessians = false;    // also accumulate X^T X per input (inFeatures^2 doubles)
    // All Hessians are held at once (8 bytes x sum of inFeatures^2 over the inputs: 44 GB for a
    // 7B llama); a model needing more than this is refused up front instead of running out.
    uint64_t hessianBudgetBytes = uint64_t(8) << 30;
    double outlierFactor = 6.0;      // k: a channel is an outlier when absMax > k x median absMax
    int threads = 0;                 // engine / accumulation threads; 0 = all cores
};

// The raw Hessian sum of one input. GPTQ's H is 2 * sum / tokens; the mean second moment
// E[x x^T] is sum / tokens. Both triangles are filled (symmetric).
struct ActivationHessian {
    int64_t inFeatures = 0;
    int64_t tokens = 0;      // rows summed
    std::vector<double> sum; // X^T X, inFeatures x inFeatures, row-major, NOT divided
};

struct ActivationOutlier {
    int64_t channel = 0; // input channel index
    double ratio = 0;    // absMax[channel] / median of absMax over all channels
};

// What one weight saw at its input.
struct LinearActivationStats {
    std::string weight; // canonical name of the weight reading this input, e.g. "layers.3.attn.q"
    std::string input;  // the input site (see above), e.g. "layers.3.attn_norm.out"
    int64_t layer = 0;  // N of "layers.N."
    int64_t inFeatures = 0;
    int64_t tokens = 0;              // rows observed
    std::vector<double> absMax;      // per input channel: max |x|
    std::vector<double> meanAbs;     // per input channel: mean |x|
    std::vector<double> meanSquare;  // per input channel: mean x^2
    double medianAbsMax = 0;         // median of absMax over channels (mean of the middle two)
    // absMax > outlierFactor x median, largest ratio first; none when the median is 0
    std::vector<ActivationOutlier> outliers;
    // Set when ActivationParams::collectHessians; weights sharing an input share the object.
    std::shared_ptr<const ActivationHessian> hessian;
    // Only from layer-by-layer calibration with cross moments (layerwise_activations.h): the raw
    // sum X^T X~ of the ORIGINAL model's inputs X (row i = its channel i) against these inputs
    // X~ of the compressed prefix, over the same tokens (not symmetric); null otherwise.
    std::shared_ptr<const ActivationHessian> originalCross;
};

// Which weights saw how many tokens, and what the calibration run used.
struct ActivationCoverage {
    std::string source;             // text path, or "token ids"
    int64_t streamTokens = 0;       // calibration stream (without BOS)
    int64_t streamTokensUsed = 0;   // of those, evaluated
    int64_t sequences = 0;          // evaluated
    int64_t tokensPerSequence = 0;  // as evaluated (with BOS)
    int64_t tokensEvaluated = 0;    // sequences x tokensPerSequence: what every weight should see
    bool bosPrepended = false;
    std::vector<std::string> notObserved; // matrices without statistics ("head", "embed")
    std::vector<std::string> shortWeights; // observed weights that saw fewer than tokensEvaluated
};

struct ActivationStats {
    std::vector<LinearActivationStats> linears; // one per weight, in forward order
    ActivationCoverage coverage;
    double outlierFactor = 0;
    bool hasHessians = false;

    // The record for a canonical weight name; nullptr when there is none.
    [[nodiscard]] const LinearActivationStats *find(std::string_view weight) const;
};

// Tokenizes the text at `textPath` with the model's tokenizer (eval::loadEvalText checks it),
// then runs as for the token overload below with the tokenizer's BOS (when its format adds one).
// Throws cwb::Error for a missing/empty/non-UTF-8 text, a model without a tokenizer, a stream
// shorter than params.minTokens, bad params (named), or an unsupported model (Engine::create).
// Reports progress once per sequence; polls ctx between sequences and layers (cwb::Cancelled).
[[nodiscard]] ActivationStats collectActivationStats(const Model &model,
                                                     const std::string &textPath,
                                                     const ActivationParams &params,
                                                     const JobContext &ctx = {});

// The same on an already tokenized stream (no BOS in it); `bos` < 0: none is prepended.
[[nodiscard]] ActivationStats collectActivationStats(const Model &model,
                                                     std::span<const int32_t> stream, int32_t bos,
                                                     const ActivationParams &params,
                                                     const JobContext &ctx = {});

// A few lines for logs and the CLI: sequences, tokens, and the weights that saw fewer tokens.
[[nodiscard]] std::string coverageReport(const ActivationStats &stats);

} // namespace cwb
