// SPDX-License-Identifier: MIT
#pragma once
// The parts of a calibration run that the one-pass collection (activation_stats.h) and the
// layer-by-layer one (layerwise_activations.h) share: the observer that accumulates what the
// engine's projections read, the checks of ActivationParams, how the stream is cut into
// sequences, and how accumulated sums become ActivationStats. Both collections use exactly this
// code, so that for the same inputs they give the same statistics bit for bit.

#include "analysis/activation_accumulate.h"
#include "analysis/activation_stats.h"
#include "eval/engine.h"

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace cwb::analysis {

// One distinct projection input and what has been accumulated for it.
struct SiteAccumulator {
    LinearInputSite site;
    std::mutex mutex;
    ChannelSums sums;
    std::shared_ptr<ActivationHessian> hessian; // null unless Hessians were requested
};

// Receives the engine's projection inputs. The engine calls it from one arena thread at a time,
// but each site is still locked, so that an engine running projections concurrently later (or
// two engines sharing one observer) accumulates correctly. While paused it records nothing
// (the layer-by-layer collection runs blocks it does not measure); clear() forgets every site.
class StatsObserver final : public LinearInputObserver {
public:
    explicit StatsObserver(bool hessians) : hessians_(hessians) {}

    void observe(const LinearInputSite &site, const float *x, int64_t nRows) override;

    // In the order the engine first reported them: forward order.
    [[nodiscard]] const std::vector<std::unique_ptr<SiteAccumulator>> &sites() const
    {
        return sites_;
    }
    void setPaused(bool paused) { paused_ = paused; }
    void clear();

private:
    SiteAccumulator &accumulatorFor(const LinearInputSite &site);

    bool hessians_;
    bool paused_ = false;
    std::mutex mapMutex_;
    std::unordered_map<std::string, size_t> index_;
    std::vector<std::unique_ptr<SiteAccumulator>> sites_;
};

// Throws cwb::Error naming the bad field.
void checkActivationParams(const ActivationParams &p);

// Throws cwb::Error when the stream is too short, a token or BOS is outside the vocabulary, or
// the sequences are longer than the engine's context; and, with Hessians, when all of the
// model's Hessians exceed params.hessianBudgetBytes (`perLayer`: only one layer's at a time).
void checkCalibrationInputs(const Model &model, const Engine &engine,
                            std::span<const int32_t> stream, int32_t bos,
                            const ActivationParams &params, bool perLayer);

// The calibration sequences: [BOS] + piece, pieces cut back to back from the stream.
struct SequencePlan {
    int64_t count = 0;
    int64_t length = 0; // tokens per sequence, with BOS
    int64_t piece = 0;  // stream tokens per sequence
};
[[nodiscard]] SequencePlan planSequences(int64_t streamTokens, int32_t bos,
                                         const ActivationParams &p);
// Sequence s of the plan: [BOS] + its piece of the stream.
void sequenceTokens(std::span<const int32_t> stream, int32_t bos, const SequencePlan &plan,
                    int64_t s, std::vector<int32_t> &out);

// The statistics of every site the observer holds (one record per weight reading it, in forward
// order), with the coverage of the plan; notObserved stays empty (the caller knows the model).
[[nodiscard]] ActivationStats statsOf(const StatsObserver &observer, const ActivationParams &params,
                                      int64_t streamTokens, int32_t bos, const SequencePlan &plan);

// The calibration text of `textPath` as the model's tokenizer reads it (no BOS), and the BOS to
// prepend (-1: none). Throws cwb::Error for a model without a tokenizer or a bad text.
struct CalibrationStream {
    std::vector<int32_t> tokens;
    int32_t bos = -1;
};
[[nodiscard]] CalibrationStream tokenizeCalibration(const Model &model,
                                                    const std::string &textPath);

// Bytes the Hessians of every projection input of one layer / all layers take.
[[nodiscard]] uint64_t layerHessianBytes(const HyperParams &h);

} // namespace cwb::analysis
