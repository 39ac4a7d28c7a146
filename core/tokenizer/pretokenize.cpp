// SPDX-License-Identifier: MIT
#include "tokenizer/pretokenize.h"

#include "tokenizer/unicode_class.h"
#include "tokenizer/utf8.h"

#include <algorithm>

namespace cwb {

namespace {

bool isOther(char32_t c)
{
    return !unicode::isWhitespace(c) && !unicode::isLetter(c) && !unicode::isNumber(c);
}

bool isNewline(char32_t c)
{
    return c == '\r' || c == '\n';
}

char32_t lower(char32_t c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

// One pass of a pre-tokenizer regex over decoded code points: each match* returns where the
// piece starting at i ends (always > i).
class Splitter {
public:
    explicit Splitter(std::string_view text)
    {
        size_t pos = 0;
        while (pos < text.size()) {
            char32_t cp = 0;
            size_t len = utf8::decode(text, pos, cp);
            if (len == 0) // callers validate; stay total anyway: one byte, one "character"
                cp = 0xFFFD, len = 1;
            cps_.push_back(cp);
            offsets_.push_back(pos);
            pos += len;
        }
        offsets_.push_back(text.size());
    }

    [[nodiscard]] size_t size() const { return cps_.size(); }
    [[nodiscard]] size_t byteOffset(size_t i) const { return offsets_[i]; }

    size_t matchGpt2(size_t i) const
    {
        if (const size_t e = contraction(i, false))
            return e;
        const size_t j = i + (cps_[i] == ' ' ? 1 : 0);
        if (j < size()) {
            if (unicode::isLetter(cps_[j]))
                return run(j, unicode::isLetter);
            if (unicode::isNumber(cps_[j]))
                return run(j, unicode::isNumber);
            if (isOther(cps_[j]))
                return run(j, isOther);
        }
        return whitespace(i);
    }

    size_t matchLlama3(size_t i, size_t maxDigits) const
    {
        if (const size_t e = contraction(i, true))
            return e;
        const char32_t c = cps_[i];
        if (unicode::isLetter(c))
            return run(i, unicode::isLetter);
        if (!isNewline(c) && !unicode::isNumber(c) && i + 1 < size()
            && unicode::isLetter(cps_[i + 1]))
            return run(i + 1, unicode::isLetter);
        if (unicode::isNumber(c))
            return std::min(run(i, unicode::isNumber), i + maxDigits);
        const size_t j = i + (c == ' ' ? 1 : 0);
        if (j < size() && isOther(cps_[j]))
            return run(run(j, isOther), isNewline);
        // \s*[\r\n]+ : the whitespace run up to and including its last line break.
        const size_t k = run(i, unicode::isWhitespace);
        for (size_t p = k; p > i; --p)
            if (isNewline(cps_[p - 1]))
                return p;
        return whitespace(i);
    }

    size_t matchMetaspace(size_t i) const
    {
        size_t e = i + 1;
        while (e < size() && cps_[e] != 0x2581)
            ++e;
        return e;
    }

private:
    template <typename Pred> size_t run(size_t from, Pred pred) const
    {
        while (from < size() && pred(cps_[from]))
            ++from;
        return from;
    }

    // 's 't 're 've 'm 'll 'd; 0 when none starts at i.
    size_t contraction(size_t i, bool anyCase) const
    {
        if (cps_[i] != '\'' || i + 1 >= size())
            return 0;
        const auto at = [&](size_t k) { return anyCase ? lower(cps_[k]) : cps_[k]; };
        const char32_t a = at(i + 1);
        if (a == 's' || a == 't' || a == 'm' || a == 'd')
            return i + 2;
        if (i + 2 < size()) {
            const char32_t b = at(i + 2);
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
                return i + 3;
        }
        return 0;
    }

    // \s+(?!\S)|\s+ : a whitespace run, minus its last character when a non-space follows
    // (that character then prefixes the next word), but never empty.
    size_t whitespace(size_t i) const
    {
        const size_t k = run(i, unicode::isWhitespace);
        if (k == size())
            return k;
        if (k >= i + 2)
            return k - 1;
        return std::max(k, i + 1);
    }

    std::vector<char32_t> cps_;
    std::vector<size_t> offsets_;
};

} // namespace

std::vector<std::string_view> preTokenize(std::string_view text, PreTokenizer kind)
{
    std::vector<std::string_view> pieces;
    if (text.empty())
        return pieces;
    if (kind == PreTokenizer::None) {
        pieces.push_back(text);
        return pieces;
    }
    const Splitter s(text);
    size_t i = 0;
    while (i < s.size()) {
        size_t e = i + 1;
        switch (kind) {
        case PreTokenizer::Gpt2: e = s.matchGpt2(i); break;
        case PreTokenizer::Llama3: e = s.matchLlama3(i, 3); break;
        case PreTokenizer::Qwen2: e = s.matchLlama3(i, 1); break;
        case PreTokenizer::MetaspaceSplit: e = s.matchMetaspace(i); break;
        case PreTokenizer::None: e = s.size(); break;
        }
        const size_t from = s.byteOffset(i);
        pieces.push_back(text.substr(from, s.byteOffset(e) - from));
        i = e;
    }
    return pieces;
}

} // namespace cwb
