// SPDX-License-Identifier: MIT
#include "analysis/layerwise_activations.h"

#include "analysis/activation_observer.h"
#include "analysis/input_recorder.h"
#include "eval/engine.h"
#include "eval/linear_weights.h"
#include "util/error.h"

#include <algorithm>

namespace cwb {

LayerwiseActivations::LayerwiseActivations(const Model &model, const std::string &textPath,
                                           const ActivationParams &params, const JobContext &ctx)
    : params_(params)
{
    analysis::checkActivationParams(params);
    const analysis::CalibrationStream calib = analysis::tokenizeCalibration(model, textPath);
    start(model, calib.tokens, calib.bos, ctx);
    source_ = textPath;
}

LayerwiseActivations::LayerwiseActivations(const Model &model, std::span<const int32_t> stream,
                                           int32_t bos, const ActivationParams &params,
                                           const JobContext &ctx)
    : params_(params)
{
    analysis::checkActivationParams(params);
    start(model, stream, bos, ctx);
}

LayerwiseActivations::~LayerwiseActivations() = default;

void LayerwiseActivations::start(const Model &model, std::span<const int32_t> stream, int32_t bos,
                                 const JobContext &ctx)
{
    observer_ = std::make_shared<analysis::StatsObserver>(params_.collectHessians);
    observer_->setPaused(true);
    EngineOptions options;
    options.threads = params_.threads;
    // The recorder passes every input on to the statistics observer; it records only while
    // cross moments are collected.
    prefixRows_ = std::make_shared<analysis::InputRecorder>(observer_);
    options.observer = prefixRows_;
    engine_ = Engine::create(model, options);
    analysis::checkCalibrationInputs(model, *engine_, stream, bos, params_, true);
    const analysis::SequencePlan plan = analysis::planSequences(int64_t(stream.size()), bos,
                                                                params_);
    streamTokens_ = int64_t(stream.size());
    bos_ = bos;
    sequences_ = plan.count;
    length_ = plan.length;
    piece_ = plan.piece;
    streams_.resize(size_t(plan.count));
    std::vector<int32_t> sequence;
    for (int64_t s = 0; s < plan.count; ++s) {
        ctx.checkCancelled();
        analysis::sequenceTokens(stream, bos, plan, s, sequence);
        engine_->reset(std::max<int64_t>(plan.length, 2));
        engine_->embedWindow(sequence, streams_[size_t(s)]);
    }
}

int64_t LayerwiseActivations::layerCount() const
{
    return engine_->layerCount();
}

uint64_t LayerwiseActivations::streamBytes() const
{
    uint64_t bytes = 0;
    for (const auto &s : streams_)
        bytes += s.size() * sizeof(float);
    for (const auto &s : originalStreams_)
        bytes += s.size() * sizeof(float);
    return bytes;
}

// Each sequence from an empty cache, as collectActivationStats() evaluates it: block k reads
// only the stream and its own cache rows, so the rows it sees are the ones a full forward pass
// through the layers in place would give.
void LayerwiseActivations::runBlock(bool observe, const JobContext &ctx)
{
    if (next_ >= layerCount())
        throwIn("layer-by-layer calibration", "every layer has been run already ("
                                                  + std::to_string(layerCount()) + " layers)");
    const bool cross = observe && original_;
    std::vector<float> scratch, originalScratch;
    observer_->setPaused(!observe);
    prefixRows_->setRecording(cross);
    try {
        for (int64_t s = 0; s < sequences_; ++s) {
            ctx.checkCancelled();
            std::vector<float> &stream = streams_[size_t(s)];
            engine_->reset(std::max<int64_t>(length_, 2));
            if (observe) {
                scratch = stream; // measuring does not move the stream on
                engine_->runLayers(next_, next_ + 1, scratch, ctx);
            } else {
                engine_->runLayers(next_, next_ + 1, stream, ctx);
            }
            if (cross) {
                // The original model's inputs of the same tokens; its stream stays where it is.
                originalScratch = originalStreams_[size_t(s)];
                runOriginal(originalScratch, true, ctx);
                analysis::accumulateCross(*originalRows_, *prefixRows_, cross_);
                originalRows_->clear();
                prefixRows_->clear();
            } else if (original_ && !observe) {
                runOriginal(originalStreams_[size_t(s)], false, ctx);
            }
            ctx.report(double(s + 1) / double(sequences_),
                       "sequence " + std::to_string(s + 1) + "/" + std::to_string(sequences_));
        }
    } catch (...) {
        observer_->setPaused(true);
        prefixRows_->setRecording(false);
        prefixRows_->clear();
        if (originalRows_) {
            originalRows_->setRecording(false);
            originalRows_->clear();
        }
        throw;
    }
    observer_->setPaused(true);
    prefixRows_->setRecording(false);
}

void LayerwiseActivations::runOriginal(std::vector<float> &stream, bool record,
                                       const JobContext &ctx)
{
    originalRows_->setRecording(record);
    original_->reset(std::max<int64_t>(length_, 2));
    original_->runLayers(next_, next_ + 1, stream, ctx);
    originalRows_->setRecording(false);
}

void LayerwiseActivations::collectOriginalCross(const Model &model)
{
    if (next_ != 0 || original_)
        throwIn("layer-by-layer calibration",
                "cross moments with the original model must be asked for before the first layer");
    originalRows_ = std::make_shared<analysis::InputRecorder>();
    EngineOptions options;
    options.threads = params_.threads;
    options.observer = originalRows_;
    original_ = Engine::create(model, options);
    originalStreams_ = streams_; // both enter block 0 from the model's own embedding
}

ActivationStats LayerwiseActivations::collectLayer(const JobContext &ctx)
{
    return collectLayer({}, ctx);
}

ActivationStats LayerwiseActivations::collectLayer(const std::set<std::string> &inputs,
                                                   const JobContext &ctx)
{
    observer_->clear();
    cross_.clear();
    prefixRows_->setSites(inputs);
    if (originalRows_)
        originalRows_->setSites(inputs);
    try {
        runBlock(true, ctx);
    } catch (...) {
        prefixRows_->setSites({});
        if (originalRows_)
            originalRows_->setSites({});
        throw;
    }
    prefixRows_->setSites({});
    if (originalRows_)
        originalRows_->setSites({});
    analysis::SequencePlan plan;
    plan.count = sequences_;
    plan.length = length_;
    plan.piece = piece_;
    ActivationStats stats = analysis::statsOf(*observer_, params_, streamTokens_, bos_, plan);
    stats.coverage.source = source_;
    observer_->clear(); // the statistics own the Hessians now
    for (LinearActivationStats &l : stats.linears)
        if (const auto it = cross_.find(l.input); it != cross_.end())
            l.originalCross = it->second;
    cross_.clear();
    return stats;
}

void LayerwiseActivations::replaceWeights(const std::string &canonical,
                                          std::shared_ptr<const LinearWeights> weights)
{
    (void)engine_->swapWeights(canonical, std::move(weights));
}

void LayerwiseActivations::advance(const JobContext &ctx)
{
    runBlock(false, ctx);
    ++next_;
}

} // namespace cwb
