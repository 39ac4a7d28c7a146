// SPDX-License-Identifier: MIT
#include "tokenizer/token_type.h"

#include "util/error.h"

#include <limits>
#include <utility>

namespace cwb {

namespace {

int hexDigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

} // namespace

int byteTokenValue(std::string_view piece)
{
    if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>')
        return -1;
    const int hi = hexDigit(piece[3]);
    const int lo = hexDigit(piece[4]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

void appendSpaceMarked(std::string &out, std::string_view text)
{
    out.reserve(out.size() + text.size() + text.size() / 4 + kSpaceMark.size());
    for (const char c : text) {
        if (c == ' ')
            out += kSpaceMark;
        else
            out += c;
    }
}

void appendUnescapedPiece(std::string &out, std::string_view piece, bool stripLeading)
{
    size_t pos = 0;
    if (stripLeading && piece.starts_with(kSpaceMark))
        pos = kSpaceMark.size();
    while (pos < piece.size()) {
        if (piece.compare(pos, kSpaceMark.size(), kSpaceMark) == 0) {
            out += ' ';
            pos += kSpaceMark.size();
        } else {
            out += piece[pos++];
        }
    }
}

void requireVocabularySize(std::string_view source, size_t nTokens)
{
    if (nTokens == 0)
        throwIn(source, "the vocabulary is empty");
    if (nTokens > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
        throwIn(source, "the vocabulary has more tokens than int32 ids can name");
}

void requireSpecialIds(std::string_view source, size_t nTokens, int32_t bos, int32_t eos,
                       int32_t unk)
{
    for (const auto &[what, id] : {std::pair{"BOS", bos}, {"EOS", eos}, {"unknown-token", unk}})
        if (id < -1 || id >= static_cast<int64_t>(nTokens))
            throwIn(source, std::string(what) + " id " + std::to_string(id)
                                + " is outside the vocabulary of " + std::to_string(nTokens)
                                + " tokens");
}

void requireTokenId(std::string_view source, int32_t id, int32_t vocabSize)
{
    if (id < 0 || id >= vocabSize)
        throwIn(source, "token id " + std::to_string(id) + " is outside the vocabulary of "
                            + std::to_string(vocabSize) + " tokens");
}

void requireDecodableId(std::string_view source, int32_t id, size_t position, int32_t vocabSize)
{
    if (id < 0 || id >= vocabSize)
        throwIn(source, "cannot decode id " + std::to_string(id) + " at position "
                            + std::to_string(position) + ": the vocabulary has "
                            + std::to_string(vocabSize) + " tokens");
}

} // namespace cwb
