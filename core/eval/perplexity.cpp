// SPDX-License-Identifier: MIT
#include "eval/perplexity.h"

#include "util/error.h"
#include "util/mapped_file.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

namespace cwb::eval {

namespace {

// Length of the UTF-8 sequence starting at text[i], or 0 when it is malformed (overlong forms,
// surrogates and code points past U+10FFFF included).
size_t utf8SequenceLength(std::string_view text, size_t i)
{
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char c = byte(i);
    if (c < 0x80)
        return 1;
    size_t len = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
        len = 2;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (i + len > text.size())
        return 0;
    for (size_t k = 1; k < len; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    static constexpr uint32_t kMinForLength[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

std::string hexByte(char c)
{
    static constexpr char kHex[] = "0123456789ABCDEF";
    const auto b = static_cast<unsigned char>(c);
    return std::string{kHex[b >> 4], kHex[b & 15]};
}

} // namespace

void checkEvalText(std::string_view text, const std::string &source)
{
    if (text.empty())
        throwIn(source, "the text is empty: there is nothing to evaluate");
    for (size_t i = 0; i < text.size();) {
        if (text[i] == '\0')
            throwAt(source, i, "NUL byte: this looks like a binary file, not UTF-8 text");
        const size_t len = utf8SequenceLength(text, i);
        if (len == 0)
            throwAt(source, i,
                    "invalid UTF-8 sequence (byte 0x" + hexByte(text[i])
                        + "): the evaluation text must be UTF-8");
        i += len;
    }
}

std::string loadEvalText(const std::string &path)
{
    if (path.empty())
        throwIn("evaluation text", "no text file given");
    const auto file = io::MappedFile::open(path);
    const auto bytes = file->bytes();
    std::string text(reinterpret_cast<const char *>(bytes.data()), bytes.size());
    checkEvalText(text, path);
    return text;
}

WindowPlan planWindows(int64_t nTokens, int64_t nCtx, int64_t chunks, PplProtocol protocol)
{
    if (nCtx < 2)
        throwIn("evaluation", "n_ctx " + std::to_string(nCtx)
                                  + " is too small: a window needs at least 2 tokens");
    if (chunks < 0)
        throwIn("evaluation", "chunks " + std::to_string(chunks) + " is negative");
    if (nTokens < nCtx)
        throwIn("evaluation",
                "the text has " + std::to_string(nTokens)
                    + " tokens, fewer than one window of n_ctx = " + std::to_string(nCtx)
                    + "; use a longer text or a smaller --ctx");
    WindowPlan plan;
    plan.nCtx = nCtx;
    plan.firstScored = protocol == PplProtocol::LlamaCppHalfWindow ? nCtx / 2 : 0;
    int64_t n = nTokens / nCtx;
    if (chunks > 0)
        n = std::min(n, chunks);
    plan.starts.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        plan.starts.push_back(i * nCtx);
    return plan;
}

std::vector<int32_t> windowTokens(std::span<const int32_t> stream, int64_t start, int64_t nCtx,
                                  int32_t bos, PplProtocol protocol)
{
    if (start < 0 || nCtx < 1 || static_cast<uint64_t>(start + nCtx) > stream.size())
        throwIn("evaluation", "window at token " + std::to_string(start) + " of length "
                                  + std::to_string(nCtx) + " lies outside the "
                                  + std::to_string(stream.size()) + "-token stream");
    std::vector<int32_t> w(stream.begin() + start, stream.begin() + start + nCtx);
    if (protocol == PplProtocol::LlamaCppHalfWindow && bos >= 0)
        w.front() = bos;
    return w;
}

double tokenNll(std::span<const float> logits, int32_t token)
{
    if (logits.empty() || token < 0 || static_cast<size_t>(token) >= logits.size())
        throwIn("evaluation", "token id " + std::to_string(token) + " is outside the vocabulary of "
                                  + std::to_string(logits.size()));
    float maxLogit = logits[0];
    for (const float v : logits)
        maxLogit = std::max(maxLogit, v);
    double sumExp = 0.0;
    for (const float v : logits)
        sumExp += std::exp(v - maxLogit); // float exp, double sum: llama-perplexity's choice
    return -(static_cast<double>(logits[static_cast<size_t>(token)] - maxLogit) - std::log(sumExp));
}

namespace {

void checkRows(std::span<const float> logits, int64_t nVocab, std::span<const int32_t> targets,
               std::span<double> nll)
{
    if (nVocab <= 0 || logits.size() != targets.size() * static_cast<size_t>(nVocab)
        || nll.size() != targets.size())
        throwIn("evaluation", "logits hold " + std::to_string(logits.size()) + " values for "
                                  + std::to_string(targets.size()) + " rows of "
                                  + std::to_string(nVocab));
}

} // namespace

void tokenNllRowsReference(std::span<const float> logits, int64_t nVocab,
                           std::span<const int32_t> targets, std::span<double> nll)
{
    checkRows(logits, nVocab, targets, nll);
    const auto v = static_cast<size_t>(nVocab);
    for (size_t r = 0; r < targets.size(); ++r)
        nll[r] = tokenNll(logits.subspan(r * v, v), targets[r]);
}

void tokenNllRows(std::span<const float> logits, int64_t nVocab, std::span<const int32_t> targets,
                  std::span<double> nll)
{
    checkRows(logits, nVocab, targets, nll);
    const auto v = static_cast<size_t>(nVocab);
    // Rows are independent; each is computed exactly as the reference does, only concurrently.
    tbb::parallel_for(tbb::blocked_range<size_t>(0, targets.size(), 8),
                      [&](const tbb::blocked_range<size_t> &range) {
                          for (size_t r = range.begin(); r != range.end(); ++r)
                              nll[r] = tokenNll(logits.subspan(r * v, v), targets[r]);
                      });
}

double NllAccumulator::meanNll() const
{
    return count_ > 0 ? sum_ / static_cast<double>(count_) : 0.0;
}

double NllAccumulator::ppl() const
{
    return std::exp(meanNll());
}

double NllAccumulator::pplStderr() const
{
    if (count_ < 2)
        return 0.0;
    const double mean = meanNll();
    const double var = sum2_ / static_cast<double>(count_) - mean * mean;
    return var > 0 ? std::sqrt(var / static_cast<double>(count_ - 1)) * ppl() : 0.0;
}

} // namespace cwb::eval
