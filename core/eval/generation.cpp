// SPDX-License-Identifier: MIT
#include "eval/generation.h"

#include "eval/engine.h"
#include "eval/latency.h"
#include "io/open_model.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

#include <chrono>
#include <optional>

namespace cwb {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

} // namespace

size_t completeUtf8Prefix(const std::string &s)
{
    // Walk back over at most 3 continuation bytes to the last lead byte; keep it only when its
    // whole sequence is present.
    size_t i = s.size();
    size_t back = 0;
    while (i > 0 && back < 4 && (static_cast<unsigned char>(s[i - 1]) & 0xC0) == 0x80) {
        --i;
        ++back;
    }
    if (i == 0)
        return back == 0 ? 0 : s.size(); // only continuation bytes: nothing to wait for
    const auto lead = static_cast<unsigned char>(s[i - 1]);
    const size_t need = lead < 0x80         ? 1
                        : (lead >> 5) == 6  ? 2
                        : (lead >> 4) == 14 ? 3
                        : (lead >> 3) == 30 ? 4
                                            : 1;
    return back + 1 >= need ? s.size() : i - 1;
}

GenerateResult generateGreedy(const GenerateParams &params,
                              const std::function<void(const std::string &)> &onText,
                              const JobContext &ctx)
{
    if (!params.model && params.modelPath.empty())
        throwIn("generate", "no model given");
    if (params.prompt.empty())
        throwIn("generate", "the prompt is empty");
    std::optional<Model> opened;
    if (!params.model)
        opened = io::openModel(params.modelPath);
    const Model &model = params.model ? *params.model : *opened;

    const auto tokenizer = loadTokenizer(model);
    EngineOptions options;
    options.threads = params.threads;
    const auto engine = Engine::create(model, options);
    return generateGreedy(*engine, *tokenizer, params, onText, ctx);
}

GenerateResult generateGreedy(Engine &engine, const Tokenizer &tokenizer,
                              const GenerateParams &params,
                              const std::function<void(const std::string &)> &onText,
                              const JobContext &ctx)
{
    if (params.prompt.empty())
        throwIn("generate", "the prompt is empty");
    if (params.maxTokens < 1)
        throwIn("generate", "the number of tokens to generate must be at least 1 (got "
                                + std::to_string(params.maxTokens) + ")");
    GenerateResult r;
    r.promptTokens = tokenizer.encode(params.prompt, true);
    const auto promptLen = static_cast<int64_t>(r.promptTokens.size());
    const int64_t total = promptLen + params.maxTokens;
    if (promptLen < 1 || total > engine.contextLimit())
        throwIn("generate", "the prompt (" + std::to_string(promptLen) + " tokens) plus "
                                + std::to_string(params.maxTokens)
                                + " new tokens exceed the model's context of "
                                + std::to_string(engine.contextLimit()));
    engine.reset(std::max<int64_t>(total, 2));

    std::vector<float> logits;
    auto t0 = Clock::now();
    engine.eval(r.promptTokens, logits, false, ctx);
    r.prefillSeconds = secondsSince(t0);

    std::vector<int32_t> all = r.promptTokens;
    const size_t promptTextLength = tokenizer.decode(all).size();
    size_t emitted = promptTextLength;
    t0 = Clock::now();
    for (int64_t step = 0; step < params.maxTokens; ++step) {
        ctx.checkCancelled();
        const int32_t next = eval::argmaxToken(logits);
        if (params.stopAtEos && next == tokenizer.eos()) {
            r.stoppedAtEos = true;
            break;
        }
        r.tokens.push_back(next);
        all.push_back(next);
        const std::string full = tokenizer.decode(all);
        const size_t ready = completeUtf8Prefix(full);
        if (ready > emitted) {
            const std::string piece = full.substr(emitted, ready - emitted);
            r.text += piece;
            if (onText)
                onText(piece);
            emitted = ready;
        }
        if (step + 1 < params.maxTokens)
            engine.eval(std::span<const int32_t>(&next, 1), logits, false, ctx);
    }
    r.decodeSeconds = secondsSince(t0);
    const std::string full = tokenizer.decode(all);
    if (full.size() > emitted) { // a trailing incomplete sequence, flushed as it is
        const std::string piece = full.substr(emitted);
        r.text += piece;
        if (onText)
            onText(piece);
    }
    r.prefillTokPerS = r.prefillSeconds > 0 ? static_cast<double>(promptLen) / r.prefillSeconds : 0;
    const auto decoded = static_cast<double>(r.tokens.size() > 1 ? r.tokens.size() - 1 : 0);
    r.decodeTokPerS = r.decodeSeconds > 0 ? decoded / r.decodeSeconds : 0;
    return r;
}

} // namespace cwb
