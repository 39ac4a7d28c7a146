// SPDX-License-Identifier: MIT
#pragma once
// The pieces of a perplexity run: reading and checking the text, cutting the token stream into
// windows, the per-position negative log-likelihood and its running mean / standard error.
//
// The NLL is computed the way llama-perplexity computes it, so that figures agree to the last
// printed digit: the maximum logit in float, the sum of expf(logit - max) accumulated in double,
// nll = max + log(sum) - logit[token]. Its standard error is the delta-method estimate
// llama-perplexity prints: sqrt((E[nll^2] - E[nll]^2) / (count - 1)) * ppl.

#include "eval/evaluation.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cwb::eval {

// The whole file as UTF-8 text. Throws cwb::Error naming the file for a missing or empty file,
// a NUL byte ("binary data") or an invalid UTF-8 sequence, each with its byte offset.
[[nodiscard]] std::string loadEvalText(const std::string &path);
// The same checks on text already in memory; `source` names it in messages.
void checkEvalText(std::string_view text, const std::string &source);

// Which windows of the token stream are evaluated and which of their positions are scored.
struct WindowPlan {
    int64_t nCtx = 0;
    int64_t firstScored = 0;     // logits at positions firstScored .. nCtx-2 are scored
    std::vector<int64_t> starts; // offset of each window in the token stream
    [[nodiscard]] int64_t scoredPerWindow() const { return nCtx - 1 - firstScored; }
};

// Windows of nCtx tokens, back to back, as many as fit (capped by `chunks` when > 0). Throws
// cwb::Error when nCtx < 2 or the stream holds fewer than nCtx tokens.
[[nodiscard]] WindowPlan planWindows(int64_t nTokens, int64_t nCtx, int64_t chunks,
                                     PplProtocol protocol);

// The tokens a window is evaluated on: llama.cpp's protocol puts BOS in place of the first token
// (when the vocabulary has one, bos >= 0); full windows are taken as they are.
[[nodiscard]] std::vector<int32_t> windowTokens(std::span<const int32_t> stream, int64_t start,
                                                int64_t nCtx, int32_t bos, PplProtocol protocol);

// -log softmax(logits)[token], as llama-perplexity computes it (see the file comment).
[[nodiscard]] double tokenNll(std::span<const float> logits, int32_t token);

// Scalar reference: nll[r] = tokenNll(row r, targets[r]) for nRows rows of nVocab logits.
void tokenNllRowsReference(std::span<const float> logits, int64_t nVocab,
                           std::span<const int32_t> targets, std::span<double> nll);
// The same, rows in parallel on the calling thread's oneTBB arena; results are identical.
void tokenNllRows(std::span<const float> logits, int64_t nVocab, std::span<const int32_t> targets,
                  std::span<double> nll);

// Running sums of nll and nll^2 (double, like llama-perplexity's nll / nll2).
class NllAccumulator {
public:
    void add(double nll)
    {
        sum_ += nll;
        sum2_ += nll * nll;
        ++count_;
    }
    [[nodiscard]] int64_t count() const { return count_; }
    [[nodiscard]] double meanNll() const;
    [[nodiscard]] double ppl() const;
    [[nodiscard]] double pplStderr() const; // 0 with fewer than two values

private:
    double sum_ = 0;
    double sum2_ = 0;
    int64_t count_ = 0;
};

} // namespace cwb::eval
