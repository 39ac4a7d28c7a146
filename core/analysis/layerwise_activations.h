// SPDX-License-Identifier: MIT
#pragma once
// Activation statistics collected block by block on a prefix that changes between blocks: the
// "true sequential" calibration of GPTQ's paper (and llm-compressor's sequential pipeline). The
// stream of every calibration sequence (the residual rows entering a transformer block) is held
// between blocks; for block k the caller
//   1. collectLayer(): runs block k on every sequence's stream with the weights in place now and
//      records what its projections read (the stream itself is not advanced), then
//   2. replaceWeights(): puts block k's compressed projections into the engine, and
//   3. advance(): runs block k again, now compressed, so the stream enters block k+1 carrying
//      the error of blocks 0..k.
// Within a block every projection's inputs come from the block's ORIGINAL weights on the
// compressed prefix's stream (attn.o and mlp.down do not see q/k/v or gate/up compressed).
// The stream enters block 0 from the model's own embedding.
//
// Statistics are those of activation_stats.h (same sequences, same observer, same order of
// accumulation): with nothing replaced, collectLayer() for every layer gives exactly what
// collectActivationStats() records for that layer, bit for bit. Memory: the streams (sequences x
// tokens x width floats) and one layer's statistics (and Hessians) at a time. Costs about two
// forward passes of the model over the calibration set instead of one.
//
// Cross moments (collectOriginalCross(), for block reconstruction, compress/block_recon.h): a
// second engine with the model's ORIGINAL weights carries a second set of streams through the
// same blocks, and collectLayer() then also records, per projection input, X^T X~ -- the inputs
// X of the original model against the inputs X~ recorded here, over the same tokens
// (LinearActivationStats::originalCross). Costs two more passes of each block per collection
// (measuring the original's inputs, advancing its streams) and a second set of streams.
// collectLayer() may be called several times for one block (after replacing some of its
// projections: the pipeline's true-sequential groups); each call measures anew.

#include "analysis/activation_stats.h"

#include <map>
#include <set>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace cwb {

class Engine;
class LinearWeights;
namespace analysis {
class InputRecorder;
class StatsObserver;
}

class LayerwiseActivations {
public:
    // Tokenizes the text as collectActivationStats() does, creates the engine and embeds every
    // sequence. Throws cwb::Error as collectActivationStats() does (the Hessian budget then
    // applies to one layer's Hessians) or cwb::Cancelled.
    LayerwiseActivations(const Model &model, const std::string &textPath,
                         const ActivationParams &params, const JobContext &ctx = {});
    // The same on an already tokenized stream (no BOS in it); `bos` < 0: none is prepended.
    LayerwiseActivations(const Model &model, std::span<const int32_t> stream, int32_t bos,
                         const ActivationParams &params, const JobContext &ctx = {});
    ~LayerwiseActivations();
    LayerwiseActivations(const LayerwiseActivations &) = delete;
    LayerwiseActivations &operator=(const LayerwiseActivations &) = delete;

    [[nodiscard]] int64_t layerCount() const;
    // The block whose input the streams hold now (0 .. layerCount(); layerCount() at the end).
    [[nodiscard]] int64_t nextLayer() const { return next_; }

    // The statistics of block nextLayer()'s projection inputs (only its weights; coverage as
    // collectActivationStats() fills it, without notObserved). Reports progress per sequence.
    [[nodiscard]] ActivationStats collectLayer(const JobContext &ctx = {});
    // The same for only the inputs named (site names, "layers.3.attn.heads"; empty: all): the
    // other projections of the block get no record.
    [[nodiscard]] ActivationStats collectLayer(const std::set<std::string> &inputs,
                                               const JobContext &ctx = {});
    // From now on collectLayer() also gives each record its cross moment with the original
    // model's inputs (see above). Only before the first layer is collected or advanced (throws
    // cwb::Error otherwise).
    void collectOriginalCross(const Model &model);
    [[nodiscard]] bool collectsOriginalCross() const { return original_ != nullptr; }

    // A projection by canonical name from now on (Engine::swapWeights; throws as it does).
    void replaceWeights(const std::string &canonical,
                        std::shared_ptr<const LinearWeights> weights);
    // Runs block nextLayer() with the weights in place now: the streams enter the next block.
    void advance(const JobContext &ctx = {});

    // Bytes the held streams take.
    [[nodiscard]] uint64_t streamBytes() const;

private:
    void start(const Model &model, std::span<const int32_t> stream, int32_t bos,
               const JobContext &ctx);
    void runBlock(bool observe, const JobContext &ctx);
    void runOriginal(std::vector<float> &stream, bool record, const JobContext &ctx);

    ActivationParams params_;
    std::string source_ = "token ids";
    int64_t streamTokens_ = 0;
    int32_t bos_ = -1;
    int64_t sequences_ = 0, length_ = 0, piece_ = 0;
    std::shared_ptr<analysis::StatsObserver> observer_;
    std::unique_ptr<Engine> engine_;
    std::vector<std::vector<float>> streams_; // per sequence: length x width
    int64_t next_ = 0;
    // Cross moments: the prefix engine's inputs (observer_ behind it), the original engine, its
    // inputs and streams (advanced with the others), and the sums of the layer collected.
    std::shared_ptr<analysis::InputRecorder> prefixRows_;
    std::unique_ptr<Engine> original_;
    std::shared_ptr<analysis::InputRecorder> originalRows_;
    std::vector<std::vector<float>> originalStreams_;
    std::map<std::string, std::shared_ptr<ActivationHessian>> cross_;
};

} // namespace cwb
