// SPDX-License-Identifier: MIT
#include "tokenizer/spm_tokenizer.h"

#include "tokenizer/pair_merge.h"
#include "tokenizer/piece_decode.h"
#include "tokenizer/token_type.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

#include <cstdio>
#include <limits>

namespace cwb {

namespace {


std::string hexByte(unsigned char b)
{
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02X", static_cast<unsigned>(b));
    return buf;
}

} // namespace

SpmTokenizer::SpmTokenizer(ScoredVocab vocab, std::string kind)
    : v_(std::move(vocab)), kind_(std::move(kind))
{
    const size_t n = v_.pieces.size();
    requireVocabularySize(v_.source, n);
    if (v_.scores.size() != n || v_.types.size() != n)
        throwIn(v_.source,
                "the vocabulary has " + std::to_string(n) + " pieces but "
                    + std::to_string(v_.scores.size()) + " scores and "
                    + std::to_string(v_.types.size()) + " token types");
    requireSpecialIds(v_.source, n, v_.bos, v_.eos, v_.unk);

    byteIds_.fill(-1);
    mergeable_.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        const auto id = static_cast<int32_t>(i);
        const std::string &piece = v_.pieces[i];
        const bool mergeable
            = v_.types[i] == TokenType::Normal || v_.types[i] == TokenType::UserDefined;
        if (mergeable && !piece.empty()) {
            mergeable_[piece] = id; // a repeated piece resolves to its last id, as in llama.cpp
            size_t lead = 0;
            while (piece.compare(lead, kSpaceMark.size(), kSpaceMark) == 0)
                lead += kSpaceMark.size();
            if (piece.find(kSpaceMark, lead) != std::string::npos)
                wordsAreIndependent_ = false; // a merge could cross a word boundary
        }
        switch (v_.types[i]) {
        case TokenType::UserDefined: userDefined_.add(piece, id); break;
        case TokenType::Byte:
            if (const int b = byteTokenValue(piece); b >= 0 && byteIds_[b] < 0)
                byteIds_[b] = id;
            break;
        default: break;
        }
    }
}

std::vector<int32_t> SpmTokenizer::encode(std::string_view text, bool addBos) const
{
    utf8::requireValid(text, "text to encode");
    std::vector<int32_t> out;
    out.reserve(text.size() / 3 + 2);
    if (addBos && addsBos())
        out.push_back(v_.bos);
    // As llama.cpp: the dummy prefix goes before the text and after each user-defined token.
    bool afterSpecial = true;
    for (const auto &fragment : userDefined_.split(text)) {
        if (fragment.id >= 0) {
            out.push_back(fragment.id);
            afterSpecial = true;
        } else {
            encodeFragment(fragment.text, v_.addSpacePrefix && afterSpecial, out);
            afterSpecial = false;
        }
    }
    return out;
}

void SpmTokenizer::encodeFragment(std::string_view text, bool prefixSpace,
                                  std::vector<int32_t> &out) const
{
    std::string s;
    if (prefixSpace)
        s += kSpaceMark;
    appendSpaceMarked(s, text);
    if (s.size() >= std::numeric_limits<uint32_t>::max())
        throwIn("text to encode", "longer than 4 GiB after escaping spaces");
    if (!wordsAreIndependent_) {
        encodeWord(s, out);
        return;
    }

    // Words: a cut before each U+2581 that follows something else ("a▁▁b" -> "a", "▁▁b").
    WordCache cache;
    const std::string_view all(s);
    size_t from = 0;
    while (from < all.size()) {
        size_t to = from;
        while (to < all.size() && all.compare(to, kSpaceMark.size(), kSpaceMark) == 0)
            to += kSpaceMark.size();
        to = all.find(kSpaceMark, to);
        if (to == std::string_view::npos)
            to = all.size();
        const std::string_view word = all.substr(from, to - from);
        from = to;
        if (const auto it = cache.find(word); it != cache.end()) {
            out.insert(out.end(), it->second.begin(), it->second.end());
            continue;
        }
        const size_t first = out.size();
        encodeWord(word, out);
        cache.emplace(word,
                      std::vector<int32_t>(out.begin() + static_cast<long>(first), out.end()));
    }
}

void SpmTokenizer::encodeWord(std::string_view word, std::vector<int32_t> &out) const
{
    std::vector<uint32_t> lengths;
    lengths.reserve(word.size());
    for (size_t pos = 0; pos < word.size();) {
        const size_t len = std::min(utf8::sequenceLength(static_cast<unsigned char>(word[pos])),
                                    word.size() - pos);
        lengths.push_back(static_cast<uint32_t>(len));
        pos += len;
    }
    std::vector<MergeSymbol> syms = linkSymbols(lengths);
    const auto view = [&](uint32_t begin, uint32_t len) { return word.substr(begin, len); };
    for (MergeSymbol &sym : syms)
        if (const auto it = mergeable_.find(view(sym.begin, sym.len)); it != mergeable_.end())
            sym.id = it->second;

    mergePairs(syms,
               [&](const MergeSymbol &l, const MergeSymbol &r, double &priority, int32_t &id) {
                   const auto it = mergeable_.find(view(l.begin, l.len + r.len));
                   if (it == mergeable_.end())
                       return false;
                   id = it->second;
                   priority = v_.scores[static_cast<size_t>(id)];
                   return true;
               });

    for (int32_t i = syms.empty() ? -1 : 0; i >= 0; i = syms[i].next) {
        if (syms[i].id >= 0)
            out.push_back(syms[i].id);
        else
            appendBytes(view(syms[i].begin, syms[i].len), out);
    }
}

// A character the vocabulary lacks: its bytes as <0xXX> tokens, else one <unk>.
void SpmTokenizer::appendBytes(std::string_view bytes, std::vector<int32_t> &out) const
{
    bool allBytes = true;
    for (const char c : bytes)
        allBytes = allBytes && byteIds_[static_cast<unsigned char>(c)] >= 0;
    if (allBytes) {
        for (const char c : bytes)
            out.push_back(byteIds_[static_cast<unsigned char>(c)]);
        return;
    }
    if (v_.unk < 0)
        throwIn(v_.source,
                "cannot encode byte " + hexByte(static_cast<unsigned char>(bytes[0]))
                    + ": the vocabulary has neither its <0xXX> byte token nor <unk>");
    out.push_back(v_.unk);
}

std::string SpmTokenizer::decode(std::span<const int32_t> ids) const
{
    return decodePieces({.source = v_.source,
                         .pieces = v_.pieces,
                         .types = v_.types,
                         .spelling = PieceSpelling::SpaceMark,
                         .stripFirstSpace = v_.addSpacePrefix},
                        ids);
}

std::string SpmTokenizer::tokenText(int32_t id) const
{
    requireTokenId(v_.source, id, vocabSize());
    return v_.pieces[static_cast<size_t>(id)];
}

} // namespace cwb
