// SPDX-License-Identifier: MIT
#include "analysis/kld_windows.h"

#include "eval/perplexity.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

#include <algorithm>

namespace cwb {

KldWindows::KldWindows(const Model &model, const std::string &textPath,
                       const KldWindowParams &params, int64_t statisticsTokens, Engine &engine,
                       const JobContext &ctx)
{
    if (params.windows < 1 || params.tokensPerWindow < 2)
        throwIn(textPath, "KLD windows: " + std::to_string(params.windows) + " windows of "
                              + std::to_string(params.tokensPerWindow)
                              + " tokens (at least 1 of 2)");
    const std::string text = eval::loadEvalText(textPath);
    const auto tokenizer = loadTokenizer(model);
    const std::vector<int32_t> stream = tokenizer->encode(text, false);
    const int32_t bos = tokenizer->addsBos() ? tokenizer->bos() : -1;
    streamTokens_ = int64_t(stream.size());
    length_ = std::min(params.tokensPerWindow, engine.contextLimit());
    const int64_t piece = length_ - (bos >= 0 ? 1 : 0);
    int64_t count = std::min(params.windows, streamTokens_ / std::max<int64_t>(piece, 1));
    int64_t pieceLen = piece;
    if (count == 0) { // a short text: one window of all of it
        count = 1;
        pieceLen = streamTokens_;
    }
    if (pieceLen + (bos >= 0 ? 1 : 0) < 2)
        throwIn(textPath, "the calibration text holds " + std::to_string(streamTokens_)
                              + " tokens: too few for one KLD window");
    length_ = pieceLen + (bos >= 0 ? 1 : 0);
    const int64_t first = streamTokens_ - count * pieceLen;
    overlaps_ = first < statisticsTokens;
    for (int64_t w = 0; w < count; ++w) {
        std::vector<int32_t> window;
        if (bos >= 0)
            window.push_back(bos);
        const auto begin = stream.begin() + first + w * pieceLen;
        window.insert(window.end(), begin, begin + pieceLen);
        windows_.push_back(std::move(window));
    }

    const int64_t vocab = engine.vocabSize();
    std::vector<float> logits;
    double nllSum = 0;
    base_.resize(windows_.size());
    for (size_t w = 0; w < windows_.size(); ++w) {
        ctx.checkCancelled();
        const auto &tokens = windows_[w];
        engine.reset(length_);
        engine.eval(tokens, logits, true, ctx);
        const size_t scored = tokens.size() - 1;
        std::vector<double> nll(scored);
        encodeBaseRows(std::span<const float>(logits).first(scored * size_t(vocab)), vocab,
                       base_[w], std::span<const int32_t>(tokens).subspan(1), nll);
        for (const double v : nll)
            nllSum += v;
        positions_ += int64_t(scored);
        ctx.report(double(w + 1) / double(windows_.size()),
                   "original model, window " + std::to_string(w + 1) + "/"
                       + std::to_string(windows_.size()));
    }
    baseNll_ = positions_ > 0 ? nllSum / double(positions_) : 0;
}

double KldWindows::klOfWindow(size_t w, std::span<const float> logits) const
{
    const BaseRows &base = base_[w];
    return klRowsSum(base, logits.first(size_t(base.rows * base.vocab)));
}

double KldWindows::measure(Engine &engine, const JobContext &ctx) const
{
    std::vector<float> logits;
    double sum = 0;
    for (size_t w = 0; w < windows_.size(); ++w) {
        ctx.checkCancelled();
        engine.reset(length_);
        engine.eval(windows_[w], logits, true, ctx);
        sum += klOfWindow(w, logits);
    }
    return positions_ > 0 ? sum / double(positions_) : 0;
}

} // namespace cwb
