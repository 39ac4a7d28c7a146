// SPDX-License-Identifier: MIT
#pragma once
// The calibration slice the sensitivity analysis measures on: a few windows of calibration
// tokens, each evaluated from an empty cache as [BOS] + piece (as the activation statistics cut
// their sequences), with the original model's next-token distributions at every position but
// the last (analysis/window_kld.h keeps them). The pieces are cut from the END of the tokenized
// text, back to back, so that they stay apart from the statistics sequences the pipeline cuts
// from its start (analysis/activation_stats.h) whenever the text holds both; `overlapsStatistics`
// says when it does not. Memory: windows x (tokens - 1) x vocabulary floats for the original's
// distributions (8 x 255 x 32,000 x 4 bytes = 261 MB for a 32k vocabulary).

#include "analysis/window_kld.h"
#include "eval/engine.h"
#include "jobs/job_context.h"
#include "model/model.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cwb {

struct KldWindowParams {
    int64_t windows = 8;           // at most this many; fewer when the text runs out
    int64_t tokensPerWindow = 256; // with BOS; capped at the model's context length
};

class KldWindows {
public:
    // Tokenizes `textPath` with the model's tokenizer and runs `engine` (holding the weights the
    // distributions are taken from) over every window. `statisticsTokens`: stream tokens the
    // statistics use from the start of the text (for overlapsStatistics). Throws cwb::Error for
    // a text shorter than one window of 2 tokens, or cwb::Cancelled.
    KldWindows(const Model &model, const std::string &textPath, const KldWindowParams &params,
               int64_t statisticsTokens, Engine &engine, const JobContext &ctx = {});

    [[nodiscard]] size_t count() const { return windows_.size(); }
    [[nodiscard]] int64_t tokensPerWindow() const { return length_; }
    [[nodiscard]] int64_t positions() const { return positions_; } // scored, all windows
    [[nodiscard]] double baseNll() const { return baseNll_; }      // mean, original model
    [[nodiscard]] int64_t streamTokens() const { return streamTokens_; }
    [[nodiscard]] bool overlapsStatistics() const { return overlaps_; }
    [[nodiscard]] const std::vector<int32_t> &tokens(size_t w) const { return windows_[w]; }

    // Summed KL over window w's scored positions, from the logits of all its rows.
    [[nodiscard]] double klOfWindow(size_t w, std::span<const float> logits) const;
    // Mean KL per position of `engine`'s current weights (every window evaluated whole).
    [[nodiscard]] double measure(Engine &engine, const JobContext &ctx = {}) const;

private:
    std::vector<std::vector<int32_t>> windows_;
    std::vector<BaseRows> base_;
    int64_t length_ = 0;
    int64_t positions_ = 0;
    int64_t streamTokens_ = 0;
    double baseNll_ = 0;
    bool overlaps_ = false;
};

} // namespace cwb
