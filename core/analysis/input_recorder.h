// SPDX-License-Identifier: MIT
#pragma once
// What block reconstruction (compress/block_recon.h) needs beyond the usual statistics: the
// cross moment X^T X~ between a projection's inputs in the ORIGINAL model (X) and in the model
// whose prefix is already compressed (X~), over the same tokens. Two engines run the same
// sequence side by side (layerwise_activations.h); an InputRecorder on each holds that
// sequence's rows per input site, and accumulateCross() adds X^T X~ for every site both saw.

#include "analysis/activation_stats.h"
#include "eval/engine.h"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace cwb::analysis {

// Records the projection inputs of the engine it observes, appended per site in the order the
// engine reports them, while recording is on; every call is also passed on to `next` (the
// statistics observer of the same engine; may be null). With a site filter set, inputs of other
// sites are neither recorded nor passed on (a collection that needs only some of a layer's).
class InputRecorder final : public LinearInputObserver {
public:
    struct Rows {
        int64_t inFeatures = 0;
        std::vector<float> values; // rows x inFeatures, row-major
    };

    explicit InputRecorder(std::shared_ptr<LinearInputObserver> next = nullptr)
        : next_(std::move(next))
    {
    }

    void observe(const LinearInputSite &site, const float *x, int64_t nRows) override;

    void setRecording(bool on) { recording_ = on; }
    // Only these site names from now on; empty: every site.
    void setSites(std::set<std::string> sites) { sites_ = std::move(sites); }
    void clear() { rows_.clear(); }
    [[nodiscard]] const std::map<std::string, Rows> &sites() const { return rows_; }

private:
    std::shared_ptr<LinearInputObserver> next_;
    bool recording_ = false;
    std::set<std::string> sites_;
    std::map<std::string, Rows> rows_;
};

// For every site `prefix` holds: into[site].sum += X^T X~ (X from `original`, X~ from `prefix`,
// cols x cols row-major in double, row i = original channel i), tokens += rows. Throws
// cwb::Error when a site is missing from `original` or the two differ in rows or width (the
// engines did not run the same tokens).
void accumulateCross(const InputRecorder &original, const InputRecorder &prefix,
                     std::map<std::string, std::shared_ptr<ActivationHessian>> &into);
// The same by plain loops (the tests' reference).
void accumulateCrossReference(const InputRecorder &original, const InputRecorder &prefix,
                              std::map<std::string, std::shared_ptr<ActivationHessian>> &into);

} // namespace cwb::analysis
