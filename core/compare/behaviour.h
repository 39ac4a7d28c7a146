// SPDX-License-Identifier: MIT
#pragma once
// The behavioural check of a comparison: greedy continuations of a fixed list of prompts with A
// and with B, token by token. Perplexity and KLD average over positions; this asks what a user
// sees: does B still say the same thing, and where does it first say something else.

#include "eval/engine.h"
#include "jobs/job_context.h"
#include "tokenizer/tokenizer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cwb {

struct BehaviourParams {
    std::string promptsPath; // one prompt per line (blank lines skipped); empty: defaultPrompts()
    int64_t tokens = 32;     // greedy tokens generated per prompt and model (stops early at EOS)
    int64_t agree = 16;      // a prompt is "unchanged" when its first `agree` tokens are
                             // (at most `tokens`)
};

// The built-in list: a dozen short, neutral English prompts (fixed, so runs stay comparable).
[[nodiscard]] const std::vector<std::string> &defaultPrompts();
// The prompts of a file, one per line (a trailing CR dropped, blank lines skipped). Throws
// cwb::Error naming the file when it is missing, not UTF-8 text, or holds no prompt.
[[nodiscard]] std::vector<std::string> loadPrompts(const std::string &path);

struct PromptComparison {
    std::string prompt;
    std::vector<int32_t> tokensA, tokensB; // generated ids; EOS last when generation stopped there
    std::string textA, textB;              // the continuations as text
    std::string commonText;                // the text of the tokens both generated alike
    std::string restA, restB;              // each continuation's text after commonText
    int64_t firstDivergence = -1;          // first token index where they differ; -1: identical
    bool unchanged = false;                // identical in the first `agree` tokens
};

struct BehaviourComparison {
    std::string promptsSource; // the prompts file, or "built-in"
    int64_t tokens = 0, agree = 0;
    std::vector<PromptComparison> prompts; // in the list's order
    int64_t unchangedCount = 0;            // prompts unchanged in their first `agree` tokens
    int64_t identicalCount = 0;            // prompts whose whole continuations are identical
    [[nodiscard]] double unchangedShare() const
    {
        return prompts.empty() ? 0.0 : double(unchangedCount) / double(prompts.size());
    }
};

// Throws cwb::Error when tokens < 1 or agree is outside 1..tokens.
void checkBehaviourParams(const BehaviourParams &params);

// Index of the first position where `a` and `b` differ (one ending before the other counts);
// -1 when they are equal.
[[nodiscard]] int64_t firstDivergence(const std::vector<int32_t> &a, const std::vector<int32_t> &b);

// Generates every prompt with both engines. B's tokenizer must cut every prompt as A's does
// (cwb::Error naming the prompt otherwise); `agree` must lie in 1..tokens.
[[nodiscard]] BehaviourComparison compareBehaviour(Engine &a, Engine &b,
                                                   const Tokenizer &tokenizerA,
                                                   const Tokenizer &tokenizerB,
                                                   const std::vector<std::string> &prompts,
                                                   const BehaviourParams &params,
                                                   const JobContext &ctx = {});

} // namespace cwb
