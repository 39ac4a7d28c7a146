// SPDX-License-Identifier: MIT
#include "compare/behaviour.h"

#include "eval/generation.h"
#include "eval/perplexity.h"
#include "util/error.h"

#include <algorithm>

namespace cwb {

const std::vector<std::string> &defaultPrompts()
{
    static const std::vector<std::string> prompts{
        "Once upon a time",
        "The little dog",
        "One day, a girl named Lily",
        "The sun was shining and",
        "In the morning, the family",
        "She opened the box and saw",
        "The old man walked to the",
        "My favourite food is",
        "The weather today is",
        "He looked at the sky and",
        "The best way to learn is",
        "At the end of the day,",
    };
    return prompts;
}

std::vector<std::string> loadPrompts(const std::string &path)
{
    const std::string text = eval::loadEvalText(path);
    std::vector<std::string> prompts;
    size_t begin = 0;
    while (begin <= text.size()) {
        size_t end = text.find('\n', begin);
        if (end == std::string::npos)
            end = text.size();
        std::string line = text.substr(begin, end - begin);
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.find_first_not_of(" \t") != std::string::npos)
            prompts.push_back(std::move(line));
        begin = end + 1;
    }
    if (prompts.empty())
        throwIn(path, "holds no prompt (one per line expected)");
    return prompts;
}

void checkBehaviourParams(const BehaviourParams &params)
{
    if (params.tokens < 1)
        throwIn("compare", "tokens to generate must be at least 1 (got "
                               + std::to_string(params.tokens) + ")");
    if (params.agree < 1 || params.agree > params.tokens)
        throwIn("compare", "the tokens that must agree (" + std::to_string(params.agree)
                               + ") must lie in 1.." + std::to_string(params.tokens)
                               + ", the tokens generated");
}

int64_t firstDivergence(const std::vector<int32_t> &a, const std::vector<int32_t> &b)
{
    const size_t common = std::min(a.size(), b.size());
    for (size_t i = 0; i < common; ++i)
        if (a[i] != b[i])
            return static_cast<int64_t>(i);
    return a.size() == b.size() ? -1 : static_cast<int64_t>(common);
}

namespace {

// The continuation's ids, with EOS appended when generation stopped at it: a model that ends
// the text where the other goes on has diverged.
std::vector<int32_t> continuation(const GenerateResult &r, const Tokenizer &tokenizer)
{
    std::vector<int32_t> ids = r.tokens;
    if (r.stoppedAtEos)
        ids.push_back(tokenizer.eos());
    return ids;
}

// The text of the first `count` generated tokens (without the prompt's text).
std::string prefixText(const Tokenizer &tokenizer, const std::vector<int32_t> &promptTokens,
                       const std::vector<int32_t> &generated, size_t count)
{
    std::vector<int32_t> ids = promptTokens;
    const size_t promptText = tokenizer.decode(ids).size();
    for (size_t i = 0; i < count && i < generated.size(); ++i)
        if (generated[i] != tokenizer.eos())
            ids.push_back(generated[i]);
    const std::string full = tokenizer.decode(ids);
    return full.size() > promptText ? full.substr(promptText) : std::string();
}

// The text of a whole continuation after the part both generated alike. Decoding is prefix-
// stable for whole tokens; should a token join bytes across the divergence (a UTF-8 character
// split over byte tokens), the whole continuation stands rather than a cut character.
std::string restAfter(const std::string &common, const std::string &full)
{
    return full.starts_with(common) ? full.substr(common.size()) : full;
}

} // namespace

BehaviourComparison compareBehaviour(Engine &a, Engine &b, const Tokenizer &tokenizerA,
                                     const Tokenizer &tokenizerB,
                                     const std::vector<std::string> &prompts,
                                     const BehaviourParams &params, const JobContext &ctx)
{
    checkBehaviourParams(params);
    BehaviourComparison out;
    out.promptsSource = params.promptsPath.empty() ? "built-in" : params.promptsPath;
    out.tokens = params.tokens;
    out.agree = params.agree;
    GenerateParams g;
    g.maxTokens = params.tokens;
    for (size_t i = 0; i < prompts.size(); ++i) {
        ctx.checkCancelled();
        g.prompt = prompts[i];
        if (tokenizerA.encode(g.prompt, true) != tokenizerB.encode(g.prompt, true))
            throwIn(out.promptsSource, "prompt " + std::to_string(i + 1) + " \"" + g.prompt
                                           + "\": A's and B's tokenizers cut it differently");
        const GenerateResult ra = generateGreedy(a, tokenizerA, g, {}, ctx.cancelOnly());
        const GenerateResult rb = generateGreedy(b, tokenizerB, g, {}, ctx.cancelOnly());
        PromptComparison p;
        p.prompt = g.prompt;
        p.tokensA = continuation(ra, tokenizerA);
        p.tokensB = continuation(rb, tokenizerB);
        p.textA = ra.text;
        p.textB = rb.text;
        p.firstDivergence = firstDivergence(p.tokensA, p.tokensB);
        p.unchanged = p.firstDivergence < 0 || p.firstDivergence >= params.agree;
        const size_t common = p.firstDivergence < 0 ? p.tokensA.size()
                                                    : static_cast<size_t>(p.firstDivergence);
        p.commonText = prefixText(tokenizerA, ra.promptTokens, p.tokensA, common);
        p.restA = restAfter(p.commonText,
                            prefixText(tokenizerA, ra.promptTokens, p.tokensA, p.tokensA.size()));
        p.restB = restAfter(p.commonText,
                            prefixText(tokenizerB, rb.promptTokens, p.tokensB, p.tokensB.size()));
        out.unchangedCount += p.unchanged;
        out.identicalCount += p.firstDivergence < 0;
        out.prompts.push_back(std::move(p));
        ctx.report(double(i + 1) / double(prompts.size()),
                   "prompt " + std::to_string(i + 1) + "/" + std::to_string(prompts.size()));
    }
    return out;
}

} // namespace cwb
