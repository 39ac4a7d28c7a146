// SPDX-License-Identifier: MIT
#pragma once
// Greedy text generation: the prompt is tokenized (with BOS when the tokenizer's format adds
// one), evaluated in one call, and then the most likely token is appended one step at a time,
// streaming the text as it becomes complete UTF-8. Stops after maxTokens or at end-of-sequence.

#include "jobs/job_context.h"
#include "model/model.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cwb {

class Engine;
class Tokenizer;

struct GenerateParams {
    std::string modelPath;        // opened with io::openModel when `model` is null
    const Model *model = nullptr; // an already open model; takes precedence
    std::string prompt;           // UTF-8
    int64_t maxTokens = 64;       // tokens to generate (>= 1)
    int threads = 0;              // engine threads; 0 = all cores
    bool stopAtEos = true;
};

struct GenerateResult {
    std::string text; // the generated text (without the prompt)
    std::vector<int32_t> promptTokens;
    std::vector<int32_t> tokens; // generated ids
    double prefillSeconds = 0;
    double decodeSeconds = 0;
    double prefillTokPerS = 0;
    double decodeTokPerS = 0; // generated tokens after the first / decodeSeconds
    bool stoppedAtEos = false;
};

// `onText` receives each new piece of text as soon as it is complete UTF-8 (may be empty).
// Throws cwb::Error for an empty prompt or one that does not fit the context, and
// cwb::Cancelled when ctx is cancelled.
[[nodiscard]] GenerateResult generateGreedy(const GenerateParams &params,
                                            const std::function<void(const std::string &)> &onText,
                                            const JobContext &ctx = {});
// The same on an engine and tokenizer the caller keeps (several prompts, or an engine with
// replaced weights); only params.prompt, maxTokens and stopAtEos are read. The engine's cache is
// reset first.
[[nodiscard]] GenerateResult generateGreedy(Engine &engine, const Tokenizer &tokenizer,
                                            const GenerateParams &params,
                                            const std::function<void(const std::string &)> &onText,
                                            const JobContext &ctx = {});

// Length of the longest prefix of `s` that does not end inside a UTF-8 sequence.
[[nodiscard]] size_t completeUtf8Prefix(const std::string &s);

} // namespace cwb
