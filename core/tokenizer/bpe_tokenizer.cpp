// SPDX-License-Identifier: MIT
#include "tokenizer/bpe_tokenizer.h"

#include "tokenizer/byte_level.h"
#include "tokenizer/pair_merge.h"
#include "tokenizer/piece_decode.h"
#include "tokenizer/token_type.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

#include <cstdio>
#include <limits>

namespace cwb {

namespace {


std::string byteTokenName(unsigned b)
{
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    return buf;
}

uint64_t pairKey(int32_t left, int32_t right)
{
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32)
        | static_cast<uint32_t>(right);
}

} // namespace

BpeTokenizer::BpeTokenizer(BpeVocab vocab, std::string kind)
    : v_(std::move(vocab)), kind_(std::move(kind))
{
    const size_t n = v_.tokens.size();
    requireVocabularySize(v_.source, n);
    if (v_.types.size() != n)
        throwIn(v_.source,
                "the vocabulary has " + std::to_string(n) + " tokens but "
                    + std::to_string(v_.types.size()) + " token types");
    requireSpecialIds(v_.source, n, v_.bos, v_.eos, v_.unk);

    ids_.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        ids_[v_.tokens[i]] = static_cast<int32_t>(i); // a repeated token resolves to its last id
        if (v_.types[i] == TokenType::UserDefined)
            added_.add(v_.tokens[i], static_cast<int32_t>(i));
    }

    for (unsigned b = 0; b < 256; ++b) {
        if (v_.byteLevel) {
            std::string spelled;
            utf8::append(spelled, bytelevel::toCodePoint(static_cast<uint8_t>(b)));
            byteIds_[b] = idOf(spelled);
        } else {
            byteIds_[b] = idOf(byteTokenName(b));
        }
    }

    merges_.reserve(v_.merges.size());
    for (size_t rank = 0; rank < v_.merges.size(); ++rank) {
        const auto &[a, b] = v_.merges[rank];
        const int32_t left = idOf(a);
        const int32_t right = idOf(b);
        const int32_t result = idOf(a + b);
        if (left < 0 || right < 0 || result < 0)
            throwIn(v_.source,
                    "merge " + std::to_string(rank) + " (\"" + a + "\" \"" + b + "\"): \""
                        + (left < 0        ? a
                               : right < 0 ? b
                                           : a + b)
                        + "\" is not in the vocabulary");
        if (rank > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
            throwIn(v_.source, "more merges than int32 ranks can order");
        merges_.emplace(pairKey(left, right),
                        Merge{static_cast<int32_t>(rank), result}); // first rank wins
    }
}

int32_t BpeTokenizer::idOf(std::string_view token) const
{
    const auto it = ids_.find(token);
    return it == ids_.end() ? -1 : it->second;
}

std::vector<int32_t> BpeTokenizer::encode(std::string_view text, bool addBos) const
{
    utf8::requireValid(text, "text to encode");
    std::vector<int32_t> out;
    out.reserve(text.size() / 3 + 2);
    if (addBos && addsBos())
        out.push_back(v_.bos);
    WordCache cache;
    for (const auto &fragment : added_.split(text)) {
        if (fragment.id >= 0)
            out.push_back(fragment.id);
        else
            encodeFragment(fragment.text, cache, out);
    }
    return out;
}

void BpeTokenizer::encodeFragment(std::string_view text, WordCache &cache,
                                  std::vector<int32_t> &out) const
{
    std::string buf;
    if (v_.byteLevel) {
        if (v_.addPrefixSpace && text.front() != ' ')
            buf = " ";
        buf += text;
    } else {
        if (v_.addPrefixSpace)
            buf += kSpaceMark;
        appendSpaceMarked(buf, text);
    }
    if (buf.size() >= std::numeric_limits<uint32_t>::max())
        throwIn("text to encode", "longer than 4 GiB");

    for (const std::string_view word : preTokenize(buf, v_.pre)) {
        // Long words (a whole SentencePiece-style text) are not worth keeping.
        const bool cacheable = word.size() <= 256;
        if (cacheable) {
            if (const auto it = cache.find(word); it != cache.end()) {
                out.insert(out.end(), it->second.begin(), it->second.end());
                continue;
            }
        }
        const size_t from = out.size();
        encodeWord(word, out);
        if (cacheable)
            cache.emplace(std::string(word),
                          std::vector<int32_t>(out.begin() + static_cast<long>(from), out.end()));
    }
}

void BpeTokenizer::encodeWord(std::string_view word, std::vector<int32_t> &out) const
{
    if (v_.ignoreMerges) {
        const int32_t whole = idOf(v_.byteLevel ? bytelevel::encode(word) : std::string(word));
        if (whole >= 0) {
            out.push_back(whole);
            return;
        }
    }
    // Initial symbols: one per byte (byte-level), or one per character with characters the
    // vocabulary lacks split into byte tokens (SentencePiece-style).
    std::vector<uint32_t> lengths;
    std::vector<int32_t> ids;
    lengths.reserve(word.size());
    ids.reserve(word.size());
    for (size_t pos = 0; pos < word.size();) {
        const auto byte = static_cast<unsigned char>(word[pos]);
        if (v_.byteLevel) {
            lengths.push_back(1);
            ids.push_back(byteIds_[byte]);
            ++pos;
            continue;
        }
        const size_t len = std::min(utf8::sequenceLength(byte), word.size() - pos);
        if (const int32_t id = idOf(word.substr(pos, len)); id >= 0) {
            lengths.push_back(static_cast<uint32_t>(len));
            ids.push_back(id);
        } else {
            for (size_t k = 0; k < len; ++k) {
                lengths.push_back(1);
                ids.push_back(byteIds_[static_cast<unsigned char>(word[pos + k])]);
            }
        }
        pos += len;
    }
    std::vector<MergeSymbol> syms = linkSymbols(lengths);
    for (size_t i = 0; i < syms.size(); ++i)
        syms[i].id = ids[i];

    mergePairs(syms,
               [&](const MergeSymbol &l, const MergeSymbol &r, double &priority, int32_t &id) {
                   if (l.id < 0 || r.id < 0)
                       return false;
                   const auto it = merges_.find(pairKey(l.id, r.id));
                   if (it == merges_.end())
                       return false;
                   priority = -static_cast<double>(it->second.rank);
                   id = it->second.result;
                   return true;
               });

    for (int32_t i = syms.empty() ? -1 : 0; i >= 0; i = syms[i].next) {
        if (syms[i].id >= 0) {
            out.push_back(syms[i].id);
            continue;
        }
        if (v_.unk < 0) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "0x%02X",
                          static_cast<unsigned>(static_cast<unsigned char>(word[syms[i].begin])));
            throwIn(v_.source,
                    std::string("cannot encode byte ") + hex
                        + ": the vocabulary has no token for it and no unknown token");
        }
        out.push_back(v_.unk);
    }
}

std::string BpeTokenizer::decode(std::span<const int32_t> ids) const
{
    return decodePieces({.source = v_.source,
                         .pieces = v_.tokens,
                         .types = v_.types,
                         .spelling = v_.byteLevel ? PieceSpelling::ByteLevel
                                                  : PieceSpelling::SpaceMark,
                         .stripFirstSpace = v_.addPrefixSpace},
                        ids);
}

std::string BpeTokenizer::tokenText(int32_t id) const
{
    requireTokenId(v_.source, id, vocabSize());
    return v_.tokens[static_cast<size_t>(id)];
}

} // namespace cwb
